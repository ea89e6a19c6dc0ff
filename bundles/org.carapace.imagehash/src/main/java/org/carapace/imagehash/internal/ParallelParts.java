package org.carapace.imagehash.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.RecursiveAction;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Splits work over a list into contiguous parts run on the engine's fork/join pool. The steps after a walk (sorting
 * its findings, building the entries, encoding the canonical lines) would otherwise run on one core while the
 * others idle; on the Debian minbase they were a tenth of a cold digest's time.
 */
final class ParallelParts {

    /** Fewer items than this stay on the calling thread: forking costs more than it saves. */
    static final int MIN_ITEMS = 2048;

    /** Parts per worker thread, so that a slow part does not leave the other workers idle. */
    private static final int PARTS_PER_THREAD = 4;

    /** One part's work: items {@code from} (inclusive) to {@code to} (exclusive) of part number {@code part}. */
    @FunctionalInterface
    interface PartBody {
        void run(int part, int from, int to);
    }

    private ParallelParts() {
    }

    /** How many parts {@code size} items are split into on {@code pool} (1: the work runs on the calling thread). */
    static int parts(ForkJoinPool pool, int size) {
        if (pool == null || pool.getParallelism() < 2 || size < MIN_ITEMS) {
            return 1;
        }
        return Math.min(pool.getParallelism() * PARTS_PER_THREAD, size / (MIN_ITEMS / 4));
    }

    /** The first item of part {@code part} of {@code parts} over {@code size} items; part {@code parts} gives size. */
    static int start(int part, int parts, int size) {
        return (int) ((long) size * part / parts);
    }

    /**
     * Runs {@code body} once for each of {@code parts} parts of {@code size} items and returns when all are done. The
     * first exception a part throws is rethrown as it was thrown (the fork/join framework would rethrow a copy with a
     * changed message on the caller's thread).
     */
    static void run(ForkJoinPool pool, int size, int parts, PartBody body) {
        if (parts <= 1) {
            body.run(0, 0, size);
            return;
        }
        AtomicReference<RuntimeException> failure = new AtomicReference<>();
        List<RecursiveAction> tasks = new ArrayList<>(parts);
        for (int part = 0; part < parts; part++) {
            int p = part;
            int from = start(part, parts, size);
            int to = start(part + 1, parts, size);
            tasks.add(new RecursiveAction() {
                private static final long serialVersionUID = 1L;

                @Override
                protected void compute() {
                    try {
                        body.run(p, from, to);
                    } catch (RuntimeException e) {
                        failure.compareAndSet(null, e);
                    }
                }
            });
        }
        if (ForkJoinTask.inForkJoinPool() && ForkJoinTask.getPool() == pool) {
            ForkJoinTask.invokeAll(tasks);
        } else {
            pool.invoke(new RecursiveAction() {
                private static final long serialVersionUID = 1L;

                @Override
                protected void compute() {
                    invokeAll(tasks);
                }
            });
        }
        if (failure.get() != null) {
            throw failure.get();
        }
    }
}
