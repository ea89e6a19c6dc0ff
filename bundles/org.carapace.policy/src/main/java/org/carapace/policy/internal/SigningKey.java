package org.carapace.policy.internal;

import java.io.IOException;
import java.io.StringWriter;
import java.security.SecureRandom;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.sec.SECObjectIdentifiers;
import org.bouncycastle.asn1.x9.ECNamedCurveTable;
import org.bouncycastle.crypto.AsymmetricCipherKeyPair;
import org.bouncycastle.crypto.Signer;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.generators.ECKeyPairGenerator;
import org.bouncycastle.crypto.generators.Ed25519KeyPairGenerator;
import org.bouncycastle.crypto.params.AsymmetricKeyParameter;
import org.bouncycastle.crypto.params.ECKeyGenerationParameters;
import org.bouncycastle.crypto.params.ECNamedDomainParameters;
import org.bouncycastle.crypto.params.ECPrivateKeyParameters;
import org.bouncycastle.crypto.params.ECPublicKeyParameters;
import org.bouncycastle.crypto.params.Ed25519KeyGenerationParameters;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.signers.DSADigestSigner;
import org.bouncycastle.crypto.signers.ECDSASigner;
import org.bouncycastle.crypto.signers.Ed25519Signer;
import org.bouncycastle.crypto.signers.HMacDSAKCalculator;
import org.bouncycastle.crypto.util.PrivateKeyFactory;
import org.bouncycastle.crypto.util.PrivateKeyInfoFactory;
import org.bouncycastle.math.ec.FixedPointCombMultiplier;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemWriter;
import org.carapace.api.trust.KeyAlgorithm;
import org.carapace.api.trust.KeyId;
import org.carapace.api.trust.TrustedKey;

/**
 * A private key for the back end and build pipelines (the CLI); the device holds public keys only. Read from and
 * written as unencrypted PKCS#8 PEM ({@code PRIVATE KEY}, RFC 5208/5958; Ed25519 per RFC 8410), the format
 * {@code openssl genpkey} writes. ECDSA signatures use deterministic nonces (RFC 6979).
 */
public final class SigningKey {

    private final KeyAlgorithm algorithm;
    private final AsymmetricKeyParameter privateKey;
    private final TrustedKey publicKey;

    private SigningKey(KeyAlgorithm algorithm, AsymmetricKeyParameter privateKey, AsymmetricKeyParameter publicKey) {
        this.algorithm = algorithm;
        this.privateKey = privateKey;
        this.publicKey = TrustedKey.of(algorithm, PublicKeys.encode(publicKey));
    }

    /** A new random key. */
    public static SigningKey generate(KeyAlgorithm algorithm, SecureRandom random) {
        AsymmetricCipherKeyPair pair = switch (algorithm) {
            case ED25519 -> {
                Ed25519KeyPairGenerator generator = new Ed25519KeyPairGenerator();
                generator.init(new Ed25519KeyGenerationParameters(random));
                yield generator.generateKeyPair();
            }
            case ECDSA_P256_SHA256 -> {
                ECKeyPairGenerator generator = new ECKeyPairGenerator();
                generator.init(new ECKeyGenerationParameters(p256(), random));
                yield generator.generateKeyPair();
            }
        };
        return new SigningKey(algorithm, pair.getPrivate(), pair.getPublic());
    }

    /** The Ed25519 key with this 32-byte secret (RFC 8032 §5.1.5), for known-answer tests. */
    public static SigningKey ed25519(byte[] secret) {
        Ed25519PrivateKeyParameters key = new Ed25519PrivateKeyParameters(secret, 0);
        return new SigningKey(KeyAlgorithm.ED25519, key, key.generatePublicKey());
    }

    /**
     * Reads a PKCS#8 {@code PRIVATE KEY} PEM block.
     *
     * @throws IllegalArgumentException when the text is not an unencrypted Ed25519 or P-256 private key
     */
    public static SigningKey fromPem(String pem) {
        byte[] der = PublicKeys.pemBlock(pem, "PRIVATE KEY");
        AsymmetricKeyParameter key;
        try {
            key = PrivateKeyFactory.createKey(PrivateKeyInfo.getInstance(der));
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("not a PKCS#8 private key: " + e.getMessage(), e);
        }
        if (key instanceof Ed25519PrivateKeyParameters ed) {
            return new SigningKey(KeyAlgorithm.ED25519, ed, ed.generatePublicKey());
        }
        if (key instanceof ECPrivateKeyParameters ec && ec.getParameters() instanceof ECNamedDomainParameters named
            && SECObjectIdentifiers.secp256r1.equals(named.getName())) {
            ECPublicKeyParameters pub = new ECPublicKeyParameters(
                new FixedPointCombMultiplier().multiply(named.getG(), ec.getD()).normalize(), named);
            return new SigningKey(KeyAlgorithm.ECDSA_P256_SHA256, ec, pub);
        }
        throw new IllegalArgumentException("unsupported private key (Ed25519 or ECDSA P-256 only): " + key.getClass().getSimpleName());
    }

    /** The key as a PKCS#8 PEM {@code PRIVATE KEY} block. Handle the result as a secret. */
    public String toPem() {
        StringWriter out = new StringWriter();
        try (PemWriter pem = new PemWriter(out)) {
            pem.writeObject(new PemObject("PRIVATE KEY",
                PrivateKeyInfoFactory.createPrivateKeyInfo(privateKey).getEncoded(ASN1Encoding.DER)));
        } catch (IOException e) {
            throw new IllegalStateException("encoding a private key failed", e);
        }
        return out.toString();
    }

    public KeyAlgorithm algorithm() {
        return algorithm;
    }

    public KeyId keyId() {
        return publicKey.id();
    }

    public TrustedKey publicKey() {
        return publicKey;
    }

    /** Signs a message (for envelopes: the pre-authentication encoding). */
    public byte[] sign(byte[] message) {
        Signer signer = switch (algorithm) {
            case ED25519 -> new Ed25519Signer();
            case ECDSA_P256_SHA256 -> new DSADigestSigner(new ECDSASigner(new HMacDSAKCalculator(new SHA256Digest())),
                new SHA256Digest());
        };
        signer.init(true, privateKey);
        return PublicKeys.sign(signer, message);
    }

    static ECNamedDomainParameters p256() {
        return new ECNamedDomainParameters(SECObjectIdentifiers.secp256r1, ECNamedCurveTable.getByOID(SECObjectIdentifiers.secp256r1));
    }

    @Override
    public String toString() {
        return "SigningKey[" + algorithm + " " + keyId().shortForm() + "]"; // never the secret
    }
}
