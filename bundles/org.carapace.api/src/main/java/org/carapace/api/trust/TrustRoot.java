package org.carapace.api.trust;

import java.time.Instant;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The device's trust anchor: every signer's public key and, per role, which keys may sign and how many must.
 *
 * <p>A root document travels in an {@link Envelope} of type {@link #PAYLOAD_TYPE}, signed by the threshold of its
 * own {@link Role#ROOT} keys. A new root replaces the current one only if its version is exactly one more and it
 * is signed by the root-role thresholds of both the current and the new root (TUF §5.3.4, Uptane §5.4.4.3).
 *
 * @param version at least 1; each rotation adds exactly 1
 * @param expires after this instant nothing verifies under this root (freeze protection); empty for no expiry
 * @param keys every key the roles refer to, by id; copied
 * @param roles the keys and threshold of each defined role; {@link Role#required() required} roles must be
 *              present; copied
 */
public record TrustRoot(long version, Optional<Instant> expires, Map<KeyId, TrustedKey> keys, Map<Role, RoleKeys> roles) {

    /** DSSE payload type of a root document. */
    public static final String PAYLOAD_TYPE = "application/vnd.carapace.root+json";

    public TrustRoot {
        if (version < 1) {
            throw new IllegalArgumentException("a root version must be at least 1, was " + version);
        }
        Objects.requireNonNull(expires, "expires");
        Objects.requireNonNull(keys, "keys");
        Objects.requireNonNull(roles, "roles");
        keys.forEach((id, key) -> {
            if (!id.equals(key.id())) {
                throw new IllegalArgumentException("key listed under id " + id + " has id " + key.id());
            }
        });
        keys = Collections.unmodifiableMap(new TreeMap<>(keys));
        EnumMap<Role, RoleKeys> copy = new EnumMap<>(Role.class);
        copy.putAll(roles);
        for (Role role : Role.values()) {
            if (role.required() && !copy.containsKey(role)) {
                throw new IllegalArgumentException("a root must define the role " + role);
            }
        }
        for (Map.Entry<Role, RoleKeys> entry : copy.entrySet()) {
            for (KeyId id : entry.getValue().keyIds()) {
                if (!keys.containsKey(id)) {
                    throw new IllegalArgumentException("role " + entry.getKey() + " names key " + id + ", which the root does not list");
                }
            }
        }
        roles = Collections.unmodifiableMap(copy);
    }

    /** The keys and threshold of a role, if the root defines it. */
    public Optional<RoleKeys> role(Role role) {
        return Optional.ofNullable(roles.get(role));
    }

    /** The key with this id, if the root lists it. */
    public Optional<TrustedKey> key(KeyId id) {
        return Optional.ofNullable(keys.get(id));
    }

    /** Whether the root has expired at {@code now}. */
    public boolean expiredAt(Instant now) {
        return expires.isPresent() && !now.isBefore(expires.get());
    }
}
