package org.carapace.api.trust;

/** A signature made by a key of the role does not verify over the envelope's pre-authentication encoding. */
public class BadSignatureException extends TrustException {
    private static final long serialVersionUID = 1L;

    private final Role role;
    private final KeyId keyId;

    public BadSignatureException(Role role, KeyId keyId) {
        super(Reason.BAD_SIGNATURE, "the signature of " + role + " key " + keyId.shortForm() + " does not verify");
        this.role = role;
        this.keyId = keyId;
    }

    public Role role() {
        return role;
    }

    public KeyId keyId() {
        return keyId;
    }
}
