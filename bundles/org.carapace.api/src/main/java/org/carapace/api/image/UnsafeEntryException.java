package org.carapace.api.image;

/**
 * A layer entry that a careless extractor would turn into an escape from the root file system or an ambiguous
 * result. The entry is refused; the whole image is refused with it.
 */
public class UnsafeEntryException extends ImageException {
    private static final long serialVersionUID = 1L;

    /** Why an entry is unsafe. */
    public enum Reason {
        /** A name component is {@code ..}. */
        PATH_TRAVERSAL,
        /** The name starts with {@code /}. */
        ABSOLUTE_PATH,
        /** A parent of the entry is a symbolic link or another non-directory (writing through it could escape). */
        PARENT_NOT_DIRECTORY,
        /** A hard link names a path that does not exist (yet) in the image. */
        HARDLINK_TARGET_MISSING,
        /** A hard link names a path outside the root ({@code ..} or absolute). */
        HARDLINK_TARGET_OUTSIDE,
        /** A hard link names a directory. */
        HARDLINK_TO_DIRECTORY,
        /** The same path appears twice in one layer. */
        DUPLICATE_ENTRY,
        /** An entry for the root directory with another type. */
        ROOT_TYPE_CHANGE,
        /** A symbolic link or directory component met while walking a directory changed under the walker. */
        CHANGED_DURING_WALK
    }

    private final String location;
    private final String entry;
    private final Reason reason;

    /**
     * @param location the layer or directory being read, e.g. {@code layer 2 (sha256:...)}
     * @param entry    the entry's name as it appears in the archive
     * @param reason   why it is refused
     * @param detail   further explanation
     */
    public UnsafeEntryException(String location, String entry, Reason reason, String detail) {
        super(location + ": entry '" + entry + "' refused (" + reason + "): " + detail);
        this.location = location;
        this.entry = entry;
        this.reason = reason;
    }

    public String location() {
        return location;
    }

    public String entry() {
        return entry;
    }

    public Reason reason() {
        return reason;
    }
}
