package org.carapace.api.trust;

import java.util.Optional;

/**
 * What a key may sign. The root document assigns keys and a threshold to each role.
 *
 * <p>{@link #ROOT}, {@link #BASE_POLICY} and {@link #ADDITIONAL_POLICY} must be defined in every root document;
 * {@link #OTA} and {@link #EVENT_AUTH} may be absent, in which case nothing verifies for them.
 */
public enum Role {
    /** Signs root documents: the initial anchor and every rotation (together with the next root's keys). */
    ROOT("root"),
    /** Signs the base policy: images, revocations and exemptions. */
    BASE_POLICY("base-policy"),
    /** Signs additional policies, which may only add images. */
    ADDITIONAL_POLICY("additional-policy"),
    /** Signs over-the-air bundle update packages. */
    OTA("ota"),
    /** Signs authenticated events and commands exchanged with the back end. */
    EVENT_AUTH("event-auth");

    private final String id;

    Role(String id) {
        this.id = id;
    }

    /** The name used in root documents, for example {@code base-policy}. */
    public String id() {
        return id;
    }

    /** Whether every root document must define this role. */
    public boolean required() {
        return this == ROOT || this == BASE_POLICY || this == ADDITIONAL_POLICY;
    }

    /** The role with this document name, if any. */
    public static Optional<Role> fromId(String id) {
        for (Role role : values()) {
            if (role.id.equals(id)) {
                return Optional.of(role);
            }
        }
        return Optional.empty();
    }

    @Override
    public String toString() {
        return id;
    }
}
