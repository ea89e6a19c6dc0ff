package org.carapace.imagehash.internal;

import java.io.IOException;
import org.carapace.api.image.ImageException;

/** Carries an {@link ImageException} through {@link java.io.InputStream} methods, which may only throw IOException. */
final class WrappedImageException extends IOException {
    private static final long serialVersionUID = 1L;

    WrappedImageException(ImageException cause) {
        super(cause.getMessage(), cause);
    }

    ImageException imageException() {
        return (ImageException) getCause();
    }
}
