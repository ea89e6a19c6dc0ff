package org.carapace.imagehash.internal;

import java.util.concurrent.atomic.AtomicLong;
import org.carapace.api.image.HashProgress;

/** Adds up bytes from several threads and passes the total to a {@link HashProgress} at most every 4 MiB. */
final class HashProgressMeter {

    private static final long STEP = 4L << 20;

    private final HashProgress progress;
    private final long total;
    private final AtomicLong done = new AtomicLong();
    private final AtomicLong reported = new AtomicLong();

    HashProgressMeter(HashProgress progress, long total) {
        this.progress = progress;
        this.total = total;
    }

    void add(long bytes) {
        long now = done.addAndGet(bytes);
        long last = reported.get();
        if (now - last >= STEP && reported.compareAndSet(last, now)) {
            progress.progress(now, total);
        }
    }

    void finish() {
        progress.progress(done.get(), total < 0 ? done.get() : total);
    }
}
