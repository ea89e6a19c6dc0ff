package org.carapace.api.secoc;

/** An authenticator has no usable key with the requested id for the requested algorithm. */
public class KeyUnavailableException extends SecOcException {
    private static final long serialVersionUID = 1L;

    private final String keyId;

    public KeyUnavailableException(String keyId, String message) {
        super(message);
        this.keyId = keyId;
    }

    /** The key id that was asked for. */
    public String keyId() {
        return keyId;
    }
}
