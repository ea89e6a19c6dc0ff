package org.carapace.api.image;

/**
 * Base of every failure to read or hash an image. Subclasses carry the values involved; the message always names
 * the input (source, blob, layer, entry) that was wrong.
 */
public class ImageException extends Exception {
    private static final long serialVersionUID = 1L;

    public ImageException(String message) {
        super(message);
    }

    public ImageException(String message, Throwable cause) {
        super(message, cause);
    }
}
