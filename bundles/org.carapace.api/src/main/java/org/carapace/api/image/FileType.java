package org.carapace.api.image;

/**
 * The type of one file-system entry. Hard links are not a type of their own: every path of a hard-link group has
 * the type of the shared inode and names the group in {@link FileEntry#hardlinkTo()}.
 */
public enum FileType {
    FILE("file"),
    DIRECTORY("dir"),
    SYMLINK("symlink"),
    CHAR_DEVICE("char"),
    BLOCK_DEVICE("block"),
    FIFO("fifo"),
    /** Only found in directories on disk; no layer tarball can hold one, so such an image never matches a tarball. */
    SOCKET("socket");

    private final String token;

    FileType(String token) {
        this.token = token;
    }

    /** The word used in the canonical listing and in the manifest JSON. */
    public String token() {
        return token;
    }

    /** Whether the type carries device numbers. */
    public boolean isDevice() {
        return this == CHAR_DEVICE || this == BLOCK_DEVICE;
    }

    /**
     * The type with the given token.
     *
     * @throws IllegalArgumentException for an unknown token
     */
    public static FileType forToken(String token) {
        for (FileType type : values()) {
            if (type.token.equals(token)) {
                return type;
            }
        }
        throw new IllegalArgumentException("unknown file type '" + token + "'");
    }
}
