package org.carapace.api.trust;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Identifies a public key: the lowercase hexadecimal SHA-256 of the key's canonical DER-encoded
 * {@code SubjectPublicKeyInfo} (RFC 5280 §4.1.2.7; Ed25519 per RFC 8410, P-256 with the named-curve OID and an
 * uncompressed point). Because the id is derived from the key, one key has exactly one id, which is what lets
 * thresholds be counted over distinct keys.
 *
 * @param hex 64 lowercase hexadecimal characters
 */
public record KeyId(String hex) implements Comparable<KeyId> {

    private static final Pattern HEX64 = Pattern.compile("[0-9a-f]{64}");

    public KeyId {
        Objects.requireNonNull(hex, "hex");
        if (!HEX64.matcher(hex).matches()) {
            throw new IllegalArgumentException("a key id is 64 lowercase hex characters, was '" + abbreviate(hex) + "'");
        }
    }

    /** The id of a key given as its canonical DER {@code SubjectPublicKeyInfo}. */
    public static KeyId of(byte[] subjectPublicKeyInfo) {
        Objects.requireNonNull(subjectPublicKeyInfo, "subjectPublicKeyInfo");
        try {
            return new KeyId(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(subjectPublicKeyInfo)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }

    /** Whether a string is a well-formed key id. */
    public static boolean isValid(String hex) {
        return hex != null && HEX64.matcher(hex).matches();
    }

    /** The first 12 characters, for log lines and human output. */
    public String shortForm() {
        return hex.substring(0, 12);
    }

    @Override
    public int compareTo(KeyId other) {
        return hex.compareTo(other.hex);
    }

    @Override
    public String toString() {
        return hex;
    }

    static String abbreviate(String value) {
        return value.length() <= 80 ? value : value.substring(0, 77) + "...";
    }
}
