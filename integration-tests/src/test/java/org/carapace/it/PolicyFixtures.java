package org.carapace.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.carapace.api.policy.EnforcementMode;
import org.carapace.api.policy.ExecWhitelist;
import org.carapace.api.policy.Exemption;
import org.carapace.api.policy.FileDigest;
import org.carapace.api.policy.ImageRule;
import org.carapace.api.policy.PolicyDocument;
import org.carapace.api.policy.PolicyKind;
import org.carapace.api.policy.Revocation;
import org.carapace.api.trust.KeyAlgorithm;
import org.carapace.api.trust.KeyId;
import org.carapace.api.trust.Role;
import org.carapace.api.trust.RoleKeys;
import org.carapace.api.trust.TrustRoot;
import org.carapace.api.trust.TrustedKey;
import org.carapace.policy.internal.EnvelopeCodec;
import org.carapace.policy.internal.PolicyCodec;
import org.carapace.policy.internal.RootCodec;
import org.carapace.policy.internal.SigningKey;

/**
 * Driver-side fixtures for the Pax Exam policy test (never loaded inside the framework): a trust root provisioned as
 * the device's anchor file before Felix starts, and signed policies for the test to install.
 */
final class PolicyFixtures {

    static final String NAV = "sha256:" + "1".repeat(64);
    static final String MEDIA = "sha256:" + "2".repeat(64);

    private PolicyFixtures() {
    }

    static void write(Path dataDir, Path fixtures, String deviceId) {
        try {
            RuntimeBundles.emptyDirectories(dataDir, fixtures);
            SecureRandom random = new SecureRandom();
            SigningKey root = SigningKey.generate(KeyAlgorithm.ED25519, random);
            SigningKey base = SigningKey.generate(KeyAlgorithm.ECDSA_P256_SHA256, random);
            SigningKey additional = SigningKey.generate(KeyAlgorithm.ED25519, random);
            Map<KeyId, TrustedKey> keys = new LinkedHashMap<>();
            Map<Role, RoleKeys> roles = new EnumMap<>(Role.class);
            for (Map.Entry<Role, SigningKey> e : Map.of(Role.ROOT, root, Role.BASE_POLICY, base, Role.ADDITIONAL_POLICY, additional)
                .entrySet()) {
                keys.put(e.getValue().keyId(), e.getValue().publicKey());
                roles.put(e.getKey(), new RoleKeys(Set.of(e.getValue().keyId()), 1));
            }
            TrustRoot trustRoot = new TrustRoot(1, Optional.empty(), keys, roles);
            Path anchor = dataDir.resolve("trust").resolve("anchor.json");
            Files.createDirectories(anchor.getParent());
            Files.write(anchor, EnvelopeCodec.write(EnvelopeCodec.sign(TrustRoot.PAYLOAD_TYPE, RootCodec.write(trustRoot), List.of(root))));

            ImageRule nav = new ImageRule("navigation", NAV, Optional.empty(), EnforcementMode.ENFORCE,
                new ExecWhitelist(List.of(new FileDigest("/usr/bin/nav", "a".repeat(64))), Set.of(), Optional.empty()),
                List.of("/etc"), List.of("/var/lib/nav"), List.of());
            ImageRule media = ImageRule.of("media", MEDIA);
            Exemption agent = new Exemption("platform-agent", Map.of("org.carapace.exempt", "agent"),
                Optional.of("/run/carapace/bundles"), Optional.empty());
            for (int version = 1; version <= 2; version++) {
                List<ImageRule> images = version == 1 ? List.of(nav) : List.of(nav, media);
                PolicyDocument document = new PolicyDocument(PolicyKind.BASE, "base", version, Optional.empty(), Set.of(deviceId),
                    images, List.of(new Revocation("sha256:" + "9".repeat(64), "CVE")), List.of(agent));
                Files.write(fixtures.resolve("base-v" + version + ".signed"), EnvelopeCodec.write(
                    EnvelopeCodec.sign(PolicyKind.BASE.payloadType(), PolicyCodec.write(document), List.of(base))));
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
