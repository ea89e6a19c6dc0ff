package org.carapace.ota.internal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Instant;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.zip.ZipEntry;
import org.carapace.api.trust.Envelope;
import org.carapace.api.trust.KeyId;
import org.carapace.api.trust.Role;
import org.carapace.api.trust.RoleKeys;
import org.carapace.api.trust.TrustRoot;
import org.carapace.api.trust.TrustedKey;
import org.carapace.policy.internal.EnvelopeCodec;
import org.carapace.policy.internal.SigningKey;
import org.carapace.policy.internal.TrustVerifier;

/** Keys, a root whose OTA role is 2-of-3, bundles and packages for the tests. */
final class OtaFixtures {

    static final Instant NOW = Instant.parse("2026-06-01T12:00:00Z");
    static final String DEVICE = "dev-vehicle-0001";
    static final String HARDWARE = "hu-x86";

    static final SigningKey ROOT = seeded(1);
    static final SigningKey BASE = seeded(11);
    static final SigningKey OTA_1 = seeded(31);
    static final SigningKey OTA_2 = seeded(32);
    static final SigningKey OTA_3 = seeded(33);

    private OtaFixtures() {
    }

    static SigningKey seeded(int n) {
        byte[] secret = new byte[32];
        secret[0] = (byte) n;
        secret[31] = (byte) 0x3c;
        return SigningKey.ed25519(secret);
    }

    static TrustRoot root() {
        Map<KeyId, TrustedKey> keys = new LinkedHashMap<>();
        Map<Role, RoleKeys> roles = new EnumMap<>(Role.class);
        roles.put(Role.ROOT, role(keys, List.of(ROOT), 1));
        roles.put(Role.BASE_POLICY, role(keys, List.of(BASE), 1));
        roles.put(Role.ADDITIONAL_POLICY, role(keys, List.of(BASE), 1));
        roles.put(Role.OTA, role(keys, List.of(OTA_1, OTA_2, OTA_3), 2));
        return new TrustRoot(1, Optional.empty(), keys, roles);
    }

    private static RoleKeys role(Map<KeyId, TrustedKey> keys, List<SigningKey> signers, int threshold) {
        Set<KeyId> ids = new TreeSet<>();
        for (SigningKey signer : signers) {
            keys.put(signer.keyId(), signer.publicKey());
            ids.add(signer.keyId());
        }
        return new RoleKeys(ids, threshold);
    }

    /** Verifies as the CLI does: the parsed envelope against the root's OTA role at {@link #NOW}. */
    static PackageArchive.EnvelopeVerifier verifier() {
        TrustVerifier verifier = new TrustVerifier(root());
        EnvelopeCodec codec = new EnvelopeCodec(1 << 20, 16);
        return json -> verifier.verify(codec.parse(json), Role.OTA, PackageMetadata.PAYLOAD_TYPE, NOW);
    }

    /** A minimal bundle jar: a manifest and one class-path resource. */
    static byte[] bundle(String bsn, String version, String filler) {
        Manifest manifest = new Manifest();
        Attributes main = manifest.getMainAttributes();
        main.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        main.putValue("Bundle-ManifestVersion", "2");
        main.putValue("Bundle-SymbolicName", bsn);
        main.putValue("Bundle-Version", version);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (JarOutputStream jar = new JarOutputStream(bytes, manifest)) {
            jar.putNextEntry(new ZipEntry("filler.txt"));
            jar.write(filler.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            jar.closeEntry();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return bytes.toByteArray();
    }

    static PackageMetadata.BundleEntry entry(String bsn, String version, byte[] jar, long counter) {
        return new PackageMetadata.BundleEntry(bsn, version, "bundles/" + bsn + "-" + version + ".jar", PackageArchive.sha256Hex(jar),
            jar.length, counter);
    }

    static PackageMetadata metadata(List<PackageMetadata.BundleEntry> entries) {
        return new PackageMetadata("test-package", NOW.plusSeconds(86_400), Set.of(DEVICE), Set.of(HARDWARE), entries);
    }

    static byte[] envelope(byte[] payload, SigningKey... signers) {
        return EnvelopeCodec.write(EnvelopeCodec.sign(PackageMetadata.PAYLOAD_TYPE, payload, List.of(signers)));
    }

    static byte[] unsignedEnvelope(byte[] payload) {
        return EnvelopeCodec.write(new Envelope(PackageMetadata.PAYLOAD_TYPE, payload, List.of()));
    }
}
