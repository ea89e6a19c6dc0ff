package org.carapace.policy.internal;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.carapace.api.events.SecurityEventType;
import org.carapace.api.io.AtomicFiles;
import org.carapace.api.policy.EnforcementMode;
import org.carapace.api.policy.ExecWhitelist;
import org.carapace.api.policy.Exemption;
import org.carapace.api.policy.FileDigest;
import org.carapace.api.policy.ImageRule;
import org.carapace.api.policy.PolicyDocument;
import org.carapace.api.policy.PolicyKind;
import org.carapace.api.policy.Revocation;
import org.carapace.api.trust.KeyId;
import org.carapace.api.trust.Role;
import org.carapace.api.trust.RoleKeys;
import org.carapace.api.trust.TrustRoot;
import org.carapace.api.trust.TrustedKey;

/** Deterministic keys, roots and policies for the tests. */
final class Fixtures {

    static final Instant NOW = Instant.parse("2026-06-01T12:00:00Z");
    static final String DEVICE = "dev-vehicle-0001";

    /** Ed25519 keys from fixed seeds: the same key ids every run. */
    static final SigningKey ROOT_1 = seeded(1);
    static final SigningKey ROOT_2 = seeded(2);
    static final SigningKey BASE_1 = seeded(11);
    static final SigningKey BASE_2 = seeded(12);
    static final SigningKey ADDITIONAL_1 = seeded(21);
    static final SigningKey OTA_1 = seeded(31);
    static final SigningKey STRANGER = seeded(99);

    private Fixtures() {
    }

    static SigningKey seeded(int n) {
        byte[] secret = new byte[32];
        secret[0] = (byte) n;
        secret[31] = (byte) 0x5a;
        return SigningKey.ed25519(secret);
    }

    static String digest(int n) {
        return "sha256:" + hex(n);
    }

    static String hex(int n) {
        return HexFormat.of().formatHex(java.nio.ByteBuffer.allocate(32).putInt(28, n).array());
    }

    /** Root v1: root 1-of-{ROOT_1}, base 2-of-{BASE_1, BASE_2}, additional 1-of-{ADDITIONAL_1}, ota 1-of-{OTA_1}. */
    static TrustRoot root(long version, Optional<Instant> expires, List<SigningKey> rootKeys, int rootThreshold) {
        Map<KeyId, TrustedKey> keys = new LinkedHashMap<>();
        Map<Role, RoleKeys> roles = new EnumMap<>(Role.class);
        roles.put(Role.ROOT, role(keys, rootKeys, rootThreshold));
        roles.put(Role.BASE_POLICY, role(keys, List.of(BASE_1, BASE_2), 2));
        roles.put(Role.ADDITIONAL_POLICY, role(keys, List.of(ADDITIONAL_1), 1));
        roles.put(Role.OTA, role(keys, List.of(OTA_1), 1));
        return new TrustRoot(version, expires, keys, roles);
    }

    static TrustRoot root() {
        return root(1, Optional.empty(), List.of(ROOT_1), 1);
    }

    private static RoleKeys role(Map<KeyId, TrustedKey> keys, List<SigningKey> signers, int threshold) {
        List<KeyId> ids = new ArrayList<>();
        for (SigningKey signer : signers) {
            keys.put(signer.keyId(), signer.publicKey());
            ids.add(signer.keyId());
        }
        return new RoleKeys(Set.copyOf(ids), threshold);
    }

    static byte[] signedRoot(TrustRoot root, SigningKey... signers) {
        return EnvelopeCodec.write(EnvelopeCodec.sign(org.carapace.api.trust.TrustRoot.PAYLOAD_TYPE, RootCodec.write(root),
            List.of(signers)));
    }

    static ImageRule image(String name, int n) {
        return new ImageRule(name, digest(n), Optional.of(digest(n + 100_000)), EnforcementMode.ENFORCE,
            new ExecWhitelist(List.of(new FileDigest("/usr/bin/" + name, hex(n + 200_000))), Set.of(), Optional.empty()),
            List.of("/etc"), List.of("/tmp"), List.of());
    }

    static PolicyDocument base(long version, List<ImageRule> images, List<Revocation> revocations) {
        return new PolicyDocument(PolicyKind.BASE, PolicyDocument.BASE_STREAM, version, Optional.empty(), Set.of(), images,
            revocations, List.of(new Exemption("platform-agent", Map.of("org.carapace.exempt", "agent"),
                Optional.of("/run/carapace/bundles"), Optional.empty())));
    }

    static PolicyDocument additional(String stream, long version, List<ImageRule> images) {
        return new PolicyDocument(PolicyKind.ADDITIONAL, stream, version, Optional.empty(), Set.of(), images, List.of(), List.of());
    }

    static byte[] signed(PolicyDocument document, SigningKey... signers) {
        return signedPayload(document.kind(), PolicyCodec.write(document), signers);
    }

    static byte[] signedPayload(PolicyKind kind, byte[] payload, SigningKey... signers) {
        return EnvelopeCodec.write(EnvelopeCodec.sign(kind.payloadType(), payload, List.of(signers)));
    }

    /** The base signed by its threshold (BASE_1 and BASE_2). */
    static byte[] signedBase(PolicyDocument document) {
        return signed(document, BASE_1, BASE_2);
    }

    /** A clock the test moves. */
    static final class MutableClock extends Clock {
        private Instant now;

        MutableClock(Instant now) {
            this.now = now;
        }

        void set(Instant instant) {
            now = instant;
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    /** Security events reported, for assertions. */
    static final class Recorder implements SecurityReporter {
        final List<SecurityEventType> types = new ArrayList<>();
        final List<String> messages = new ArrayList<>();

        @Override
        public synchronized void report(SecurityEventType type, String message, Map<String, Object> context) {
            types.add(type);
            messages.add(message);
        }
    }

    /** A trust store in {@code dir} with the fixture root provisioned as its anchor. */
    static TrustStore trustStore(Path dir, Clock clock, SecurityReporter reporter) throws java.io.IOException {
        Path anchor = dir.resolve("trust").resolve("anchor.json");
        AtomicFiles.privateDirectory(anchor.getParent());
        AtomicFiles.write(anchor, signedRoot(root(), ROOT_1));
        TrustStore store = new TrustStore(new TrustStore.Settings(anchor, Optional.empty(), dir.resolve("trust"), false, 1 << 20, 16),
            clock, reporter, (a, b) -> { });
        store.load();
        return store;
    }
}
