package org.carapace.imagehash.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.carapace.api.image.BlobCheck;
import org.carapace.api.image.BlobVerificationException;
import org.carapace.api.image.BlobVerificationReport;
import org.carapace.api.image.Digest;

/**
 * Collects blob checks. When hashing, the first failure ends the computation; when verifying, every blob is
 * checked and the failures are reported together.
 */
final class Checks {

    private final String source;
    private final boolean failFast;
    private final List<BlobCheck> checks = new ArrayList<>();

    Checks(String source, boolean failFast) {
        this.source = source;
        this.failFast = failFast;
    }

    synchronized void ok(BlobCheck.Kind kind, String referrer, String blob, Digest expected, long expectedSize, long size) {
        checks.add(new BlobCheck(kind, referrer, blob, expected, expectedSize, BlobCheck.Status.OK, OptionalLong.of(size),
            Optional.of(expected)));
    }

    /** Records a failed check; throws when failing fast. */
    void fail(BlobCheck.Kind kind, String referrer, String blob, Digest expected, long expectedSize,
              BlobCheck.Status status, OptionalLong size, Optional<Digest> actual) throws BlobVerificationException {
        BlobVerificationReport report;
        synchronized (this) {
            checks.add(new BlobCheck(kind, referrer, blob, expected, expectedSize, status, size, actual));
            report = report();
        }
        if (failFast) {
            throw new BlobVerificationException(report);
        }
    }

    synchronized BlobVerificationReport report() {
        return new BlobVerificationReport(source, checks);
    }
}
