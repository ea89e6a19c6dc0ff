package org.carapace.api.image;

/** One or more blobs did not match the descriptors naming them; the report lists each one. */
public class BlobVerificationException extends ImageException {
    private static final long serialVersionUID = 1L;

    private final transient BlobVerificationReport report;

    public BlobVerificationException(BlobVerificationReport report) {
        super(report.source() + ": " + report.failures().size() + " blob(s) failed verification: "
            + String.join("; ", report.failures().stream().map(BlobCheck::describe).toList()));
        this.report = report;
    }

    public BlobVerificationReport report() {
        return report;
    }
}
