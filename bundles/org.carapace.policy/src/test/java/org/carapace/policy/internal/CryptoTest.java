package org.carapace.policy.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HexFormat;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1Sequence;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.crypto.params.ECPublicKeyParameters;
import org.carapace.api.trust.Envelope;
import org.carapace.api.trust.KeyAlgorithm;
import org.carapace.api.trust.KeyId;
import org.carapace.api.trust.TrustedKey;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Known answers and properties of the signature layer. */
class CryptoTest {

    private static final HexFormat HEX = HexFormat.of();

    @Test
    @DisplayName("Ed25519 RFC 8032 §7.1 test 1: public key and signature of the empty message")
    void ed25519KnownAnswer() {
        SigningKey key = SigningKey.ed25519(HEX.parseHex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"));
        TrustedKey publicKey = key.publicKey();
        byte[] raw = SubjectPublicKeyInfo.getInstance(publicKey.subjectPublicKeyInfo()).getPublicKeyData().getBytes();
        assertEquals("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", HEX.formatHex(raw));
        byte[] signature = key.sign(new byte[0]);
        assertEquals("e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
            + "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b", HEX.formatHex(signature));
        var decoded = PublicKeys.decode(KeyAlgorithm.ED25519, publicKey.subjectPublicKeyInfo());
        assertTrue(PublicKeys.verify(KeyAlgorithm.ED25519, decoded, new byte[0], signature));
        signature[63] ^= 0x01;
        assertFalse(PublicKeys.verify(KeyAlgorithm.ED25519, decoded, new byte[0], signature));
        assertFalse(PublicKeys.verify(KeyAlgorithm.ED25519, decoded, new byte[] {0}, key.sign(new byte[0])));
    }

    @Test
    @DisplayName("DSSE PAE of the DSSE specification's example")
    void preAuthenticationEncoding() {
        byte[] pae = Envelope.preAuthenticationEncoding("http://example.com/HelloWorld", "hello world".getBytes(StandardCharsets.UTF_8));
        assertEquals("DSSEv1 29 http://example.com/HelloWorld 11 hello world", new String(pae, StandardCharsets.UTF_8));
        // lengths are byte counts, not character counts
        byte[] utf8 = Envelope.preAuthenticationEncoding("t", "é".getBytes(StandardCharsets.UTF_8));
        assertEquals("DSSEv1 1 t 2 é", new String(utf8, StandardCharsets.UTF_8));
    }

    @Test
    void keyIdIsTheSha256OfTheCanonicalSubjectPublicKeyInfo() {
        SigningKey key = Fixtures.ROOT_1;
        assertEquals(Hashing.sha256(key.publicKey().subjectPublicKeyInfo()), key.keyId().hex());
        assertEquals(key.keyId(), KeyId.of(key.publicKey().subjectPublicKeyInfo()));
        assertThrows(IllegalArgumentException.class,
            () -> new TrustedKey(Fixtures.ROOT_2.keyId(), KeyAlgorithm.ED25519, key.publicKey().subjectPublicKeyInfo()));
    }

    @Test
    void ecdsaP256SignsDeterministicallyAndVerifiesOnlyCanonicalDer() throws Exception {
        SigningKey key = SigningKey.generate(KeyAlgorithm.ECDSA_P256_SHA256, new SecureRandom());
        byte[] message = "message".getBytes(StandardCharsets.UTF_8);
        byte[] signature = key.sign(message);
        assertArrayEquals(signature, key.sign(message), "RFC 6979 nonces make signatures deterministic");
        var decoded = PublicKeys.decode(KeyAlgorithm.ECDSA_P256_SHA256, key.publicKey().subjectPublicKeyInfo());
        assertTrue(PublicKeys.verify(KeyAlgorithm.ECDSA_P256_SHA256, decoded, message, signature));
        assertFalse(PublicKeys.verify(KeyAlgorithm.ECDSA_P256_SHA256, decoded, "other".getBytes(StandardCharsets.UTF_8), signature));
        // the same (r, s) with a redundant leading zero byte in r is not canonical DER: refused
        ASN1Sequence sequence = ASN1Sequence.getInstance(signature);
        byte[] r = ASN1Integer.getInstance(sequence.getObjectAt(0)).getValue().toByteArray();
        byte[] s = ASN1Integer.getInstance(sequence.getObjectAt(1)).getValue().toByteArray();
        byte[] mangled = new byte[2 + 2 + r.length + 1 + 2 + s.length];
        int i = 0;
        mangled[i++] = 0x30;
        mangled[i++] = (byte) (mangled.length - 2);
        mangled[i++] = 0x02;
        mangled[i++] = (byte) (r.length + 1);
        mangled[i++] = 0x00;
        System.arraycopy(r, 0, mangled, i, r.length);
        i += r.length;
        mangled[i++] = 0x02;
        mangled[i++] = (byte) s.length;
        System.arraycopy(s, 0, mangled, i, s.length);
        assertNotEquals(signature.length, mangled.length);
        assertFalse(PublicKeys.verify(KeyAlgorithm.ECDSA_P256_SHA256, decoded, message, mangled));
        assertFalse(PublicKeys.verify(KeyAlgorithm.ED25519, decoded, message, signature), "algorithm mismatch never verifies");
    }

    @Test
    void compressedEcPointIsNotCanonicalAndIsRefused() throws Exception {
        SigningKey key = SigningKey.generate(KeyAlgorithm.ECDSA_P256_SHA256, new SecureRandom());
        ECPublicKeyParameters pub = (ECPublicKeyParameters) PublicKeys.decode(KeyAlgorithm.ECDSA_P256_SHA256,
            key.publicKey().subjectPublicKeyInfo());
        SubjectPublicKeyInfo info = SubjectPublicKeyInfo.getInstance(key.publicKey().subjectPublicKeyInfo());
        byte[] compressed = new SubjectPublicKeyInfo(info.getAlgorithm(), pub.getQ().getEncoded(true)).getEncoded();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
            () -> PublicKeys.decode(KeyAlgorithm.ECDSA_P256_SHA256, compressed));
        assertTrue(e.getMessage().contains("canonical"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
            () -> PublicKeys.decode(KeyAlgorithm.ED25519, key.publicKey().subjectPublicKeyInfo()), "an EC key is not an Ed25519 key");
        byte[] trailing = Arrays.copyOf(key.publicKey().subjectPublicKeyInfo(), key.publicKey().subjectPublicKeyInfo().length + 1);
        assertThrows(IllegalArgumentException.class, () -> PublicKeys.decode(KeyAlgorithm.ECDSA_P256_SHA256, trailing));
    }

    @Test
    void pemRoundTripsForBothAlgorithms() {
        for (KeyAlgorithm algorithm : KeyAlgorithm.values()) {
            SigningKey key = SigningKey.generate(algorithm, new SecureRandom());
            SigningKey read = SigningKey.fromPem(key.toPem());
            assertEquals(key.keyId(), read.keyId());
            assertEquals(algorithm, read.algorithm());
            assertEquals(key.publicKey(), PublicKeys.fromPem(PublicKeys.toPem(key.publicKey())));
            assertTrue(key.toPem().startsWith("-----BEGIN PRIVATE KEY-----"));
            assertFalse(key.toString().contains("PRIVATE"), "toString never shows the secret");
        }
        assertThrows(IllegalArgumentException.class, () -> SigningKey.fromPem(PublicKeys.toPem(Fixtures.ROOT_1.publicKey())));
        assertThrows(IllegalArgumentException.class, () -> SigningKey.fromPem("not pem"));
    }

    @Test
    @DisplayName("keys made by openssl genpkey load and produce signatures openssl's public key verifies")
    void opensslKeysInteroperate(@TempDir Path dir) throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/openssl")), "openssl is not installed");
        for (String[] spec : new String[][] {{"ed25519", "-algorithm", "ed25519"},
            {"p256", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"}}) {
            Path pem = dir.resolve(spec[0] + ".pem");
            String[] command = new String[spec.length + 3];
            command[0] = "openssl";
            command[1] = "genpkey";
            System.arraycopy(spec, 1, command, 2, spec.length - 1);
            command[command.length - 2] = "-out";
            command[command.length - 1] = pem.toString();
            assertEquals(0, new ProcessBuilder(command).redirectErrorStream(true).start().waitFor());
            Process pub = new ProcessBuilder("openssl", "pkey", "-in", pem.toString(), "-pubout").start();
            String publicPem = new String(pub.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
            assertEquals(0, pub.waitFor());
            SigningKey key = SigningKey.fromPem(Files.readString(pem));
            assertEquals(key.publicKey(), PublicKeys.fromPem(publicPem), spec[0]);
        }
    }
}
