package org.carapace.api.secoc;

/**
 * The outcome of verifying one Secured I-PDU, with the numeric codes of AUTOSAR {@code SecOC_VerificationResultType}
 * (SWS SecureOnboardCommunication, type definitions; the same values reach the verification status callout).
 *
 * <p>Only {@link #SUCCESS} passes an authentic PDU up; every other result means the PDU was dropped.
 */
public enum VerificationResult {
    /** Verification successful: the MAC matched a fresh freshness value. */
    SUCCESS(0),
    /** The MAC did not match for any tried freshness value and key, or the PDU was malformed. */
    VERIFICATION_FAILURE(1),
    /** No fresh freshness value could be constructed: replayed, too old, out of the window, or not available. */
    FRESHNESS_FAILURE(2),
    /** The data to authenticate could not be built (sender side, or no key). */
    AUTHENTICATION_BUILD_FAILURE(3),
    /** Verification was skipped by configuration; the PDU is passed on unverified (never used by Carapace). */
    NO_VERIFICATION(4),
    /** Verification failed and the result was overwritten by configuration (never used by Carapace). */
    VERIFICATION_FAILURE_OVERWRITTEN(5);

    private static final VerificationResult[] BY_CODE = values();

    private final int code;

    VerificationResult(int code) {
        this.code = code;
    }

    /** The numeric value of {@code SecOC_VerificationResultType}. */
    public int code() {
        return code;
    }

    /** True only for {@link #SUCCESS}. */
    public boolean isSuccess() {
        return this == SUCCESS;
    }

    /**
     * The result with this numeric code.
     *
     * @throws IllegalArgumentException if {@code code} is not one of 0..5
     */
    public static VerificationResult ofCode(int code) {
        if (code < 0 || code >= BY_CODE.length) {
            throw new IllegalArgumentException("no SecOC verification result with code " + code);
        }
        return BY_CODE[code];
    }
}
