package org.carapace.policy.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.carapace.api.policy.PolicySnapshot;

/** A policy store over a real directory and a real trust store, with a clock and event recorders the test controls. */
final class StoreHarness {

    /** A change event as the listener saw it. */
    record Change(String stream, long oldVersion, long newVersion, long generation, int imageCount, String cause) {
    }

    final Path dir;
    final Fixtures.MutableClock clock = new Fixtures.MutableClock(Fixtures.NOW);
    final Fixtures.Recorder events = new Fixtures.Recorder();
    final List<Change> changes = new ArrayList<>();
    final TrustStore trust;
    PolicyStore store;

    StoreHarness(Path dir) throws IOException {
        this(dir, PolicyLimits.DEFAULTS, 1 << 20);
    }

    StoreHarness(Path dir, PolicyLimits limits, long maxEnvelopeBytes) throws IOException {
        this.dir = dir;
        this.trust = Fixtures.trustStore(dir, clock, events);
        this.store = open(limits, maxEnvelopeBytes);
    }

    /** A fresh store instance over the same directory, as after a restart. */
    PolicyStore open(PolicyLimits limits, long maxEnvelopeBytes) throws IOException {
        PolicyStore.Settings settings = new PolicyStore.Settings(dir.resolve("policy"), Fixtures.DEVICE, limits, 4, maxEnvelopeBytes);
        PolicyStore s = new PolicyStore(settings, trust, clock, events,
            (stream, oldV, newV, gen, images, cause) -> changes.add(new Change(stream, oldV, newV, gen, images, cause)));
        s.load("load");
        return s;
    }

    PolicyStore restart() throws IOException {
        store = open(PolicyLimits.DEFAULTS, 1 << 20);
        return store;
    }

    Path policyFile(String stream, long version, boolean copy) {
        return dir.resolve("policy").resolve("streams").resolve(stream).resolve(version + (copy ? ".lkg.json" : ".json"));
    }

    /** Every file under the policy directory and its SHA-256: "nothing on disk changed" is this map being equal. */
    Map<String, String> files() throws IOException {
        Map<String, String> files = new TreeMap<>();
        Path root = dir.resolve("policy");
        try (var walk = Files.walk(root)) {
            for (Path p : (Iterable<Path>) walk::iterator) {
                if (Files.isRegularFile(p)) {
                    files.put(root.relativize(p).toString(), Hashing.sha256(Files.readAllBytes(p)));
                }
            }
        }
        return files;
    }

    /** What a reader sees: versions in force and the images by digest. */
    static String view(PolicySnapshot snapshot) {
        StringBuilder view = new StringBuilder(snapshot.versions().toString());
        snapshot.images().forEach(i -> view.append(' ').append(i.rule().name()).append('@').append(i.rule().rootfsDigest()));
        return view.toString();
    }

    void assertView(String expected) {
        assertEquals(expected, view(store.snapshot()));
    }
}
