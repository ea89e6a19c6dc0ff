package org.carapace.secoc.internal;

import org.carapace.api.secoc.FreshnessManager;
import org.carapace.api.secoc.FreshnessUnavailableException;
import org.carapace.api.secoc.VerificationResult;

/**
 * Counter-based freshness of one Data ID (SWS SecureOnboardCommunication, freshness value construction with a
 * monotonic counter). The sender counts up from 1 and holds at the maximum (never wraps); the receiver rebuilds
 * the complete value from the received least significant bits:
 *
 * <ul>
 *   <li>if the whole value was transmitted, take it as it is;</li>
 *   <li>else if the received LSBs are greater than those of the last accepted value, candidate = its MSBs | the
 *       received LSBs;</li>
 *   <li>otherwise candidate = (its MSBs + 1) | the received LSBs;</li>
 *   <li>further verify attempts add 2^(transmitted bits) each (lost PDUs);</li>
 * </ul>
 * and accepts only a candidate strictly greater than the last accepted value and, if a window is set, at most
 * {@code window} above it. Both sides persist through a {@link Reservation}.
 */
final class CounterFreshness implements FreshnessManager {

    private final int length;
    private final long max;
    private final long window;
    private final Reservation tx;
    private final Reservation rx;
    private long next;
    private long last;

    /**
     * @param window largest accepted step above the last accepted value; 0 for no limit
     */
    CounterFreshness(int length, long window, Reservation tx, Reservation rx) {
        if (length < 1 || length > 64) {
            throw new IllegalArgumentException("counter freshness needs 1..64 bits, not " + length);
        }
        this.length = length;
        this.max = maxUsable(length);
        this.window = window;
        this.tx = tx;
        this.rx = rx;
        this.next = Math.max(1, tx.restored());
        long restored = rx.restored();
        this.last = restored == 0 ? 0 : restored - 1;
    }

    /** The largest value a counter of {@code length} bits uses (one less for 64 bits, so the limit still fits). */
    static long maxUsable(int length) {
        return length == 64 ? -2L : Bits.mask(length);
    }

    /** One past the largest usable value: the reservation ceiling. */
    static long ceiling(int length) {
        return length == 64 ? -1L : Bits.mask(length) + 1;
    }

    @Override
    public int length() {
        return length;
    }

    @Override
    public long nextTxFreshness() throws FreshnessUnavailableException {
        long value = next;
        if (Long.compareUnsigned(value, max) > 0 || value == 0) {
            throw new FreshnessUnavailableException("the " + length + "-bit counter is exhausted (held at its maximum)");
        }
        if (!tx.cover(value)) {
            throw new FreshnessUnavailableException("cannot reserve counter values durably in " + tx.file().path()
                + (tx.lastFailure() == null ? "" : ": " + tx.lastFailure().getMessage()));
        }
        next = value + 1;
        return value;
    }

    @Override
    public VerificationResult rxCandidate(long truncated, int truncatedLength, int attempt, long[] candidate) {
        long value;
        long stored = last;
        if (truncatedLength >= length) {
            if (attempt > 0) {
                return VerificationResult.FRESHNESS_FAILURE; // one candidate only: the value itself
            }
            value = truncated;
        } else {
            long mask = Bits.mask(truncatedLength);
            long step = 1L << truncatedLength;
            long msb = stored & ~mask;
            long base = truncated > (stored & mask) ? msb | truncated : msb + step | truncated;
            if (Long.compareUnsigned(base, msb) < 0) {
                return VerificationResult.FRESHNESS_FAILURE; // past 2^64
            }
            long offset = attempt * step;
            value = base + offset;
            if (Long.compareUnsigned(value, base) < 0) {
                return VerificationResult.FRESHNESS_FAILURE;
            }
        }
        if (Long.compareUnsigned(value, stored) <= 0 || Long.compareUnsigned(value, max) > 0) {
            return VerificationResult.FRESHNESS_FAILURE;
        }
        if (window > 0 && Long.compareUnsigned(value - stored, window) > 0) {
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

    /** The next value the sender will use (diagnostics). */
    long nextTx() {
        return next;
    }
}
