package org.carapace.api.trust;

import java.util.Optional;

/** The signature schemes a trust root may name for a key. */
public enum KeyAlgorithm {
    /** Ed25519 (RFC 8032, pure EdDSA over the message). */
    ED25519("ed25519"),
    /** ECDSA over NIST P-256 with SHA-256; signatures are DER-encoded {@code SEQUENCE {r, s}} (RFC 3279). */
    ECDSA_P256_SHA256("ecdsa-p256-sha256");

    private final String id;

    KeyAlgorithm(String id) {
        this.id = id;
    }

    /** The name used in documents and on the command line. */
    public String id() {
        return id;
    }

    /** The algorithm with this document name, if any. */
    public static Optional<KeyAlgorithm> fromId(String id) {
        for (KeyAlgorithm algorithm : values()) {
            if (algorithm.id.equals(id)) {
                return Optional.of(algorithm);
            }
        }
        return Optional.empty();
    }

    @Override
    public String toString() {
        return id;
    }
}
