package org.carapace.secoc.internal;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.carapace.api.secoc.VerificationResult;
import org.carapace.api.events.SecurityEvent;
import org.carapace.api.events.SecurityEventType;

/**
 * Turns dropped PDUs into rate-limited security events. The receive path only increments counters (no allocation,
 * no EventAdmin call); {@link #flush()}, run every interval by the channel's scheduler, posts at most one
 * {@code SECOC_VERIFICATION_FAILED} and one {@code SECOC_FRESHNESS_FAILED} event per interval with the number of
 * PDUs it stands for as its count (IdsM-style aggregation). A flood of forged frames thus costs EventAdmin one event
 * per second, and every aggregated PDU is still counted.
 */
final class EventAggregator implements FailureSink {

    static final String SENSOR = "org.carapace.secoc";

    private final String channel;
    private final int dataId;
    private final Consumer<SecurityEvent> poster;
    private final AtomicLong macFailures = new AtomicLong();
    private final AtomicLong malformed = new AtomicLong();
    private final AtomicLong freshnessFailures = new AtomicLong();
    private volatile long lastTruncated;
    private volatile int lastParseCode;
    private final AtomicLong eventsPosted = new AtomicLong();
    private final AtomicLong aggregated = new AtomicLong();

    EventAggregator(String channel, int dataId, Consumer<SecurityEvent> poster) {
        this.channel = channel;
        this.dataId = dataId;
        this.poster = poster;
    }

    @Override
    public void dropped(VerificationResult result, int parseCode, long truncatedFreshness) {
        if (result == VerificationResult.FRESHNESS_FAILURE) {
            freshnessFailures.incrementAndGet();
        } else if (parseCode < 0) {
            malformed.incrementAndGet();
            lastParseCode = parseCode;
        } else {
            macFailures.incrementAndGet();
        }
        lastTruncated = truncatedFreshness;
    }

    /** Posts what accumulated since the last flush. Answers how many events it posted. */
    int flush() {
        int posted = 0;
        long mac = macFailures.getAndSet(0);
        long bad = malformed.getAndSet(0);
        if (mac + bad > 0) {
            Map<String, Object> context = context(VerificationResult.VERIFICATION_FAILURE);
            context.put("macFailures", mac);
            context.put("malformed", bad);
            if (bad > 0) {
                context.put("lastMalformation", PduCodec.describe(lastParseCode));
            }
            post(SecurityEventType.SECOC_VERIFICATION_FAILED, mac + bad, "SecOC PDUs dropped on channel " + channel
                + ": MAC verification failed (" + mac + ") or malformed (" + bad + ")", context);
            posted++;
        }
        long stale = freshnessFailures.getAndSet(0);
        if (stale > 0) {
            post(SecurityEventType.SECOC_FRESHNESS_FAILED, stale, "SecOC PDUs dropped on channel " + channel
                + ": freshness failure (replayed, too old or freshness not available)", context(VerificationResult.FRESHNESS_FAILURE));
            posted++;
        }
        return posted;
    }

    private Map<String, Object> context(VerificationResult result) {
        Map<String, Object> context = new LinkedHashMap<>();
        context.put("channel", channel);
        context.put("dataId", dataId);
        context.put("result", result.name());
        context.put("resultCode", result.code());
        context.put("lastTruncatedFreshness", Long.toUnsignedString(lastTruncated));
        return context;
    }

    private void post(SecurityEventType type, long count, String message, Map<String, Object> context) {
        int reported = (int) Math.min(Integer.MAX_VALUE, count);
        context.put("aggregated", count);
        // counted before posting, so that whoever sees the event also sees it in the statistics
        eventsPosted.incrementAndGet();
        aggregated.addAndGet(count - 1);
        poster.accept(new SecurityEvent(type, SENSOR, message, reported, context));
    }

    /** {events posted, dropped PDUs folded into another PDU's event}. */
    long[] counts() {
        return new long[] {eventsPosted.get(), aggregated.get()};
    }
}
