package org.carapace.api.trust;

import java.util.Collections;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * The keys of one role and how many of them must sign.
 *
 * @param keyIds the keys that may sign for the role, at least one; copied
 * @param threshold how many <em>distinct</em> keys of {@code keyIds} must sign: at least 1 (a threshold of 0 would
 *                  accept unsigned documents, Uptane §5.4.4.3) and at most the number of keys
 */
public record RoleKeys(Set<KeyId> keyIds, int threshold) {

    public RoleKeys {
        Objects.requireNonNull(keyIds, "keyIds");
        keyIds = Collections.unmodifiableSet(new TreeSet<>(keyIds));
        if (keyIds.isEmpty()) {
            throw new IllegalArgumentException("a role needs at least one key");
        }
        if (threshold < 1) {
            throw new IllegalArgumentException("a threshold must be at least 1, was " + threshold);
        }
        if (threshold > keyIds.size()) {
            throw new IllegalArgumentException("threshold " + threshold + " exceeds the " + keyIds.size() + " keys of the role");
        }
    }
}
