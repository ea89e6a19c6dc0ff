package org.carapace.ota.internal;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import org.carapace.api.io.Fields;
import org.carapace.api.io.StrictJson;
import org.carapace.api.trust.MalformedDocumentException;

/**
 * The record of an update in progress ({@code journal.json}, schema {@code carapace.ota.journal/v1}), written with
 * {@code fsync} before the framework is touched and removed after the commit or the rollback. Its presence at start
 * means the update did not finish: the installer then puts back the committed set (the previous jars, never the
 * uncommitted ones).
 *
 * @param packageName the package being installed
 * @param bundles per bundle, the jars before and after
 */
public record Journal(String packageName, List<Swap> bundles) {

    public static final String SCHEMA = "carapace.ota.journal/v1";

    public Journal {
        bundles = List.copyOf(bundles);
    }

    /**
     * One bundle being replaced.
     *
     * @param symbolicName the bundle
     * @param previousVersion its version before, restored on failure
     * @param previousSha256 the jar before, in the store
     * @param nextVersion the new version
     * @param nextSha256 the new jar, in the store
     */
    public record Swap(String symbolicName, String previousVersion, String previousSha256, String nextVersion, String nextSha256) {
    }

    public static Journal parse(byte[] json) throws MalformedDocumentException {
        Fields top = Fields.of("OTA journal", new StrictJson(1 << 20, 6).parseObject(json, "OTA journal"));
        if (!SCHEMA.equals(top.string("schema"))) {
            throw top.error("schema", "expected " + SCHEMA);
        }
        String name = top.string("package");
        List<Swap> swaps = new ArrayList<>();
        for (Fields b : top.objects("bundles", true, 1024)) {
            swaps.add(new Swap(b.string("symbolicName"), b.string("previousVersion"), sha(b, "previousSha256"), b.string("nextVersion"),
                sha(b, "nextSha256")));
            b.end();
        }
        top.end();
        return new Journal(name, swaps);
    }

    private static String sha(Fields fields, String name) throws MalformedDocumentException {
        String value = fields.string(name);
        if (!PackageMetadata.SHA256.matcher(value).matches()) {
            throw fields.error(name, "must be 64 lowercase hex characters");
        }
        return value;
    }

    public byte[] write() {
        ObjectNode top = StrictJson.object();
        top.put("schema", SCHEMA);
        top.put("package", packageName);
        ArrayNode list = top.putArray("bundles");
        for (Swap swap : bundles) {
            ObjectNode b = list.addObject();
            b.put("symbolicName", swap.symbolicName());
            b.put("previousVersion", swap.previousVersion());
            b.put("previousSha256", swap.previousSha256());
            b.put("nextVersion", swap.nextVersion());
            b.put("nextSha256", swap.nextSha256());
        }
        return StrictJson.write(top);
    }
}
