package org.carapace.api.monitoring;

/** The authenticator does not match the payload: the event was forged or altered on the way. */
public class InvalidAuthenticatorException extends EventAuthenticationException {
    private static final long serialVersionUID = 1L;

    public InvalidAuthenticatorException(String deviceId, String keyId) {
        super(deviceId, keyId, "authenticator of an event from " + deviceId + " (key " + keyId
            + ") does not match its payload: forged or altered");
    }
}
