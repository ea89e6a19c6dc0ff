package org.carapace.policy.internal;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.sec.SECObjectIdentifiers;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.crypto.CryptoException;
import org.bouncycastle.crypto.Signer;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.params.AsymmetricKeyParameter;
import org.bouncycastle.crypto.params.ECNamedDomainParameters;
import org.bouncycastle.crypto.params.ECPublicKeyParameters;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.bouncycastle.crypto.signers.DSADigestSigner;
import org.bouncycastle.crypto.signers.ECDSASigner;
import org.bouncycastle.crypto.util.PublicKeyFactory;
import org.bouncycastle.math.ec.rfc8032.Ed25519;
import org.bouncycastle.crypto.util.SubjectPublicKeyInfoFactory;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemReader;
import org.bouncycastle.util.io.pem.PemWriter;
import org.carapace.api.trust.KeyAlgorithm;
import org.carapace.api.trust.TrustedKey;

/**
 * Public keys: decoding with a canonical-encoding check (so one key has exactly one {@link
 * org.carapace.api.trust.KeyId}), PEM, and signature verification with BouncyCastle's lightweight API (no JCA
 * provider is registered: nothing global changes in the framework).
 */
public final class PublicKeys {

    private PublicKeys() {
    }

    /**
     * Decodes a DER {@code SubjectPublicKeyInfo} of the given algorithm.
     *
     * @throws IllegalArgumentException when the bytes are not exactly the canonical encoding of such a key: another
     *                                  algorithm or curve, a compressed EC point, explicit curve parameters, trailing
     *                                  bytes, or a point not on the curve
     */
    public static AsymmetricKeyParameter decode(KeyAlgorithm algorithm, byte[] spki) {
        AsymmetricKeyParameter key;
        try {
            SubjectPublicKeyInfo info = SubjectPublicKeyInfo.getInstance(ASN1Primitive.fromByteArray(spki));
            key = PublicKeyFactory.createKey(info);
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("not a DER SubjectPublicKeyInfo: " + e.getMessage(), e);
        }
        switch (algorithm) {
            case ED25519:
                if (!(key instanceof Ed25519PublicKeyParameters)) {
                    throw new IllegalArgumentException("not an Ed25519 key: " + key.getClass().getSimpleName());
                }
                break;
            case ECDSA_P256_SHA256:
                if (!(key instanceof ECPublicKeyParameters ec) || !(ec.getParameters() instanceof ECNamedDomainParameters named)
                    || !SECObjectIdentifiers.secp256r1.equals(named.getName())) {
                    throw new IllegalArgumentException("not an EC key on the named curve P-256 (secp256r1)");
                }
                break;
            default:
                throw new IllegalArgumentException("unsupported algorithm " + algorithm);
        }
        if (!Arrays.equals(encode(key), spki)) {
            throw new IllegalArgumentException("not the canonical encoding of the key (RFC 8410 / uncompressed named-curve point)");
        }
        return key;
    }

    /** The canonical DER {@code SubjectPublicKeyInfo} of a public key. */
    public static byte[] encode(AsymmetricKeyParameter publicKey) {
        try {
            return SubjectPublicKeyInfoFactory.createSubjectPublicKeyInfo(publicKey).getEncoded(ASN1Encoding.DER);
        } catch (IOException e) {
            throw new IllegalStateException("encoding a public key failed", e);
        }
    }

    /** Whether {@code signature} is a valid signature of {@code message} by {@code key}. Never throws for bad input. */
    public static boolean verify(KeyAlgorithm algorithm, AsymmetricKeyParameter key, byte[] message, byte[] signature) {
        if (algorithm == KeyAlgorithm.ED25519) {
            // RFC 8032 §5.1.7 on the message in place: Ed25519Signer would first copy it into a growing buffer
            try {
                return signature.length == Ed25519.SIGNATURE_SIZE && key instanceof Ed25519PublicKeyParameters ed
                    && ed.verify(Ed25519.Algorithm.Ed25519, null, message, 0, message.length, signature, 0);
            } catch (RuntimeException e) {
                return false;
            }
        }
        // StandardDSAEncoding accepts only the canonical DER SEQUENCE {r, s}
        Signer verifier = new DSADigestSigner(new ECDSASigner(), new SHA256Digest());
        try {
            verifier.init(false, key);
            verifier.update(message, 0, message.length);
            return verifier.verifySignature(signature);
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** A signature, for tools and tests; the device never signs. */
    static byte[] sign(Signer signer, byte[] message) {
        signer.update(message, 0, message.length);
        try {
            return signer.generateSignature();
        } catch (CryptoException e) {
            throw new IllegalStateException("signing failed", e);
        }
    }

    /** A public key as a PEM {@code PUBLIC KEY} block. */
    public static String toPem(TrustedKey key) {
        StringWriter out = new StringWriter();
        try (PemWriter pem = new PemWriter(out)) {
            pem.writeObject(new PemObject("PUBLIC KEY", key.subjectPublicKeyInfo()));
        } catch (IOException e) {
            throw new IllegalStateException("writing to a string failed", e);
        }
        return out.toString();
    }

    /**
     * Reads a PEM {@code PUBLIC KEY} block and decides its algorithm from the key itself.
     *
     * @throws IllegalArgumentException when the text holds no such block or an unsupported key
     */
    public static TrustedKey fromPem(String pem) {
        byte[] der = pemBlock(pem, "PUBLIC KEY");
        for (KeyAlgorithm algorithm : KeyAlgorithm.values()) {
            try {
                decode(algorithm, der);
                return TrustedKey.of(algorithm, der);
            } catch (IllegalArgumentException notThisOne) {
                // try the next algorithm
            }
        }
        throw new IllegalArgumentException("the PUBLIC KEY is neither a canonical Ed25519 nor a P-256 key");
    }

    static byte[] pemBlock(String text, String type) {
        try (PemReader reader = new PemReader(new StringReader(text))) {
            PemObject object = reader.readPemObject();
            if (object == null) {
                throw new IllegalArgumentException("no PEM block found");
            }
            if (!object.getType().equals(type)) {
                throw new IllegalArgumentException("expected a PEM " + type + " block, found " + object.getType());
            }
            return object.getContent();
        } catch (IOException e) {
            throw new IllegalArgumentException("unreadable PEM: " + e.getMessage(), e);
        }
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
