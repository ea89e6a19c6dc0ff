package org.carapace.it;

import static org.junit.Assert.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.zip.ZipEntry;
import org.carapace.api.trust.KeyAlgorithm;
import org.carapace.api.trust.KeyId;
import org.carapace.api.trust.Role;
import org.carapace.api.trust.RoleKeys;
import org.carapace.api.trust.TrustRoot;
import org.carapace.api.trust.TrustedKey;
import org.carapace.it.victim.VictimActivator;
import org.carapace.policy.internal.EnvelopeCodec;
import org.carapace.policy.internal.RootCodec;
import org.carapace.policy.internal.SigningKey;

/**
 * Driver-side fixtures for {@link OtaSelfTestIT} (never loaded inside the framework): a trust root with an ota key as
 * the device's anchor, the victim bundle in three versions, and packages made and signed with the real CLI.
 */
final class OtaSelfTestFixtures {

    private OtaSelfTestFixtures() {
    }

    /** Driver side: a trust root with an ota key as the device's anchor, the victim's jars, signed packages. */
    static void write() throws Exception {
        RuntimeBundles.emptyDirectories(OtaSelfTestIT.DATA, OtaSelfTestIT.FIXTURES);
        SecureRandom random = new SecureRandom();
        SigningKey root = SigningKey.generate(KeyAlgorithm.ED25519, random);
        SigningKey ota = SigningKey.generate(KeyAlgorithm.ED25519, random);
        Map<KeyId, TrustedKey> keys = new LinkedHashMap<>();
        keys.put(root.keyId(), root.publicKey());
        keys.put(ota.keyId(), ota.publicKey());
        Map<Role, RoleKeys> roles = new EnumMap<>(Role.class);
        for (Role role : List.of(Role.ROOT, Role.BASE_POLICY, Role.ADDITIONAL_POLICY)) {
            roles.put(role, new RoleKeys(Set.of(root.keyId()), 1));
        }
        roles.put(Role.OTA, new RoleKeys(Set.of(ota.keyId()), 1));
        TrustRoot trustRoot = new TrustRoot(1, Optional.empty(), keys, roles);
        Path anchor = OtaSelfTestIT.DATA.resolve("trust").resolve("anchor.json");
        Files.createDirectories(anchor.getParent());
        Files.write(anchor, EnvelopeCodec.write(EnvelopeCodec.sign(
            TrustRoot.PAYLOAD_TYPE, RootCodec.write(trustRoot), List.of(root))));
        Files.writeString(OtaSelfTestIT.FIXTURES.resolve("ota.pem"), ota.toPem());
        victim("1.0.0", "pass");
        victim("1.0.1", "fail");
        victim("1.0.2", "pass");
        pack("victim-broken", "1.0.1", 1);
        pack("victim-good", "1.0.2", 2);
    }

    static void victim(String version, String verdict) throws IOException {
        Manifest manifest = new Manifest();
        Attributes main = manifest.getMainAttributes();
        main.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        main.putValue("Bundle-ManifestVersion", "2");
        main.putValue("Bundle-SymbolicName", OtaSelfTestIT.VICTIM);
        main.putValue("Bundle-Version", version);
        main.putValue("Bundle-Activator", VictimActivator.class.getName());
        main.putValue("Import-Package", "org.carapace.api.ota;version=\"[1.0,2)\",org.osgi.framework;version=\"[1.8,2)\"");
        main.putValue("X-Carapace-Victim-SelfTest", verdict);
        String entry = VictimActivator.class.getName().replace('.', '/') + ".class";
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (JarOutputStream jar = new JarOutputStream(bytes, manifest);
             InputStream in = OtaSelfTestFixtures.class.getClassLoader().getResourceAsStream(entry)) {
            jar.putNextEntry(new ZipEntry(entry));
            in.transferTo(jar);
            jar.closeEntry();
        }
        Files.write(OtaSelfTestIT.FIXTURES.resolve("victim-" + version + ".jar"), bytes.toByteArray());
    }

    /** The real CLI, in-process: package and sign. */
    static void pack(String name, String version, long counter) {
        Path dir = OtaSelfTestIT.FIXTURES;
        String jar = dir.resolve("victim-" + version + ".jar").toString();
        cli("ota", "package", "--name", name, "--jar", jar, "--counter", Long.toString(counter), "--expires", "+1d", "-o",
            dir.resolve(name + ".unsigned.ota").toString());
        cli("ota", "sign", dir.resolve(name + ".unsigned.ota").toString(), "--key", dir.resolve("ota.pem").toString(), "-o",
            dir.resolve(name + ".ota").toString());
    }

    static void cli(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = org.carapace.cli.Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        assertEquals(String.join(" ", args) + "\n" + out + err, 0, exit);
    }
}
