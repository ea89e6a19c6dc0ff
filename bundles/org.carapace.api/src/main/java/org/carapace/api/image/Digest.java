package org.carapace.api.image;

import java.util.Arrays;
import java.util.HexFormat;

/**
 * A content digest with its algorithm. The textual form is the OCI one, {@code sha256:<64 lowercase hex>} or
 * {@code sha512:<128 lowercase hex>} (image-spec descriptor.md, "Digests").
 *
 * @param algorithm the algorithm
 * @param value     the digest bytes; copied in and out
 */
public record Digest(DigestAlgorithm algorithm, byte[] value) {

    public Digest {
        if (algorithm == null || value == null) {
            throw new IllegalArgumentException("algorithm and value are required");
        }
        if (value.length != algorithm.length()) {
            throw new IllegalArgumentException(algorithm.ociName() + " digest must be " + algorithm.length()
                + " bytes, was " + value.length);
        }
        value = value.clone();
    }

    @Override
    public byte[] value() {
        return value.clone();
    }

    /** The digest value as lowercase hex, without the algorithm prefix. */
    public String hex() {
        return HexFormat.of().formatHex(value);
    }

    /**
     * Parses {@code <algorithm>:<hex>}. Only lowercase hex of the algorithm's exact length is accepted, as the
     * OCI image specification requires for sha256 and sha512.
     *
     * @throws IllegalArgumentException naming what is wrong with {@code text}
     */
    public static Digest parse(String text) {
        if (text == null) {
            throw new IllegalArgumentException("digest is missing");
        }
        int colon = text.indexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException("digest '" + abbreviate(text) + "' has no algorithm prefix (expected sha256:<hex>)");
        }
        DigestAlgorithm algorithm = DigestAlgorithm.forOciName(text.substring(0, colon));
        String hex = text.substring(colon + 1);
        if (hex.length() != algorithm.length() * 2 || !hex.chars().allMatch(c -> (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
            throw new IllegalArgumentException("digest '" + abbreviate(text) + "' is not " + algorithm.length() * 2
                + " lowercase hex digits after '" + algorithm.ociName() + ":'");
        }
        return new Digest(algorithm, HexFormat.of().parseHex(hex));
    }

    private static String abbreviate(String text) {
        return text.length() > 80 ? text.substring(0, 80) + "..." : text;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof Digest d && d.algorithm == algorithm && Arrays.equals(d.value, value);
    }

    @Override
    public int hashCode() {
        return algorithm.hashCode() * 31 + Arrays.hashCode(value);
    }

    /** The OCI textual form, e.g. {@code sha256:e3b0c442...}. */
    @Override
    public String toString() {
        return algorithm.ociName() + ":" + hex();
    }
}
