package org.carapace.api.image;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/** The digest algorithms of OCI descriptors (image-spec descriptor.md, "Registered algorithms"). */
public enum DigestAlgorithm {
    SHA256("sha256", "SHA-256", 32),
    SHA512("sha512", "SHA-512", 64);

    private final String ociName;
    private final String javaName;
    private final int length;

    DigestAlgorithm(String ociName, String javaName, int length) {
        this.ociName = ociName;
        this.javaName = javaName;
        this.length = length;
    }

    /** The algorithm's name in a digest string: {@code sha256} or {@code sha512}. */
    public String ociName() {
        return ociName;
    }

    /** The JCA name, e.g. {@code SHA-256}. */
    public String javaName() {
        return javaName;
    }

    /** Length of a digest value in bytes. */
    public int length() {
        return length;
    }

    /** A new, thread-confined message digest for this algorithm. */
    public MessageDigest newMessageDigest() {
        try {
            return MessageDigest.getInstance(javaName);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(javaName + " is required of every Java platform", e);
        }
    }

    /** The digest of {@code data}. */
    public Digest digest(byte[] data) {
        return new Digest(this, newMessageDigest().digest(data));
    }

    /**
     * The algorithm with the given OCI name.
     *
     * @throws IllegalArgumentException for any other name
     */
    public static DigestAlgorithm forOciName(String name) {
        for (DigestAlgorithm algorithm : values()) {
            if (algorithm.ociName.equals(name)) {
                return algorithm;
            }
        }
        throw new IllegalArgumentException("unsupported digest algorithm '" + name + "' (supported: sha256, sha512)");
    }
}
