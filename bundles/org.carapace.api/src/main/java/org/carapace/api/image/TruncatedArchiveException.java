package org.carapace.api.image;

/** An archive or compressed stream ended before its format said it would. */
public class TruncatedArchiveException extends ImageFormatException {
    private static final long serialVersionUID = 1L;

    private final long offset;

    public TruncatedArchiveException(String location, long offset, String problem) {
        super(location, problem + " (at byte " + offset + ")");
        this.offset = offset;
    }

    /** Bytes read (of the uncompressed stream) when the end was hit. */
    public long offset() {
        return offset;
    }
}
