package org.carapace.secoc.internal;

import org.carapace.api.secoc.FreshnessManager;
import org.carapace.api.secoc.FreshnessUnavailableException;
import org.carapace.api.secoc.VerificationResult;

/**
 * The freshness of a JASPAR synchronisation channel: the value is the domain's {@code trip | reset} pair itself,
 * transmitted in full, so a synchronisation message is a Secured I-PDU with an empty authentic PDU whose trailer
 * carries the complete trip and reset counters and whose MAC authenticates them. The master sends its pair (and
 * repeats it periodically: the one exception to "never the same value twice", harmless because a repeat changes
 * nothing); a slave accepts a pair its {@link JasparDomain} takes and adopts it.
 */
final class JasparSyncFreshness implements FreshnessManager {

    private final JasparDomain domain;
    private final JasparLayout layout;

    JasparSyncFreshness(JasparDomain domain) {
        this.domain = domain;
        this.layout = domain.layout();
    }

    @Override
    public int length() {
        return layout.trip() + layout.reset();
    }

    @Override
    public long nextTxFreshness() throws FreshnessUnavailableException {
        if (domain.role() != JasparDomain.Role.MASTER) {
            throw new FreshnessUnavailableException("JASPAR domain " + domain.name() + " is a slave: only the master sends "
                + "synchronisation messages");
        }
        return domain.tripReset();
    }

    @Override
    public VerificationResult rxCandidate(long truncated, int truncatedLength, int attempt, long[] candidate) {
        if (attempt > 0 || truncatedLength != length() || !domain.acceptable(truncated)) {
            return VerificationResult.FRESHNESS_FAILURE;
        }
        candidate[0] = truncated;
        return VerificationResult.SUCCESS;
    }

    @Override
    public VerificationResult rxAccept(long freshness) {
        return domain.synchronise(freshness) ? VerificationResult.SUCCESS : VerificationResult.FRESHNESS_FAILURE;
    }

    @Override
    public long lastAccepted() {
        return domain.tripReset();
    }
}
