package org.carapace.api.policy;

import org.carapace.api.trust.TrustException;

/**
 * A correctly signed document tries to do what its role does not permit: an additional policy carrying revocations
 * or exemptions, or allowing an image the base policy revokes.
 */
public class RoleViolationException extends TrustException {
    private static final long serialVersionUID = 1L;

    private final PolicyKind kind;
    private final String stream;

    public RoleViolationException(PolicyKind kind, String stream, String message) {
        super(Reason.FORBIDDEN_BY_ROLE, kind + " policy " + stream + ": " + message);
        this.kind = kind;
        this.stream = stream;
    }

    public PolicyKind kind() {
        return kind;
    }

    public String stream() {
        return stream;
    }
}
