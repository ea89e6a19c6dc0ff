package org.carapace.api.image;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * One entry of an image's file system, as the canonical rootfs digest covers it (docs/rootfs-digest.md).
 * Timestamps are deliberately absent.
 *
 * @param path          canonical path ({@link ImagePaths}), never the root {@code /}
 * @param type          the entry's type
 * @param mode          permission bits including setuid, setgid and sticky ({@code 07777}); always {@code 0777}
 *                      for symbolic links, whose mode Linux cannot change
 * @param uid           owner user id, {@code 0 .. 2^32-1}
 * @param gid           owner group id, {@code 0 .. 2^32-1}
 * @param size          content length for {@link FileType#FILE}, 0 for every other type
 * @param contentDigest SHA-256 of the content: present exactly for {@link FileType#FILE}
 * @param symlinkTarget the link's target, verbatim (never resolved): present exactly for {@link FileType#SYMLINK}
 * @param hardlinkTo    for a path that shares its inode with other paths of the image: the smallest path of that
 *                      group ({@link ImagePaths#ORDER}); empty for the smallest path itself and for unshared inodes
 * @param deviceMajor   major device number of a {@link FileType#CHAR_DEVICE} or {@link FileType#BLOCK_DEVICE}, else 0
 * @param deviceMinor   minor device number of a device, else 0
 * @param xattrs        the extended attributes of the configured set that the entry has, sorted by name
 */
public record FileEntry(String path, FileType type, int mode, long uid, long gid, long size,
                        Optional<Digest> contentDigest, Optional<String> symlinkTarget, Optional<String> hardlinkTo,
                        long deviceMajor, long deviceMinor, List<Xattr> xattrs) {

    /** The largest uid/gid (32 bits, unsigned). */
    public static final long MAX_ID = 0xFFFF_FFFFL;

    public FileEntry {
        if (!ImagePaths.isCanonical(path) || "/".equals(path)) {
            throw new IllegalArgumentException("invalid entry path '" + path + "'");
        }
        if (type == null) {
            throw new IllegalArgumentException(path + ": type is required");
        }
        if ((mode & ~07777) != 0) {
            throw new IllegalArgumentException(path + ": mode " + Integer.toOctalString(mode) + " has bits outside 07777");
        }
        if (type == FileType.SYMLINK && mode != 0777) {
            throw new IllegalArgumentException(path + ": a symbolic link's mode is always 0777");
        }
        if (uid < 0 || uid > MAX_ID || gid < 0 || gid > MAX_ID) {
            throw new IllegalArgumentException(path + ": uid/gid out of range: " + uid + "/" + gid);
        }
        contentDigest = contentDigest == null ? Optional.empty() : contentDigest;
        symlinkTarget = symlinkTarget == null ? Optional.empty() : symlinkTarget;
        hardlinkTo = hardlinkTo == null ? Optional.empty() : hardlinkTo;
        if (type == FileType.FILE) {
            if (size < 0 || contentDigest.isEmpty() || contentDigest.get().algorithm() != DigestAlgorithm.SHA256) {
                throw new IllegalArgumentException(path + ": a regular file needs a size >= 0 and a sha256 content digest");
            }
        } else if (size != 0 || contentDigest.isPresent()) {
            throw new IllegalArgumentException(path + ": only regular files have a size and a content digest");
        }
        if ((type == FileType.SYMLINK) != symlinkTarget.isPresent()) {
            throw new IllegalArgumentException(path + ": exactly symbolic links have a target");
        }
        if (symlinkTarget.isPresent() && (symlinkTarget.get().isEmpty() || symlinkTarget.get().indexOf('\0') >= 0)) {
            throw new IllegalArgumentException(path + ": invalid symbolic link target");
        }
        if (hardlinkTo.isPresent()) {
            String first = hardlinkTo.get();
            if (type == FileType.DIRECTORY || !ImagePaths.isCanonical(first) || ImagePaths.compare(first, path) >= 0) {
                throw new IllegalArgumentException(path + ": hardlinkTo must name a smaller path of a non-directory, was '" + first + "'");
            }
        }
        if (!type.isDevice() && (deviceMajor != 0 || deviceMinor != 0)) {
            throw new IllegalArgumentException(path + ": only devices have device numbers");
        }
        if (deviceMajor < 0 || deviceMajor > MAX_ID || deviceMinor < 0 || deviceMinor > MAX_ID) {
            throw new IllegalArgumentException(path + ": device numbers out of range");
        }
        List<Xattr> sorted = new ArrayList<>(xattrs == null ? List.of() : xattrs);
        sorted.sort((a, b) -> ImagePaths.compare(a.name(), b.name()));
        for (int i = 1; i < sorted.size(); i++) {
            if (sorted.get(i).name().equals(sorted.get(i - 1).name())) {
                throw new IllegalArgumentException(path + ": xattr " + sorted.get(i).name() + " appears twice");
            }
        }
        xattrs = List.copyOf(sorted);
    }

    /** A directory entry. */
    public static FileEntry directory(String path, int mode, long uid, long gid, List<Xattr> xattrs) {
        return new FileEntry(path, FileType.DIRECTORY, mode, uid, gid, 0, Optional.empty(), Optional.empty(),
            Optional.empty(), 0, 0, xattrs);
    }

    /** A regular file entry. */
    public static FileEntry file(String path, int mode, long uid, long gid, long size, Digest content,
                                 Optional<String> hardlinkTo, List<Xattr> xattrs) {
        return new FileEntry(path, FileType.FILE, mode, uid, gid, size, Optional.of(content), Optional.empty(),
            hardlinkTo, 0, 0, xattrs);
    }

    /** A symbolic link entry. */
    public static FileEntry symlink(String path, long uid, long gid, String target, Optional<String> hardlinkTo,
                                    List<Xattr> xattrs) {
        return new FileEntry(path, FileType.SYMLINK, 0777, uid, gid, 0, Optional.empty(), Optional.of(target),
            hardlinkTo, 0, 0, xattrs);
    }

    /** The permission bits as four octal digits, e.g. {@code 0755}. */
    public String modeOctal() {
        return new String(new char[] {(char) ('0' + (mode >> 9 & 7)), (char) ('0' + (mode >> 6 & 7)),
            (char) ('0' + (mode >> 3 & 7)), (char) ('0' + (mode & 7))});
    }

    /** Whether the setuid or setgid bit is set. */
    public boolean isSetId() {
        return (mode & 06000) != 0;
    }

    /** The value of the named attribute, if the entry has it. */
    public Optional<Xattr> xattr(String name) {
        return xattrs.stream().filter(x -> x.name().equals(name)).findFirst();
    }
}
