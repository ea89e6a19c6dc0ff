package org.carapace.api.secoc;

/**
 * A Secured I-PDU could not be built ({@link VerificationResult#AUTHENTICATION_BUILD_FAILURE}): no freshness value
 * is available, the key is missing, or the authentic PDU does not fit.
 */
public class AuthenticationBuildException extends SecOcException {
    private static final long serialVersionUID = 1L;

    private final int dataId;

    public AuthenticationBuildException(int dataId, String message) {
        super(message);
        this.dataId = dataId;
    }

    public AuthenticationBuildException(int dataId, String message, Throwable cause) {
        super(message, cause);
        this.dataId = dataId;
    }

    /** The Data ID of the PDU that could not be protected. */
    public int dataId() {
        return dataId;
    }
}
