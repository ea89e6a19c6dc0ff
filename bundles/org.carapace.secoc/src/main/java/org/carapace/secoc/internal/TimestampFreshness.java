package org.carapace.secoc.internal;

import java.time.Clock;
import org.carapace.api.secoc.FreshnessManager;
import org.carapace.api.secoc.FreshnessUnavailableException;
import org.carapace.api.secoc.VerificationResult;

/**
 * Time-stamp freshness: the freshness value is the synchronised time in ticks (default 1 ms) since the epoch, modulo
 * 2^length. The sender uses {@code max(now, last + 1)} so values stay strictly increasing even for several PDUs per
 * tick; the receiver rebuilds the value nearest to its own time from the truncated bits and accepts it only if it
 * lies within {@code window} ticks of its time (SWS: acceptance window) and is greater than the last accepted value
 * (a replay inside the window is refused too). Both sides persist through a {@link Reservation}, so a restart
 * cannot reuse or re-accept a value even if the clock has not moved on.
 */
final class TimestampFreshness implements FreshnessManager {

    private final int length;
    private final long max;
    private final Clock clock;
    private final long tickMillis;
    private final long window;
    private final Reservation tx;
    private final Reservation rx;
    private long lastTx;
    private long last;

    TimestampFreshness(int length, Clock clock, long tickMillis, long window, Reservation tx, Reservation rx) {
        if (length < 16 || length > 64) {
            throw new IllegalArgumentException("time-stamp freshness needs 16..64 bits, not " + length);
        }
        if (tickMillis < 1) {
            throw new IllegalArgumentException("tick must be at least 1 millisecond, was " + tickMillis);
        }
        if (window < 1) {
            throw new IllegalArgumentException("time-stamp freshness needs an acceptance window of at least 1 tick, was " + window);
        }
        this.length = length;
        this.max = CounterFreshness.maxUsable(length);
        this.clock = clock;
        this.tickMillis = tickMillis;
        this.window = window;
        this.tx = tx;
        this.rx = rx;
        long nowTicks = now();
        if (length < 64 && Long.compareUnsigned(nowTicks, max >>> 1) > 0) {
            throw new IllegalArgumentException("a " + length + "-bit time stamp of " + tickMillis + " ms ticks is too short: "
                + "the current time needs more than half of it");
        }
        this.lastTx = tx.restored() == 0 ? 0 : tx.restored() - 1;
        this.last = rx.restored() == 0 ? 0 : rx.restored() - 1;
    }

    private long now() {
        return clock.millis() / tickMillis;
    }

    @Override
    public int length() {
        return length;
    }

    @Override
    public long nextTxFreshness() throws FreshnessUnavailableException {
        long value = Math.max(now(), lastTx + 1);
        if (Long.compareUnsigned(value, max) > 0) {
            throw new FreshnessUnavailableException("the " + length + "-bit time stamp is exhausted");
        }
        if (!tx.cover(value)) {
            throw new FreshnessUnavailableException("cannot reserve time stamps durably in " + tx.file().path());
        }
        lastTx = value;
        return value;
    }

    @Override
    public VerificationResult rxCandidate(long truncated, int truncatedLength, int attempt, long[] candidate) {
        if (attempt > 0) {
            return VerificationResult.FRESHNESS_FAILURE;
        }
        long now = now();
        long value;
        if (truncatedLength >= length) {
            value = truncated;
        } else {
            long mask = Bits.mask(truncatedLength);
            long step = 1L << truncatedLength;
            value = (now & ~mask) | truncated;
            // the value with these low bits nearest to our own time
            if (value > now && value - now > step / 2) {
                value -= step;
            } else if (value < now && now - value > step / 2) {
                value += step;
            }
        }
        long distance = value > now ? value - now : now - value;
        if (distance > window || Long.compareUnsigned(value, last) <= 0 || Long.compareUnsigned(value, max) > 0) {
            return VerificationResult.FRESHNESS_FAILURE;
        }
        candidate[0] = value;
        return VerificationResult.SUCCESS;
    }

    @Override
    public VerificationResult rxAccept(long freshness) {
        if (Long.compareUnsigned(freshness, last) <= 0 || !rx.cover(freshness)) {
            return VerificationResult.FRESHNESS_FAILURE;
        }
        last = freshness;
        return VerificationResult.SUCCESS;
    }

    @Override
    public long lastAccepted() {
        return last;
    }
}
