package org.carapace.api.trust;

/** The device has no trust root (none provisioned, or the provisioned one was refused): nothing verifies. */
public class NoTrustRootException extends TrustException {
    private static final long serialVersionUID = 1L;

    public NoTrustRootException(String message) {
        super(Reason.NO_TRUST_ROOT, message);
    }
}
