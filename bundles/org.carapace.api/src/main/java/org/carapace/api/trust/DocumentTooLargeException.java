package org.carapace.api.trust;

/** A document is larger than the configured limit; it was not parsed. */
public class DocumentTooLargeException extends MalformedDocumentException {
    private static final long serialVersionUID = 1L;

    private final long size;
    private final long limit;

    /**
     * @param document what was being read
     * @param size its size in bytes (or a lower bound, when reading stopped at the limit)
     * @param limit the configured maximum in bytes
     */
    public DocumentTooLargeException(String document, long size, long limit) {
        super(Reason.TOO_LARGE, document, size + " bytes exceed the limit of " + limit + " bytes");
        this.size = size;
        this.limit = limit;
    }

    public long size() {
        return size;
    }

    public long limit() {
        return limit;
    }
}
