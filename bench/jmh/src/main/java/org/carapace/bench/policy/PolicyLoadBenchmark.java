package org.carapace.bench.policy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import org.carapace.api.policy.PolicyDocument;
import org.carapace.api.policy.PolicyKind;
import org.carapace.api.policy.PolicySnapshot;
import org.carapace.api.trust.KeyAlgorithm;
import org.carapace.api.trust.Role;
import org.carapace.api.trust.VerifiedPayload;
import org.carapace.policy.internal.PolicyCodec;
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
 * Loading and verifying a 10,000-image policy, step by step, with plain Jackson as the baseline in the same run:
 * {@code baselineJacksonTree} (parse only, no checks) vs {@code parseOnly} (strict JSON + schema + model) vs
 * {@code verifyOnly} (envelope + signature over the whole payload) vs {@code verifyAndParse} vs {@code loadFromDisk}
 * (what a device does at start: read, verify, parse, build the snapshot) vs {@code install} (verify, write two copies
 * and the counters with fsync, publish).
 */
@State(Scope.Benchmark)
@Fork(value = 1, jvmArgsAppend = {"-Xmx160m", "-XX:+UseSerialGC"}) // the runtime's heap settings
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class PolicyLoadBenchmark {

    @Param("10000")
    int images;

    @Param({"ed25519", "ecdsa-p256-sha256"})
    String algorithm;

    BenchPolicy policy;
    PolicyCodec codec;
    ObjectMapper jackson;
    Path installDir;
    int installs;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        policy = new BenchPolicy(images, KeyAlgorithm.fromId(algorithm).orElseThrow());
        codec = new PolicyCodec(BenchPolicy.limits());
        jackson = new ObjectMapper();
        System.err.printf("%n[policy bench] %d images: payload %d bytes, envelope %d bytes%n", images, policy.payload.length,
            policy.envelope.length);
    }

    @Setup(Level.Invocation)
    public void freshInstallDir() throws Exception {
        if (installDir != null && Files.exists(installDir)) {
            try (var walk = Files.walk(installDir)) {
                walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        installDir = policy.dir.resolve("install-" + (installs++));
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        policy.delete();
    }

    @Benchmark
    public JsonNode baselineJacksonTree() throws Exception {
        return jackson.readTree(policy.payload);
    }

    @Benchmark
    public PolicyDocument parseOnly() throws Exception {
        return codec.parse(policy.payload);
    }

    @Benchmark
    public VerifiedPayload verifyOnly() throws Exception {
        return policy.trust.verify(policy.envelope, Role.BASE_POLICY, PolicyKind.BASE.payloadType());
    }

    @Benchmark
    public PolicyDocument verifyAndParse() throws Exception {
        return codec.parse(policy.trust.verify(policy.envelope, Role.BASE_POLICY, PolicyKind.BASE.payloadType()).payload());
    }

    @Benchmark
    public PolicySnapshot loadFromDisk() throws Exception {
        PolicySnapshot snapshot = policy.store().snapshot();
        if (snapshot.imageCount() != images) {
            throw new IllegalStateException("loaded " + snapshot.imageCount() + " images");
        }
        return snapshot;
    }

    @Benchmark
    public PolicySnapshot install() throws Exception {
        PolicyStore store = policy.store(installDir);
        store.install(policy.envelope);
        return store.snapshot();
    }
}
