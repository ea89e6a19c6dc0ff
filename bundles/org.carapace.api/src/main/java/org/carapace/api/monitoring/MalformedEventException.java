package org.carapace.api.monitoring;

/**
 * Bytes that claim to be an event, envelope, key file or IdsM frame are not one: bad JSON, a missing or mistyped
 * member, a value out of range, an unsupported version. {@link #element()} names what was wrong.
 */
public class MalformedEventException extends EventException {
    private static final long serialVersionUID = 1L;

    private final String element;

    public MalformedEventException(String element, String message) {
        super(element + ": " + message);
        this.element = element;
    }

    public MalformedEventException(String element, String message, Throwable cause) {
        super(element + ": " + message, cause);
        this.element = element;
    }

    /** The member, field or frame that was wrong, e.g. {@code seq} or {@code envelope.signatures}. */
    public String element() {
        return element;
    }
}
