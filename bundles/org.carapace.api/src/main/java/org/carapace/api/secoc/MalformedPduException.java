package org.carapace.api.secoc;

/**
 * The bytes are not a Secured I-PDU of the channel's layout: too short, a length header that disagrees with the
 * length, non-zero padding bits, or longer than the configured limit. Reported as
 * {@link VerificationResult#VERIFICATION_FAILURE}.
 */
public class MalformedPduException extends VerificationException {
    private static final long serialVersionUID = 1L;

    private final int length;

    public MalformedPduException(int dataId, int length, String message) {
        super(dataId, VerificationResult.VERIFICATION_FAILURE, message);
        this.length = length;
    }

    /** The length of the rejected PDU in bytes. */
    public int length() {
        return length;
    }
}
