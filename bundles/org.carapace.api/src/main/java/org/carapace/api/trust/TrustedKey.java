package org.carapace.api.trust;

import java.util.Arrays;
import java.util.Objects;

/**
 * A public key named in a trust root.
 *
 * <p>The id must be the SHA-256 of the encoded key (see {@link KeyId}); the constructor checks it. Whether the
 * bytes are a canonical encoding of a key of {@link #algorithm()} is checked by the implementation that parses
 * root documents, which refuses anything else.
 *
 * @param id the key id, {@code KeyId.of(subjectPublicKeyInfo)}
 * @param algorithm the signature scheme this key is used with
 * @param subjectPublicKeyInfo the DER-encoded {@code SubjectPublicKeyInfo}; copied in and out
 */
public record TrustedKey(KeyId id, KeyAlgorithm algorithm, byte[] subjectPublicKeyInfo) {

    public TrustedKey {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(algorithm, "algorithm");
        Objects.requireNonNull(subjectPublicKeyInfo, "subjectPublicKeyInfo");
        subjectPublicKeyInfo = subjectPublicKeyInfo.clone();
        KeyId derived = KeyId.of(subjectPublicKeyInfo);
        if (!derived.equals(id)) {
            throw new IllegalArgumentException("key id " + id + " is not the SHA-256 of its public key (" + derived + ")");
        }
    }

    /** A key whose id is derived from its encoding. */
    public static TrustedKey of(KeyAlgorithm algorithm, byte[] subjectPublicKeyInfo) {
        return new TrustedKey(KeyId.of(subjectPublicKeyInfo), algorithm, subjectPublicKeyInfo);
    }

    @Override
    public byte[] subjectPublicKeyInfo() {
        return subjectPublicKeyInfo.clone();
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof TrustedKey that && id.equals(that.id) && algorithm == that.algorithm
            && Arrays.equals(subjectPublicKeyInfo, that.subjectPublicKeyInfo);
    }

    @Override
    public int hashCode() {
        return id.hashCode();
    }

    @Override
    public String toString() {
        return "TrustedKey[" + algorithm + " " + id + "]";
    }
}
