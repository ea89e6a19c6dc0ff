package org.carapace.api.policy;

import java.util.Optional;
import org.carapace.api.trust.Role;

/** The two kinds of policy document, each signed by its own role and travelling under its own payload type. */
public enum PolicyKind {
    /** The device's base policy: images, revocations and exemptions; one stream named {@code base}. */
    BASE("base", Role.BASE_POLICY, "application/vnd.carapace.policy.base+json"),
    /** An additional policy: images only, in a stream of its own. */
    ADDITIONAL("additional", Role.ADDITIONAL_POLICY, "application/vnd.carapace.policy.additional+json");

    private final String id;
    private final Role role;
    private final String payloadType;

    PolicyKind(String id, Role role, String payloadType) {
        this.id = id;
        this.role = role;
        this.payloadType = payloadType;
    }

    /** The document's {@code kind} value. */
    public String id() {
        return id;
    }

    /** The role whose threshold must sign documents of this kind. */
    public Role role() {
        return role;
    }

    /**
     * The DSSE payload type. It is covered by the signatures, so the role that must have signed is known before the
     * payload is parsed, and a document cannot be re-labelled as the other kind.
     */
    public String payloadType() {
        return payloadType;
    }

    public static Optional<PolicyKind> fromId(String id) {
        for (PolicyKind kind : values()) {
            if (kind.id.equals(id)) {
                return Optional.of(kind);
            }
        }
        return Optional.empty();
    }

    public static Optional<PolicyKind> fromPayloadType(String payloadType) {
        for (PolicyKind kind : values()) {
            if (kind.payloadType.equals(payloadType)) {
                return Optional.of(kind);
            }
        }
        return Optional.empty();
    }

    @Override
    public String toString() {
        return id;
    }
}
