package org.carapace.imagehash.internal;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Collection;
import java.util.List;
import org.carapace.api.image.Digest;
import org.carapace.api.image.DigestAlgorithm;
import org.carapace.api.image.FileEntry;
import org.carapace.api.image.FileManifest;
import org.carapace.api.image.FileType;
import org.carapace.api.image.Xattr;

/**
 * The canonical listing and rootfs digest, version 1 (docs/rootfs-digest.md is the normative text; keep both in
 * step). The listing is a header line and one line per entry in {@link org.carapace.api.image.ImagePaths#ORDER};
 * the rootfs digest is the SHA-256 of the listing's bytes.
 *
 * <pre>
 * carapace-rootfs-v1 xattrs=NAME[,NAME...]\n
 * PATH type=T mode=OOOO uid=N gid=N [size=N sha256=HEX] [target=ESC] [dev=MAJ,MIN] [link=ESC] [xattr.ESC=HEX ...]\n
 * </pre>
 * ESC writes each UTF-8 byte in 0x21..0x7e other than {@code %} as itself and every other byte as {@code %XX}
 * (uppercase hex), so no field contains a space or a newline.
 */
public final class CanonicalEncoding {

    public static final String HEADER_PREFIX = "carapace-rootfs-v1";
    private static final byte[] UPPER_HEX = "0123456789ABCDEF".getBytes(StandardCharsets.US_ASCII);

    private CanonicalEncoding() {
    }

    /** The file capability attribute (capabilities(7), "File capabilities"). */
    public static final String CAPABILITY = "security.capability";

    /**
     * Whether an attribute of the covered set is part of an entry's digest. {@code security.capability} only takes
     * effect when a regular file is executed, which needs an execute bit: it is covered on regular files with any
     * of {@code 0111} set and ignored everywhere else (on both sides, layers and directories). Making a file
     * executable changes its mode, and from then on its capability counts. Every other name is covered on every entry.
     */
    public static boolean covers(String xattrName, FileType type, int mode) {
        return !CAPABILITY.equals(xattrName) || (type == FileType.FILE && (mode & 0111) != 0);
    }

    /** The header line, with its newline. */
    public static String header(Collection<String> xattrNames) {
        StringBuilder line = new StringBuilder(HEADER_PREFIX).append(" xattrs=");
        boolean first = true;
        for (String name : xattrNames) {
            if (!first) {
                line.append(',');
            }
            line.append(escape(name));
            first = false;
        }
        return line.append('\n').toString();
    }

    /** One entry's line, with its newline. */
    public static String line(FileEntry entry) {
        StringBuilder line = new StringBuilder(96);
        line.append(escape(entry.path()))
            .append(" type=").append(entry.type().token())
            .append(" mode=").append(entry.modeOctal())
            .append(" uid=").append(entry.uid())
            .append(" gid=").append(entry.gid());
        if (entry.type() == FileType.FILE) {
            line.append(" size=").append(entry.size()).append(" sha256=").append(entry.contentDigest().get().hex());
        }
        entry.symlinkTarget().ifPresent(target -> line.append(" target=").append(escape(target)));
        if (entry.type().isDevice()) {
            line.append(" dev=").append(entry.deviceMajor()).append(',').append(entry.deviceMinor());
        }
        entry.hardlinkTo().ifPresent(first -> line.append(" link=").append(escape(first)));
        for (Xattr xattr : entry.xattrs()) {
            line.append(" xattr.").append(escape(xattr.name())).append('=').append(xattr.hex());
        }
        return line.append('\n').toString();
    }

    /** The whole listing (for documentation and debugging; the digest is computed without building it). */
    public static String listing(Collection<String> xattrNames, List<FileEntry> entries) {
        StringBuilder text = new StringBuilder(header(xattrNames));
        for (FileEntry entry : entries) {
            text.append(line(entry));
        }
        return text.toString();
    }

    /** The rootfs digest of entries (already in canonical order) under an attribute set. */
    public static Digest digest(Collection<String> xattrNames, List<FileEntry> entries) {
        MessageDigest sha256 = DigestAlgorithm.SHA256.newMessageDigest();
        sha256.update(header(xattrNames).getBytes(StandardCharsets.US_ASCII));
        for (FileEntry entry : entries) {
            sha256.update(line(entry).getBytes(StandardCharsets.US_ASCII));
        }
        return new Digest(DigestAlgorithm.SHA256, sha256.digest());
    }

    /** A manifest of entries (already in canonical order) with its digest. */
    public static FileManifest manifest(Collection<String> xattrNames, List<FileEntry> entries) {
        return new FileManifest(FileManifest.FORMAT_VERSION, List.copyOf(xattrNames), entries, digest(xattrNames, entries));
    }

    /** The ESC encoding of a string's UTF-8 bytes. */
    public static String escape(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        StringBuilder out = null;
        for (int i = 0; i < bytes.length; i++) {
            int b = bytes[i] & 0xff;
            boolean literal = b >= 0x21 && b <= 0x7e && b != '%';
            if (!literal && out == null) {
                out = new StringBuilder(bytes.length + 16);
                out.append(new String(bytes, 0, i, StandardCharsets.US_ASCII));
            }
            if (out != null) {
                if (literal) {
                    out.append((char) b);
                } else {
                    out.append('%').append((char) UPPER_HEX[b >> 4]).append((char) UPPER_HEX[b & 0xf]);
                }
            }
        }
        return out == null ? text : out.toString();
    }
}
