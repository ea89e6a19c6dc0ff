package org.carapace.secoc.internal;

import java.io.IOException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Reserves blocks of freshness values ahead with a write-ahead record, so that neither a restart nor {@code kill -9}
 * can make a sender reuse a value or a receiver accept an old one.
 *
 * <p>The durable limit {@code D} is the record in the {@link ReservationFile}: every value a sender has used, or a
 * receiver has accepted, is below {@code D}. A value {@code v} may be used or accepted only once {@code v < D} is on
 * disk; when {@code v} reaches {@code D} the caller writes {@code v + block} synchronously. To keep fsync off the
 * hot path the next block is reserved in the background as soon as {@code v} is within half a block of {@code D}.
 * After a restart a sender continues at {@code D} and a receiver accepts only values {@code >= D}: at most
 * {@code block + 1} values are skipped, none is repeated. All values are unsigned.
 *
 * <p>Not thread-safe for callers (the channel's lock serialises them); the background write completes through
 * a volatile field.
 */
final class Reservation {

    private final ReservationFile file;
    private final long block;
    private final long ceiling;
    private final Executor background;
    private final long restored;
    private volatile long durable;
    private final AtomicBoolean pending = new AtomicBoolean();
    private volatile IOException lastFailure;

    /**
     * @param block values reserved per write, at least 1
     * @param ceiling the largest limit that may be written (one past the largest usable value)
     * @param background runs the ahead-of-time writes; {@code Runnable::run} writes synchronously
     */
    Reservation(ReservationFile file, long block, long ceiling, Executor background)
        throws IOException, ReservationFile.CorruptStateException {
        if (block < 1) {
            throw new IllegalArgumentException("reservation block must be at least 1, was " + block);
        }
        this.file = file;
        this.block = block;
        this.ceiling = ceiling;
        this.background = background;
        this.restored = file.read().orElse(0);
        this.durable = restored;
    }

    /**
     * A reservation that keeps nothing: for tools that verify one PDU against a given state (the CLI), never for a
     * channel.
     */
    static Reservation inMemory(long restored, long ceiling) {
        return new Reservation(restored, ceiling);
    }

    private Reservation(long restored, long ceiling) {
        this.file = null;
        this.block = Long.MAX_VALUE;
        this.ceiling = ceiling;
        this.background = Runnable::run;
        this.restored = restored;
        this.durable = ceiling;
    }

    /** The limit found on disk when this reservation was opened (0 if none): the first value a restart may use. */
    long restored() {
        return restored;
    }

    long durable() {
        return durable;
    }

    ReservationFile file() {
        return file;
    }

    /** The last write failure, if the most recent one failed. */
    IOException lastFailure() {
        return lastFailure;
    }

    /**
     * Ensures {@code value} is below the durable limit, writing synchronously if it is not, and schedules the next
     * block in the background when it gets close.
     *
     * @return false if the value cannot be covered (beyond the ceiling, or the write failed): fail closed
     */
    boolean cover(long value) {
        if (Long.compareUnsigned(value, ceiling) >= 0) {
            return false;
        }
        long limit = durable;
        if (Long.compareUnsigned(value, limit) >= 0) {
            try {
                long target = target(value);
                file.write(target);
                raise(target);
                lastFailure = null;
            } catch (IOException e) {
                lastFailure = e;
                return false;
            }
            limit = durable;
        }
        if (Long.compareUnsigned(limit - value, block / 2 + 1) <= 0 && Long.compareUnsigned(limit, ceiling) < 0
            && pending.compareAndSet(false, true)) {
            long target = target(value);
            try {
                background.execute(() -> {
                    try {
                        file.write(target);
                        raise(target);
                        lastFailure = null;
                    } catch (IOException e) {
                        lastFailure = e; // the next synchronous cover() retries and fails closed if the disk is gone
                    } finally {
                        pending.set(false);
                    }
                });
            } catch (RejectedExecutionException e) {
                pending.set(false); // shutting down: the synchronous path still guarantees durability
            }
        }
        return true;
    }

    private long target(long value) {
        long target = value + block + 1;
        if (Long.compareUnsigned(target, value) < 0 || Long.compareUnsigned(target, ceiling) > 0) {
            target = ceiling;
        }
        return target;
    }

    private synchronized void raise(long target) {
        if (Long.compareUnsigned(target, durable) > 0) {
            durable = target;
        }
    }
}
