package org.carapace.protection.internal;

import java.util.Optional;

/**
 * What the engine knows about one file content ({@link FileKey}) in one container.
 *
 * @param kind what the content is
 * @param digest {@code sha256:<hex>} when it was computed (always for image files and executed files)
 * @param trusted whether the digest is in the container's whitelist
 * @param imagePath the file's path in the image when it is an image file (as the manifest names it)
 */
record FileFacts(Kind kind, Optional<String> digest, boolean trusted, Optional<String> imagePath) {

    enum Kind {
        /** ELF object: executable, shared library or loader. */
        ELF,
        /** Starts with {@code #!}. */
        SCRIPT,
        /** Anything else (data, text, empty). */
        DATA,
        /** Not read (image files whose digest the manifest gives). */
        UNREAD
    }

    boolean imageFile() {
        return imagePath.isPresent();
    }

    static Kind classify(byte[] header, int length) {
        if (length >= 4 && header[0] == 0x7f && header[1] == 'E' && header[2] == 'L' && header[3] == 'F') {
            return Kind.ELF;
        }
        if (length >= 2 && header[0] == '#' && header[1] == '!') {
            return Kind.SCRIPT;
        }
        return Kind.DATA;
    }
}
