package org.carapace.api.trust;

/** An envelope carries a payload of another type than required (for example an OTA package offered as a policy). */
public class WrongPayloadTypeException extends TrustException {
    private static final long serialVersionUID = 1L;

    private final String expected;
    private final String actual;

    public WrongPayloadTypeException(String expected, String actual) {
        super(Reason.WRONG_PAYLOAD_TYPE, "payload type is '" + actual + "', expected '" + expected + "'");
        this.expected = expected;
        this.actual = actual;
    }

    public String expected() {
        return expected;
    }

    public String actual() {
        return actual;
    }
}
