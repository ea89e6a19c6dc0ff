package org.carapace.secoc.internal;

import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Objects;

/**
 * A secret key's bytes, wrapped so they cannot leak by accident: {@link #toString()} names only the id and length,
 * equality is constant-time, and {@link #destroy()} overwrites the bytes when the key is retired.
 */
final class SecretKeyMaterial {

    private final String keyId;
    private final byte[] material;
    private volatile boolean destroyed;

    /** Takes a copy of {@code material}; the caller should wipe its own. */
    SecretKeyMaterial(String keyId, byte[] material) {
        this.keyId = Objects.requireNonNull(keyId, "keyId");
        if (material == null || material.length == 0) {
            throw new IllegalArgumentException("key " + keyId + " is empty");
        }
        this.material = material.clone();
    }

    String keyId() {
        return keyId;
    }

    int length() {
        return material.length;
    }

    /**
     * A copy of the bytes for initialising a MAC; the caller wipes it after use.
     *
     * @throws IllegalStateException once destroyed
     */
    byte[] copy() {
        if (destroyed) {
            throw new IllegalStateException("key " + keyId + " was retired");
        }
        return material.clone();
    }

    /** Constant-time comparison of the key bytes (STYLE: secrets compared with MessageDigest.isEqual). */
    boolean sameMaterial(SecretKeyMaterial other) {
        return !destroyed && !other.destroyed && MessageDigest.isEqual(material, other.material);
    }

    boolean isDestroyed() {
        return destroyed;
    }

    /** Overwrites the bytes. Idempotent. */
    void destroy() {
        destroyed = true;
        Arrays.fill(material, (byte) 0);
    }

    @Override
    public String toString() {
        return "SecretKeyMaterial[" + keyId + ", " + 8 * material.length + " bits" + (destroyed ? ", destroyed" : "") + "]";
    }
}
