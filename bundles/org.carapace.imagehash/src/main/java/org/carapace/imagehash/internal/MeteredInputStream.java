package org.carapace.imagehash.internal;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.util.concurrent.atomic.AtomicLong;
import org.carapace.api.image.ImageLimitException;

/**
 * Counts the bytes that pass, optionally digests them, and stops with an {@link ImageLimitException} when a byte
 * budget (one stream's or one image's, shared between parallel layers) runs out: decompression bombs end here.
 */
final class MeteredInputStream extends FilterInputStream {

    private final MessageDigest digest;
    private final AtomicLong budget;
    private final String limitName;
    private final long limit;
    private final String location;
    private final HashProgressMeter progress;
    private long count;

    /**
     * @param digest    digest to update, or null
     * @param budget    remaining bytes shared with other streams, or null; decremented as bytes pass
     * @param limitName configuration name of the budget's limit (for the error)
     * @param limit     the configured limit (for the error)
     * @param progress  progress meter to feed, or null
     */
    MeteredInputStream(InputStream in, MessageDigest digest, AtomicLong budget, String limitName, long limit,
                       String location, HashProgressMeter progress) {
        super(in);
        this.digest = digest;
        this.budget = budget;
        this.limitName = limitName;
        this.limit = limit;
        this.location = location;
        this.progress = progress;
    }

    long count() {
        return count;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        int n = in.read(b, off, len);
        if (n > 0) {
            count += n;
            if (budget != null && budget.addAndGet(-n) < 0) {
                throw new WrappedImageException(new ImageLimitException(limitName, limit, limit - budget.get(), location));
            }
            if (digest != null) {
                digest.update(b, off, n);
            }
            if (progress != null) {
                progress.add(n);
            }
        }
        return n;
    }

    @Override
    public long skip(long n) throws IOException {
        byte[] buffer = new byte[(int) Math.min(n, 65536)];
        long skipped = 0;
        while (skipped < n) {
            int r = read(buffer, 0, (int) Math.min(buffer.length, n - skipped));
            if (r < 0) {
                break;
            }
            skipped += r;
        }
        return skipped;
    }

    @Override
    public boolean markSupported() {
        return false;
    }

    /** Reads to the end, so that the count and digest cover the whole stream. */
    void drain() throws IOException {
        byte[] buffer = new byte[65536];
        while (read(buffer, 0, buffer.length) >= 0) {
            // counting and digesting happen in read
        }
    }
}
