package org.carapace.api.monitoring;

/** The verifier holds no key for this device, or not the key the envelope names. */
public class UnknownEventKeyException extends EventAuthenticationException {
    private static final long serialVersionUID = 1L;

    private final String expectedKeyId;

    public UnknownEventKeyException(String deviceId, String keyId, String expectedKeyId) {
        super(deviceId, keyId, "no key " + keyId + " for device " + deviceId
            + (expectedKeyId == null ? "" : " (the verifier holds " + expectedKeyId + ")"));
        this.expectedKeyId = expectedKeyId;
    }

    /** The key id the verifier holds for the device, or {@code null} when it holds none. */
    public String expectedKeyId() {
        return expectedKeyId;
    }
}
