package org.carapace.secoc.internal;

import org.carapace.api.secoc.VerificationResult;

/**
 * Where a channel reports a dropped PDU. Called on the receive hot path under the channel's receive lock: must be
 * cheap and must not allocate (the event aggregator only counts; events are posted later, rate-limited).
 */
interface FailureSink {

    /**
     * @param result VERIFICATION_FAILURE or FRESHNESS_FAILURE
     * @param parseCode a negative {@link PduCodec} code if the PDU was malformed, else 0
     * @param truncatedFreshness the freshness bits the PDU carried (0 if malformed)
     */
    void dropped(VerificationResult result, int parseCode, long truncatedFreshness);

    FailureSink IGNORE = (result, parseCode, truncated) -> { };
}
