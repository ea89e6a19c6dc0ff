package org.carapace.api.image;

/** An image source specification could not be parsed. */
public class InvalidImageSourceException extends ImageException {
    private static final long serialVersionUID = 1L;

    private final String spec;
    private final String reason;

    public InvalidImageSourceException(String spec, String reason) {
        super("invalid image source '" + spec + "': " + reason);
        this.spec = spec;
        this.reason = reason;
    }

    public String spec() {
        return spec;
    }

    public String reason() {
        return reason;
    }
}
