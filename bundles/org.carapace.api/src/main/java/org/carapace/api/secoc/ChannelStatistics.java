package org.carapace.api.secoc;

/**
 * Counters of one channel since it was activated.
 *
 * @param protectedPdus PDUs protected for transmission
 * @param buildFailures PDUs that could not be protected
 * @param verified PDUs that verified and were passed up
 * @param macFailures PDUs dropped because no MAC matched
 * @param freshnessFailures PDUs dropped for freshness
 * @param malformed PDUs dropped because they did not have the channel's layout (reported as verification
 *                  failures, counted here and not in {@code macFailures})
 * @param eventsPosted security events posted for dropped PDUs
 * @param failuresAggregated dropped PDUs folded into an aggregated event instead of an event of their own
 */
public record ChannelStatistics(long protectedPdus, long buildFailures, long verified, long macFailures,
                                long freshnessFailures, long malformed, long eventsPosted, long failuresAggregated) {

    /** Every dropped PDU: MAC failures, freshness failures and malformed PDUs. */
    public long dropped() {
        return macFailures + freshnessFailures + malformed;
    }
}
