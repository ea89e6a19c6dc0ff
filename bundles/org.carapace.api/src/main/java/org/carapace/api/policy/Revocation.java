package org.carapace.api.policy;

import java.util.Objects;

/**
 * A digest that must never run, whatever allows it: it matches an image's rootfs digest or its manifest digest.
 * Only the base policy revokes, and no additional policy can lift a revocation.
 *
 * @param digest {@code sha256:<hex>}
 * @param reason why, for people (may be empty), at most 1024 characters
 */
public record Revocation(String digest, String reason) {

    public Revocation {
        Checks.digest("revoked digest", digest);
        Objects.requireNonNull(reason, "reason");
        if (reason.length() > 1024) {
            throw new IllegalArgumentException("revocation reason longer than 1024 characters");
        }
    }
}
