package org.carapace.ota.internal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.carapace.api.io.Fields;
import org.carapace.api.io.StrictJson;
import org.carapace.api.ota.ReleaseCounterException;
import org.carapace.api.trust.MalformedDocumentException;

/**
 * The committed result of every successful update ({@code state.json}, schema {@code carapace.ota.state/v1}): per
 * bundle the version, the SHA-256 of the jar in the store and the release counter. Writing this file is the commit
 * point of an update; its counters are the anti-rollback state, so they only ever grow.
 *
 * @param generation grows by one with every commit
 * @param bundles per symbolic name; sorted
 */
public record InstalledState(long generation, Map<String, Installed> bundles) {

    public static final String SCHEMA = "carapace.ota.state/v1";
    public static final InstalledState EMPTY = new InstalledState(0, Map.of());

    public InstalledState {
        bundles = Collections.unmodifiableMap(new TreeMap<>(bundles));
    }

    /**
     * One bundle installed by an update.
     *
     * @param version its Bundle-Version
     * @param sha256 its jar, {@code store/<sha256>.jar}
     * @param releaseCounter the highest release counter installed for it
     * @param packageName the package that brought it
     */
    public record Installed(String version, String sha256, long releaseCounter, String packageName) {
    }

    /**
     * Anti-rollback (Uptane §5.4.4.7, per-module release counters): each bundle's counter must exceed the installed one.
     * The very same jar at the same counter is not a change.
     *
     * @return the entries that change something (empty: the package is installed already)
     * @throws ReleaseCounterException for a lower counter (ROLLBACK) or the same counter with another jar (REPLAY)
     */
    public List<PackageMetadata.BundleEntry> changes(PackageMetadata metadata) throws ReleaseCounterException {
        List<PackageMetadata.BundleEntry> out = new ArrayList<>();
        for (PackageMetadata.BundleEntry entry : metadata.bundles()) {
            Installed installed = bundles.get(entry.symbolicName());
            if (installed == null || entry.releaseCounter() > installed.releaseCounter()) {
                out.add(entry);
            } else if (entry.releaseCounter() < installed.releaseCounter() || !entry.sha256().equals(installed.sha256())) {
                throw new ReleaseCounterException(entry.symbolicName(), installed.releaseCounter(), entry.releaseCounter());
            }
        }
        return out;
    }

    /** This state with the entries committed, one generation on. */
    public InstalledState with(PackageMetadata metadata, List<PackageMetadata.BundleEntry> entries) {
        Map<String, Installed> next = new TreeMap<>(bundles);
        for (PackageMetadata.BundleEntry entry : entries) {
            next.put(entry.symbolicName(), new Installed(entry.version(), entry.sha256(), entry.releaseCounter(), metadata.name()));
        }
        return new InstalledState(generation + 1, next);
    }

    public static InstalledState parse(byte[] json) throws MalformedDocumentException {
        Fields top = Fields.of("OTA state", new StrictJson(16L << 20, 6).parseObject(json, "OTA state"));
        if (!SCHEMA.equals(top.string("schema"))) {
            throw top.error("schema", "expected " + SCHEMA);
        }
        long generation = top.integer("generation", 0, PackageMetadata.MAX_SAFE);
        Map<String, Installed> bundles = new TreeMap<>();
        for (Map.Entry<String, Fields> e : top.objectMap("bundles", 10_000).entrySet()) {
            Fields b = e.getValue();
            String sha = b.string("sha256");
            if (!PackageMetadata.SHA256.matcher(sha).matches()) {
                throw b.error("sha256", "must be 64 lowercase hex characters");
            }
            bundles.put(e.getKey(), new Installed(b.string("version"), sha, b.integer("releaseCounter", 1, PackageMetadata.MAX_SAFE),
                b.string("package")));
            b.end();
        }
        top.end();
        return new InstalledState(generation, bundles);
    }

    public byte[] write() {
        ObjectNode top = StrictJson.object();
        top.put("schema", SCHEMA);
        top.put("generation", generation);
        ObjectNode list = top.putObject("bundles");
        bundles.forEach((name, installed) -> {
            ObjectNode b = list.putObject(name);
            b.put("version", installed.version());
            b.put("sha256", installed.sha256());
            b.put("releaseCounter", installed.releaseCounter());
            b.put("package", installed.packageName());
        });
        return StrictJson.write(top);
    }
}
