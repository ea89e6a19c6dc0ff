package org.carapace.api.image;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

/**
 * The per-file manifest of an image: every entry of its file system in canonical order, the extended-attribute
 * names the digest covered, and the rootfs digest they hash to (docs/rootfs-digest.md). Its JSON form
 * ({@link ImageHasher#writeManifest}, docs/rootfs-digest.md "Manifest JSON") is what policies carry.
 *
 * <p>The record checks the listing's shape (strict order, no duplicates, every parent present as a directory,
 * hard-link groups consistent); it does not recompute {@code rootfsDigest}: {@link ImageHasher#readManifest} does.
 *
 * @param formatVersion the canonical encoding's version; {@value #FORMAT_VERSION} today
 * @param xattrNames    the extended attributes covered, sorted, without duplicates
 * @param entries       the entries, strictly ascending by {@link ImagePaths#ORDER}; the root itself is not listed
 * @param rootfsDigest  the rootfs digest of exactly these entries and attribute names
 */
public record FileManifest(int formatVersion, List<String> xattrNames, List<FileEntry> entries, Digest rootfsDigest) {

    /** The version of the canonical encoding this API produces. */
    public static final int FORMAT_VERSION = 1;

    public FileManifest {
        if (formatVersion != FORMAT_VERSION) {
            throw new IllegalArgumentException("unsupported manifest format version " + formatVersion);
        }
        if (rootfsDigest == null || rootfsDigest.algorithm() != DigestAlgorithm.SHA256) {
            throw new IllegalArgumentException("the rootfs digest must be a sha256 digest");
        }
        TreeSet<String> names = new TreeSet<>(ImagePaths.ORDER);
        for (String name : xattrNames) {
            new Xattr(name, new byte[0]); // validates the name
            if (!names.add(name)) {
                throw new IllegalArgumentException("xattr name " + name + " listed twice");
            }
        }
        xattrNames = List.copyOf(names);
        entries = List.copyOf(entries);
        Map<String, FileEntry> byPath = new HashMap<>();
        String previous = null;
        for (FileEntry entry : entries) {
            if (previous != null && ImagePaths.compare(previous, entry.path()) >= 0) {
                throw new IllegalArgumentException("entries out of order or duplicated at " + entry.path());
            }
            previous = entry.path();
            String parent = ImagePaths.parent(entry.path());
            if (!parent.equals("/")) {
                FileEntry parentEntry = byPath.get(parent);
                if (parentEntry == null || parentEntry.type() != FileType.DIRECTORY) {
                    throw new IllegalArgumentException(entry.path() + ": parent " + parent + " is not a listed directory");
                }
            }
            for (Xattr xattr : entry.xattrs()) {
                if (!names.contains(xattr.name())) {
                    throw new IllegalArgumentException(entry.path() + ": xattr " + xattr.name() + " is not in the covered set");
                }
            }
            if (entry.hardlinkTo().isPresent()) {
                FileEntry first = byPath.get(entry.hardlinkTo().get());
                if (first == null || first.hardlinkTo().isPresent() || !sameInode(first, entry)) {
                    throw new IllegalArgumentException(entry.path() + ": hard link to " + entry.hardlinkTo().get()
                        + " does not match a group's first path with the same type, metadata and content");
                }
            }
            byPath.put(entry.path(), entry);
        }
    }

    private static boolean sameInode(FileEntry a, FileEntry b) {
        return a.type() == b.type() && a.mode() == b.mode() && a.uid() == b.uid() && a.gid() == b.gid()
            && a.size() == b.size() && a.contentDigest().equals(b.contentDigest())
            && a.symlinkTarget().equals(b.symlinkTarget()) && a.deviceMajor() == b.deviceMajor()
            && a.deviceMinor() == b.deviceMinor() && a.xattrs().equals(b.xattrs());
    }

    /** Number of regular files (each path of a hard-link group counts). */
    public long fileCount() {
        return entries.stream().filter(e -> e.type() == FileType.FILE).count();
    }

    /** Total content bytes of regular files, each inode counted once. */
    public long byteCount() {
        return entries.stream().filter(e -> e.type() == FileType.FILE && e.hardlinkTo().isEmpty())
            .mapToLong(FileEntry::size).sum();
    }

    /** The entry at a canonical path. */
    public Optional<FileEntry> entry(String path) {
        int index = Collections.binarySearch(pathList(), path, ImagePaths.ORDER);
        return index >= 0 ? Optional.of(entries.get(index)) : Optional.empty();
    }

    private List<String> pathList() {
        List<String> paths = new ArrayList<>(entries.size());
        for (FileEntry entry : entries) {
            paths.add(entry.path());
        }
        return paths;
    }
}
