package org.carapace.api.secoc;

/** The MAC did not match for any freshness candidate and key ({@link VerificationResult#VERIFICATION_FAILURE}). */
public class MacVerificationException extends VerificationException {
    private static final long serialVersionUID = 1L;

    private final int attempts;

    public MacVerificationException(int dataId, int attempts, String message) {
        super(dataId, VerificationResult.VERIFICATION_FAILURE, message);
        this.attempts = attempts;
    }

    /** How many freshness candidates were tried. */
    public int attempts() {
        return attempts;
    }
}
