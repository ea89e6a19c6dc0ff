package org.carapace.secoc.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.carapace.api.platform.PlatformInfo;
import org.carapace.api.secoc.KeyUnavailableException;
import org.carapace.api.secoc.MacAlgorithm;
import org.carapace.api.secoc.MacSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KeyRingTest {

    static final byte[] KEY = HexFormat.of().parseHex(Fixtures.RFC4493_KEY);
    static final char[] PASSWORD = "correct horse".toCharArray();

    @TempDir
    Path dir;

    static Path store(Path file, String type, Map<String, byte[]> keys) throws Exception {
        KeyStore store = type.equals("BCFKS") ? KeyStore.getInstance("BCFKS", new BouncyCastleProvider()) : KeyStore.getInstance(type);
        store.load(null, PASSWORD);
        for (Map.Entry<String, byte[]> e : keys.entrySet()) {
            store.setEntry(e.getKey(), new KeyStore.SecretKeyEntry(new SecretKeySpec(e.getValue(), "AES")),
                new KeyStore.PasswordProtection(PASSWORD));
        }
        try (OutputStream out = Files.newOutputStream(file)) {
            store.store(out, PASSWORD);
        }
        return file;
    }

    @Test
    void readsPkcs12AndBcfksAndComputesTheRfcMac() throws Exception {
        for (String type : List.of("PKCS12", "BCFKS")) {
            Path file = store(dir.resolve("keys." + type), type, Map.of("body-1", KEY));
            KeyRing ring = KeyRing.load(file, KeyRing.StoreType.valueOf(type), PASSWORD);
            assertTrue(ring.hasKey(MacAlgorithm.AES_128_CMAC, "body-1"));
            assertFalse(ring.hasKey(MacAlgorithm.AES_128_CMAC, "body-2"));
            MacSession session = ring.open(MacAlgorithm.AES_128_CMAC, "body-1");
            byte[] mac = new byte[16];
            session.generate(new byte[0], 0, 0, mac, 0);
            assertEquals("bb1d6929e95937287fa37d129b756746", HexFormat.of().formatHex(mac), type);
            ring.destroy();
            assertFalse(session.verify(new byte[0], 0, 0, mac, 0, 128), "destroy closes the sessions it opened");
            assertThrows(KeyUnavailableException.class, () -> ring.open(MacAlgorithm.AES_128_CMAC, "body-1"));
        }
    }

    @Test
    void wrongPasswordAndMissingKeyAreTypedErrorsWithoutThePassword() throws Exception {
        Path file = store(dir.resolve("keys.p12"), "PKCS12", Map.of("body-1", KEY));
        KeyRing.KeyStoreException e = assertThrows(KeyRing.KeyStoreException.class,
            () -> KeyRing.load(file, KeyRing.StoreType.PKCS12, "wrong".toCharArray()));
        assertEquals(file, e.file());
        assertFalse(e.getMessage().contains("wrong"), e.getMessage());
        KeyRing ring = KeyRing.load(file, KeyRing.StoreType.PKCS12, PASSWORD);
        KeyUnavailableException missing = assertThrows(KeyUnavailableException.class, () -> ring.open(MacAlgorithm.AES_128_CMAC, "nope"));
        assertEquals("nope", missing.keyId());
    }

    /** Secret material never appears in toString, in log lines, or after it was retired. */
    @Test
    void secretsAreNeitherPrintedNorLoggedAndAreWipedWhenRetired() throws Exception {
        String hex = Fixtures.RFC4493_KEY;
        SecretKeyMaterial material = new SecretKeyMaterial("body-1", KEY);
        KeyRing ring = new KeyRing(Map.of("body-1", material));
        MacSession session = ring.open(MacAlgorithm.AES_128_CMAC, "body-1");
        for (Object o : List.of(material, ring, session)) {
            String text = o.toString().toLowerCase();
            assertFalse(text.contains(hex) || text.contains(hex.substring(0, 8)), o.getClass() + " leaks: " + text);
        }
        // the component's log lines, with a provisioned dev keystore
        Configs.RecordingLogger log = new Configs.RecordingLogger();
        PlatformInfo dev = platform("dev");
        SoftwareAuthenticatorComponent component = new SoftwareAuthenticatorComponent(
            Configs.of(SoftwareAuthenticatorComponent.Config.class, Map.of("keystore", "secoc/keys.p12",
                "keystorePasswordFile", "secoc/keys.password", "provision", true,
                "provisionKeys", new String[] {"a", "b:32"})), dev, log.logger());
        assertTrue(component.hasKey(MacAlgorithm.HMAC_SHA_256, "b"));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("secoc/keys.p12"))));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("secoc/keys.password"))));
        KeyRing loaded = KeyRing.load(dir.resolve("secoc/keys.p12"), KeyRing.StoreType.PKCS12,
            DevKeyProvisioner.readPassword(dir.resolve("secoc/keys.password")));
        String password = new String(DevKeyProvisioner.readPassword(dir.resolve("secoc/keys.password")));
        KeyStore raw = KeyStore.getInstance("PKCS12");
        try (java.io.InputStream in = Files.newInputStream(dir.resolve("secoc/keys.p12"))) {
            raw.load(in, password.toCharArray());
        }
        String keyA = HexFormat.of().formatHex(raw.getKey("a", password.toCharArray()).getEncoded());
        String keyB = HexFormat.of().formatHex(raw.getKey("b", password.toCharArray()).getEncoded());
        assertEquals(2, log.lines.size(), log.lines.toString());
        for (String line : log.lines) {
            String lower = line.toLowerCase();
            assertFalse(line.contains(password), "password logged: " + line);
            assertFalse(lower.contains(keyA.substring(0, 8)) || lower.contains(keyB.substring(0, 8)), "key logged: " + line);
            assertTrue(line.contains("dev keys provisioned") || line.contains("keys from"), line);
        }
        assertEquals(2, loaded.keyIds().size());
        // retiring wipes
        assertTrue(material.sameMaterial(new SecretKeyMaterial("x", KEY)));
        ring.destroy();
        assertTrue(material.isDestroyed());
        assertThrows(IllegalStateException.class, material::copy);
        assertFalse(material.sameMaterial(new SecretKeyMaterial("x", KEY)));
        component.deactivate();
        assertThrows(KeyUnavailableException.class, () -> component.open(MacAlgorithm.AES_128_CMAC, "a"));
    }

    @Test
    void provisioningIsRefusedOutsideTheDevProfile() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new SoftwareAuthenticatorComponent(
            Configs.of(SoftwareAuthenticatorComponent.Config.class, Map.of("keystore", "k.p12", "keystorePasswordFile", "k.pw",
                "provision", true, "provisionKeys", new String[] {"a"})), platform("headunit"), new Configs.RecordingLogger().logger()));
        assertTrue(e.getMessage().contains("dev profile only"), e.getMessage());
        assertFalse(Files.exists(dir.resolve("k.p12")));
    }

    @Test
    void provisionerNeverOverwritesAnExistingKeystore() throws Exception {
        Path file = store(dir.resolve("keys.p12"), "PKCS12", Map.of("body-1", KEY));
        byte[] before = Files.readAllBytes(file);
        assertFalse(DevKeyProvisioner.provisionIfMissing(file, dir.resolve("pw"), List.of(DevKeyProvisioner.KeySpec.parse("x")),
            new SecureRandom()));
        assertTrue(java.util.Arrays.equals(before, Files.readAllBytes(file)));
    }

    PlatformInfo platform(String profile) {
        return new PlatformInfo() {
            @Override
            public String deviceId() {
                return "test";
            }

            @Override
            public String profile() {
                return profile;
            }

            @Override
            public Path dataDir() {
                return dir;
            }

            @Override
            public Path runDir() {
                return dir;
            }
        };
    }
}
