package org.carapace.secoc.internal;

import org.carapace.api.secoc.FreshnessManager;
import org.carapace.api.secoc.VerificationResult;

/**
 * No freshness value at all (SecOC profile 2, "24Bit-CMAC-No-FV"): the MAC covers Data ID and authentic PDU only,
 * so a replayed PDU verifies. Replay protection must then come from the application.
 */
final class NoFreshness implements FreshnessManager {

    @Override
    public int length() {
        return 0;
    }

    @Override
    public long nextTxFreshness() {
        return 0;
    }

    @Override
    public VerificationResult rxCandidate(long truncated, int truncatedLength, int attempt, long[] candidate) {
        if (attempt > 0) {
            return VerificationResult.FRESHNESS_FAILURE;
        }
        candidate[0] = 0;
        return VerificationResult.SUCCESS;
    }

    @Override
    public VerificationResult rxAccept(long freshness) {
        return VerificationResult.SUCCESS;
    }

    @Override
    public long lastAccepted() {
        return 0;
    }
}
