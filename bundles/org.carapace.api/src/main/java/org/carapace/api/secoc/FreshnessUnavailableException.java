package org.carapace.api.secoc;

/**
 * A freshness manager cannot hand out a freshness value for transmission: the counter is exhausted (counters are
 * held at their maximum, never wrapped), its reservation could not be made durable, or no synchronisation message
 * has been received yet.
 */
public class FreshnessUnavailableException extends SecOcException {
    private static final long serialVersionUID = 1L;

    public FreshnessUnavailableException(String message) {
        super(message);
    }

    public FreshnessUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
