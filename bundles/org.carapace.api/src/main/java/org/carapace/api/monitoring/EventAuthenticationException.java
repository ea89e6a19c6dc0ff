package org.carapace.api.monitoring;

/** An event's authenticator does not prove that the named device produced these exact bytes. */
public class EventAuthenticationException extends EventException {
    private static final long serialVersionUID = 1L;

    private final String deviceId;
    private final String keyId;

    public EventAuthenticationException(String deviceId, String keyId, String message) {
        super(message);
        this.deviceId = deviceId;
        this.keyId = keyId;
    }

    /** The device the event claims to come from. */
    public String deviceId() {
        return deviceId;
    }

    /** The key id the envelope names. */
    public String keyId() {
        return keyId;
    }
}
