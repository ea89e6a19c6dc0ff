package org.carapace.api.trust;

/** The trust root defines no keys for the role, so nothing can be verified for it. */
public class RoleNotDefinedException extends TrustException {
    private static final long serialVersionUID = 1L;

    private final Role role;

    public RoleNotDefinedException(Role role) {
        super(Reason.ROLE_NOT_DEFINED, "the trust root defines no keys for role " + role);
        this.role = role;
    }

    public Role role() {
        return role;
    }
}
