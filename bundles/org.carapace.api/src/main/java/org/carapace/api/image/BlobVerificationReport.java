package org.carapace.api.image;

import java.util.List;

/**
 * Every blob check made for one image source, in the order the blobs were reached.
 *
 * @param source the source's specification
 * @param checks all checks, passed and failed
 */
public record BlobVerificationReport(String source, List<BlobCheck> checks) {

    public BlobVerificationReport {
        if (source == null) {
            throw new IllegalArgumentException("source is required");
        }
        checks = List.copyOf(checks);
    }

    /** Whether every blob matched its descriptor. */
    public boolean ok() {
        return checks.stream().allMatch(BlobCheck::ok);
    }

    /** The checks that failed. */
    public List<BlobCheck> failures() {
        return checks.stream().filter(c -> !c.ok()).toList();
    }
}
