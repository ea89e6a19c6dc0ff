package org.carapace.api.policy;

import java.util.Optional;

/** What the device does when an image or a running container breaks its rules. */
public enum EnforcementMode {
    /** Refuse and report. The default. */
    ENFORCE("enforce"),
    /** Allow but report every violation; for bringing up a new image. */
    AUDIT("audit");

    private final String id;

    EnforcementMode(String id) {
        this.id = id;
    }

    public String id() {
        return id;
    }

    public static Optional<EnforcementMode> fromId(String id) {
        for (EnforcementMode mode : values()) {
            if (mode.id.equals(id)) {
                return Optional.of(mode);
            }
        }
        return Optional.empty();
    }

    @Override
    public String toString() {
        return id;
    }
}
