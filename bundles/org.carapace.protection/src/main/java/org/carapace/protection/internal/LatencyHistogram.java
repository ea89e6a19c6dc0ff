package org.carapace.protection.internal;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Lock-free histogram of decision latencies: 1 µs buckets up to 2 ms, then doubling buckets up to about 2 minutes.
 * Recording is one atomic increment, so the responder can afford it on every event.
 */
final class LatencyHistogram {

    private static final int LINEAR = 2048;
    private static final int LOG = 28;
    private final AtomicLongArray counts = new AtomicLongArray(LINEAR + LOG);

    void recordNanos(long nanos) {
        long micros = Math.max(0, nanos / 1000);
        int index;
        if (micros < LINEAR) {
            index = (int) micros;
        } else {
            index = LINEAR + Math.min(LOG - 1, 63 - Long.numberOfLeadingZeros(micros / LINEAR));
        }
        counts.incrementAndGet(index);
    }

    long count() {
        long n = 0;
        for (int i = 0; i < counts.length(); i++) {
            n += counts.get(i);
        }
        return n;
    }

    /** The smallest bucket upper bound (µs) at or below which {@code fraction} of the samples lie; 0 when empty. */
    long percentileMicros(double fraction) {
        long total = count();
        if (total == 0) {
            return 0;
        }
        long wanted = (long) Math.ceil(fraction * total);
        long seen = 0;
        for (int i = 0; i < counts.length(); i++) {
            seen += counts.get(i);
            if (seen >= wanted) {
                return i < LINEAR ? i + 1 : (long) LINEAR << (i - LINEAR + 1);
            }
        }
        return Long.MAX_VALUE;
    }

    void add(LatencyHistogram other) {
        for (int i = 0; i < counts.length(); i++) {
            counts.addAndGet(i, other.counts.get(i));
        }
    }

    /** Adds bucket counts laid out the same way (the native responder's), starting at {@code offset}. */
    void addCounts(long[] values, int offset) {
        for (int i = 0; i < counts.length() && offset + i < values.length; i++) {
            counts.addAndGet(i, values[offset + i]);
        }
    }

    void reset() {
        for (int i = 0; i < counts.length(); i++) {
            counts.set(i, 0);
        }
    }
}
