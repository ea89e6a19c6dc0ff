package org.carapace.api.secoc;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Supplies and checks the freshness values of one Data ID (the AUTOSAR Freshness Value Manager:
 * {@code SecOC_GetTxFreshness}, {@code SecOC_GetRxFreshness} and the update after a successful verification).
 *
 * <p>Values are unsigned 64-bit numbers ({@code Long.compareUnsigned} order) of {@link #length()} bits. A channel
 * calls the transmit methods under its transmit lock and the receive methods under its receive lock; an
 * implementation must still be safe if transmit and receive run at the same time. The receive methods are on the
 * hot path: they report expected failures by result code and must not allocate.
 *
 * <p>Guarantees every implementation gives, also across a restart or {@code kill -9} of the process: the transmit
 * side never hands out the same value twice, and the receive side never accepts a value that is not greater than
 * one it accepted before (see {@code docs/secoc.md}, "Persistence").
 */
@ConsumerType
public interface FreshnessManager {

    /** Length of the complete freshness value in bits, 0 to 64. */
    int length();

    /**
     * The next freshness value for transmission; it is consumed even if the PDU is never sent.
     *
     * @throws FreshnessUnavailableException if no value can be given (exhausted, not synchronised, not durable)
     */
    long nextTxFreshness() throws FreshnessUnavailableException;

    /**
     * Builds the complete freshness value a received PDU most likely used, for verification attempt
     * {@code attempt} (0 first), from the {@code truncatedLength} least significant bits it carried.
     *
     * @param candidate receives the candidate in {@code candidate[0]} when the result is SUCCESS
     * @return {@link VerificationResult#SUCCESS} if {@code candidate[0]} is fresh and worth a MAC check;
     *         {@link VerificationResult#FRESHNESS_FAILURE} if no fresh candidate exists for this attempt (replay,
     *         too old, outside the window, counter exhausted, not synchronised)
     */
    VerificationResult rxCandidate(long truncated, int truncatedLength, int attempt, long[] candidate);

    /**
     * Records that a PDU with this freshness value verified. Must be durable before it returns SUCCESS when the
     * implementation persists its state.
     *
     * @return {@link VerificationResult#SUCCESS}, or {@link VerificationResult#FRESHNESS_FAILURE} if the value is no
     *         longer fresh or its acceptance could not be recorded; the PDU is then dropped
     */
    VerificationResult rxAccept(long freshness);

    /** The last value accepted on receive (unsigned), or 0 if none. For diagnostics and failure reports. */
    long lastAccepted();
}
