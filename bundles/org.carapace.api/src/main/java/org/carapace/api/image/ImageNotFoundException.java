package org.carapace.api.image;

import java.util.List;

/**
 * The source holds no image matching the reference or platform asked for, or more than one when none was named.
 */
public class ImageNotFoundException extends ImageException {
    private static final long serialVersionUID = 1L;

    private final String source;
    private final String wanted;
    private final List<String> available;

    public ImageNotFoundException(String source, String wanted, List<String> available) {
        super(source + ": " + wanted + "; available: " + (available.isEmpty() ? "none" : String.join(", ", available)));
        this.source = source;
        this.wanted = wanted;
        this.available = List.copyOf(available);
    }

    public String source() {
        return source;
    }

    /** What was asked for, e.g. {@code reference 'v2'} or {@code platform linux/arm64}. */
    public String wanted() {
        return wanted;
    }

    /** What the source offers (references, digests or platforms). */
    public List<String> available() {
        return available;
    }
}
