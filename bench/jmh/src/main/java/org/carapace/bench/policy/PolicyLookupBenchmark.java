package org.carapace.bench.policy;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.carapace.api.policy.AllowedImage;
import org.carapace.api.policy.ImageRule;
import org.carapace.api.policy.PolicySnapshot;
import org.carapace.api.trust.KeyAlgorithm;
import org.carapace.policy.internal.PolicyStore;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Lookups per second in the effective policy of 10,000 images, as the gate does them ({@code service.snapshot()} then
 * {@code lookup(digest)}, which includes the expiry check against the clock), against a plain {@code HashMap.get} of
 * the same digests as the baseline.
 */
@State(Scope.Benchmark)
@Fork(value = 1, jvmArgsAppend = {"-Xmx160m", "-XX:+UseSerialGC"}) // the runtime's heap settings
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class PolicyLookupBenchmark {

    @Param("10000")
    int images;

    BenchPolicy policy;
    PolicyStore store;
    Map<String, ImageRule> baseline;
    String[] hits;
    String[] misses;

    @State(Scope.Thread)
    public static class Cursor {
        int next;
    }

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        policy = new BenchPolicy(images, KeyAlgorithm.ED25519);
        policy.release(); // the runtime holds the loaded model, not the document bytes
        store = policy.store();
        baseline = new HashMap<>();
        for (AllowedImage image : store.snapshot().images()) {
            baseline.put(image.rule().rootfsDigest(), image.rule());
        }
        hits = policy.digests.toArray(new String[0]);
        misses = new String[hits.length];
        for (int i = 0; i < hits.length; i++) {
            // same length and prefix, different content: a digest that is not allowed
            misses[i] = hits[i].substring(0, hits[i].length() - 8) + "00000000";
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        policy.delete();
    }

    @Benchmark
    public Optional<AllowedImage> snapshotLookupHit(Cursor cursor) {
        PolicySnapshot snapshot = store.snapshot();
        return snapshot.lookup(hits[cursor.next++ % hits.length]);
    }

    @Benchmark
    public Optional<AllowedImage> snapshotLookupMiss(Cursor cursor) {
        return store.snapshot().lookup(misses[cursor.next++ % misses.length]);
    }

    @Benchmark
    public ImageRule baselineHashMapHit(Cursor cursor) {
        return baseline.get(hits[cursor.next++ % hits.length]);
    }
}
