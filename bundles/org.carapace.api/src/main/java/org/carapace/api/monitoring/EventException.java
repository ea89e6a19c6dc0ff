package org.carapace.api.monitoring;

/** Base of every failure to read, authenticate or accept a monitoring event. */
public class EventException extends Exception {
    private static final long serialVersionUID = 1L;

    public EventException(String message) {
        super(message);
    }

    public EventException(String message, Throwable cause) {
        super(message, cause);
    }
}
