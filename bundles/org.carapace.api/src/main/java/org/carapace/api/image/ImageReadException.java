package org.carapace.api.image;

import java.io.IOException;

/** A file of the image could not be read (missing, no permission, I/O error). */
public class ImageReadException extends ImageException {
    private static final long serialVersionUID = 1L;

    private final String path;

    public ImageReadException(String path, IOException cause) {
        super("cannot read " + path + ": " + cause.getMessage(), cause);
        this.path = path;
    }

    public ImageReadException(String path, String problem) {
        super("cannot read " + path + ": " + problem);
        this.path = path;
    }

    public String path() {
        return path;
    }
}
