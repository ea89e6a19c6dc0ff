package org.carapace.api.secoc;

/**
 * No fresh freshness value could be built for the received PDU ({@link VerificationResult#FRESHNESS_FAILURE}):
 * a replay, a PDU older than the last accepted one, one outside the acceptance window, or no freshness available.
 */
public class FreshnessException extends VerificationException {
    private static final long serialVersionUID = 1L;

    private final long receivedTruncated;
    private final long lastAccepted;

    public FreshnessException(int dataId, long receivedTruncated, long lastAccepted, String message) {
        super(dataId, VerificationResult.FRESHNESS_FAILURE, message);
        this.receivedTruncated = receivedTruncated;
        this.lastAccepted = lastAccepted;
    }

    /** The truncated freshness value the PDU carried (its least significant bits). */
    public long receivedTruncated() {
        return receivedTruncated;
    }

    /** The last freshness value the receiver accepted (unsigned). */
    public long lastAccepted() {
        return lastAccepted;
    }
}
