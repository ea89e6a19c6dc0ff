package org.carapace.bench.policy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.carapace.api.io.AtomicFiles;
import org.carapace.api.policy.AssociatedExecution;
import org.carapace.api.policy.EnforcementMode;
import org.carapace.api.policy.ExecWhitelist;
import org.carapace.api.policy.FileDigest;
import org.carapace.api.policy.ImageRule;
import org.carapace.api.policy.PolicyDocument;
import org.carapace.api.policy.PolicyKind;
import org.carapace.api.trust.KeyAlgorithm;
import org.carapace.api.trust.KeyId;
import org.carapace.api.trust.Role;
import org.carapace.api.trust.RoleKeys;
import org.carapace.api.trust.TrustRoot;
import org.carapace.api.trust.TrustedKey;
import org.carapace.policy.internal.EnvelopeCodec;
import org.carapace.policy.internal.PolicyCodec;
import org.carapace.policy.internal.PolicyLimits;
import org.carapace.policy.internal.PolicyStore;
import org.carapace.policy.internal.RootCodec;
import org.carapace.policy.internal.SecurityReporter;
import org.carapace.policy.internal.SigningKey;
import org.carapace.policy.internal.TrustStore;

/** A device-sized policy for the benchmarks: N images with realistic rules, signed, and a store on disk holding it. */
final class BenchPolicy {

    static final String DEVICE = "bench-vehicle";

    final int images;
    final Path dir;
    byte[] payload;
    byte[] envelope;
    final List<String> digests = new ArrayList<>();
    final TrustStore trust;

    BenchPolicy(int images, KeyAlgorithm algorithm) throws Exception {
        this.images = images;
        this.dir = Files.createTempDirectory("carapace-bench-policy");
        SecureRandom random = new SecureRandom();
        SigningKey rootKey = SigningKey.generate(KeyAlgorithm.ED25519, random);
        SigningKey baseKey = SigningKey.generate(algorithm, random);
        SigningKey addKey = SigningKey.generate(KeyAlgorithm.ED25519, random);
        Map<KeyId, TrustedKey> keys = new LinkedHashMap<>();
        Map<Role, RoleKeys> roles = new EnumMap<>(Role.class);
        for (Map.Entry<Role, SigningKey> e : Map.of(Role.ROOT, rootKey, Role.BASE_POLICY, baseKey, Role.ADDITIONAL_POLICY, addKey)
            .entrySet()) {
            keys.put(e.getValue().keyId(), e.getValue().publicKey());
            roles.put(e.getKey(), new RoleKeys(Set.of(e.getValue().keyId()), 1));
        }
        TrustRoot root = new TrustRoot(1, Optional.empty(), keys, roles);
        Path anchor = dir.resolve("trust/anchor.json");
        AtomicFiles.privateDirectory(anchor.getParent());
        AtomicFiles.write(anchor, EnvelopeCodec.write(EnvelopeCodec.sign(TrustRoot.PAYLOAD_TYPE, RootCodec.write(root),
            List.of(rootKey))));
        trust = new TrustStore(new TrustStore.Settings(anchor, Optional.empty(), dir.resolve("trust"), false, 1L << 30, 16),
            Clock.systemUTC(), SecurityReporter.NONE, (a, b) -> { });
        trust.load();

        HexFormat hex = HexFormat.of();
        List<ImageRule> rules = new ArrayList<>(images);
        for (int i = 0; i < images; i++) {
            String rootfs = "sha256:" + hex.formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(("rootfs" + i).getBytes()));
            digests.add(rootfs);
            List<FileDigest> files = new ArrayList<>();
            for (int k = 0; k < 8; k++) {
                files.add(new FileDigest("/usr/bin/app" + i + "-" + k, sha(hex, "file" + i + "-" + k)));
            }
            rules.add(new ImageRule("registry.example/app-" + i + ":1.0", rootfs, Optional.of("sha256:" + sha(hex, "manifest" + i)),
                i % 10 == 0 ? EnforcementMode.AUDIT : EnforcementMode.ENFORCE,
                new ExecWhitelist(files, Set.of(), Optional.empty()), List.of("/etc"), List.of("/tmp", "/var/lib/app" + i),
                List.of(new AssociatedExecution("/etc/app" + i + "/key", List.of(files.get(0))))));
        }
        PolicyDocument document = new PolicyDocument(PolicyKind.BASE, "base", 1, Optional.of(Instant.parse("2099-01-01T00:00:00Z")),
            Set.of(), rules, List.of(), List.of());
        payload = PolicyCodec.write(document);
        envelope = EnvelopeCodec.write(EnvelopeCodec.sign(PolicyKind.BASE.payloadType(), payload, List.of(baseKey)));
        store().install(envelope);
    }

    private static String sha(HexFormat hex, String s) throws Exception {
        return hex.formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(s.getBytes()));
    }

    static PolicyLimits limits() {
        return PolicyLimits.DEFAULTS;
    }

    /** A store over the benchmark directory, loaded (every document verified) from disk. */
    PolicyStore store() throws IOException {
        return store(dir.resolve("policy"));
    }

    PolicyStore store(Path policyDir) throws IOException {
        PolicyStore store = new PolicyStore(new PolicyStore.Settings(policyDir, DEVICE, limits(), 256, 1L << 30), trust,
            Clock.systemUTC(), SecurityReporter.NONE, PolicyStore.ChangeListener.NONE);
        store.load("load");
        return store;
    }

    /** Drops the payload and envelope bytes (benchmarks that only need the loaded store). */
    void release() {
        payload = null;
        envelope = null;
    }

    void delete() throws IOException {
        try (var walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
