package org.carapace.imagehash.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import org.carapace.api.image.ImageException;
import org.carapace.api.image.ImageFormatException;
import org.carapace.api.image.ImageLimitException;
import org.carapace.api.image.TruncatedArchiveException;

/**
 * A strict, streaming tar reader: POSIX ustar and pax (IEEE Std 1003.1-2017, pax "ustar Interchange Format" and
 * "pax Extended Header"), plus the GNU long-name ({@code L}) and long-link ({@code K}) records and GNU base-256
 * numbers that real image tools write. Every header checksum is verified; sizes, PAX records and names are bounded
 * by {@link ImageLimits}; sparse files and multi-volume archives are refused. The archive must end with the
 * end-of-archive marker (at least one zero block): a stream cut at an entry boundary is reported as truncated.
 */
final class TarReader {

    private static final int BLOCK = 512;

    private final InputStream in;
    private final String location;
    private final ImageLimits limits;
    private final byte[] header = new byte[BLOCK];
    private final Map<String, String> globalPax = new HashMap<>();
    private long position;
    private long remaining;
    private long padding;
    private boolean ended;

    TarReader(InputStream in, String location, ImageLimits limits) {
        this.in = in;
        this.location = location;
        this.limits = limits;
    }

    /** Offset in the archive of the next unread byte. */
    long position() {
        return position;
    }

    /**
     * Reads the next entry's header, skipping whatever is left of the current entry's content.
     *
     * @return the entry, or null at the end-of-archive marker
     */
    TarEntry next() throws IOException, ImageException {
        if (ended) {
            return null;
        }
        skipContent();
        Map<String, String> pax = new LinkedHashMap<>();
        byte[] longName = null;
        byte[] longLink = null;
        while (true) {
            long headerOffset = position;
            if (!readBlock(header, true)) {
                throw new TruncatedArchiveException(location, position, "archive ends without the end-of-archive marker");
            }
            if (isZero(header)) {
                // end of archive: one zero block suffices (a second one, and any padding, is left to the caller)
                ended = true;
                return null;
            }
            verifyChecksum(headerOffset);
            char type = (char) (header[156] & 0xff);
            long size = number(124, 12, "size", headerOffset);
            switch (type) {
                case 'x', 'g' -> {
                    ImageLimits.check("maxPaxHeaderBytes", limits.maxPaxHeaderBytes(), size, at(headerOffset));
                    Map<String, String> records = parsePax(readSmall((int) size), headerOffset);
                    if (type == 'g') {
                        globalPax.putAll(records);
                    } else {
                        pax.putAll(records);
                    }
                    continue;
                }
                case 'L', 'K' -> {
                    ImageLimits.check("maxPaxHeaderBytes", limits.maxPaxHeaderBytes(), size, at(headerOffset));
                    byte[] value = trimNul(readSmall((int) size));
                    if (type == 'L') {
                        longName = value;
                    } else {
                        longLink = value;
                    }
                    continue;
                }
                default -> {
                    return entry(type, size, headerOffset, pax, longName, longLink);
                }
            }
        }
    }

    private TarEntry entry(char type, long headerSize, long headerOffset, Map<String, String> localPax, byte[] longName,
                           byte[] longLink) throws IOException, ImageException {
        Map<String, String> pax = new HashMap<>(globalPax);
        pax.putAll(localPax);
        boolean posixUstar = header[257] == 'u' && header[258] == 's' && header[259] == 't' && header[260] == 'a'
            && header[261] == 'r' && header[262] == 0;
        String name;
        if (pax.containsKey("path")) {
            name = pax.get("path");
        } else if (longName != null) {
            name = utf8(longName, "name", headerOffset);
        } else {
            byte[] raw = field(0, 100);
            if (posixUstar && header[345] != 0) {
                byte[] prefix = field(345, 155);
                byte[] joined = new byte[prefix.length + 1 + raw.length];
                System.arraycopy(prefix, 0, joined, 0, prefix.length);
                joined[prefix.length] = '/';
                System.arraycopy(raw, 0, joined, prefix.length + 1, raw.length);
                raw = joined;
            }
            name = utf8(raw, "name", headerOffset);
        }
        String linkName;
        if (pax.containsKey("linkpath")) {
            linkName = pax.get("linkpath");
        } else if (longLink != null) {
            linkName = utf8(longLink, "link name", headerOffset);
        } else {
            linkName = utf8(field(157, 100), "link name", headerOffset);
        }
        if (name.isEmpty()) {
            throw new ImageFormatException(at(headerOffset), "entry without a name");
        }
        checkPathLength(name, headerOffset);
        checkPathLength(linkName, headerOffset);
        long size = pax.containsKey("size") ? paxNumber(pax, "size", headerOffset) : headerSize;
        long uid = pax.containsKey("uid") ? paxNumber(pax, "uid", headerOffset) : number(108, 8, "uid", headerOffset);
        long gid = pax.containsKey("gid") ? paxNumber(pax, "gid", headerOffset) : number(116, 8, "gid", headerOffset);
        long mode = number(100, 8, "mode", headerOffset);
        long major = pax.containsKey("SCHILY.devmajor") ? paxNumber(pax, "SCHILY.devmajor", headerOffset)
            : (type == '3' || type == '4') ? number(329, 8, "devmajor", headerOffset) : 0;
        long minor = pax.containsKey("SCHILY.devminor") ? paxNumber(pax, "SCHILY.devminor", headerOffset)
            : (type == '3' || type == '4') ? number(337, 8, "devminor", headerOffset) : 0;
        for (String key : pax.keySet()) {
            if (key.startsWith("GNU.sparse.")) {
                throw new ImageFormatException(at(headerOffset) + " '" + name + "'", "sparse files are not supported");
            }
        }
        switch (type) {
            case '0', '\0', '7', '1', '2', '3', '4', '5', '6' -> { }
            case 'S' -> throw new ImageFormatException(at(headerOffset) + " '" + name + "'", "sparse files are not supported");
            case 'M', 'V' -> throw new ImageFormatException(at(headerOffset) + " '" + name + "'",
                "multi-volume archives are not supported");
            default -> throw new ImageFormatException(at(headerOffset) + " '" + name + "'",
                "unsupported entry type '" + printable(type) + "'");
        }
        boolean regular = type == '0' || type == '\0' || type == '7';
        if (!regular && size != 0 && type != '1') {
            // only regular files carry data; a hard link with data is tolerated by the format and skipped
            throw new ImageFormatException(at(headerOffset) + " '" + name + "'", "type '" + printable(type)
                + "' entry declares " + size + " content bytes");
        }
        if (size < 0) {
            throw new ImageFormatException(at(headerOffset) + " '" + name + "'", "negative size");
        }
        ImageLimits.check("maxEntryBytes", limits.maxEntryBytes(), size, at(headerOffset) + " '" + name + "'");
        if (uid > 0xFFFF_FFFFL || gid > 0xFFFF_FFFFL || major > 0xFFFF_FFFFL || minor > 0xFFFF_FFFFL) {
            throw new ImageFormatException(at(headerOffset) + " '" + name + "'", "uid, gid or device number out of range");
        }
        Map<String, byte[]> xattrs = new HashMap<>();
        for (Map.Entry<String, String> record : pax.entrySet()) {
            String key = record.getKey();
            if (key.startsWith("SCHILY.xattr.")) {
                // PAX values are strings; SCHILY xattrs carry the raw bytes as ISO-8859-1 code points (see parsePax)
                xattrs.put(key.substring("SCHILY.xattr.".length()), record.getValue().getBytes(StandardCharsets.ISO_8859_1));
            } else if (key.startsWith("LIBARCHIVE.xattr.")) {
                String attr = java.net.URLDecoder.decode(key.substring("LIBARCHIVE.xattr.".length()), StandardCharsets.UTF_8);
                try {
                    xattrs.putIfAbsent(attr, Base64.getDecoder().decode(record.getValue().getBytes(StandardCharsets.ISO_8859_1)));
                } catch (IllegalArgumentException e) {
                    throw new ImageFormatException(at(headerOffset) + " '" + name + "'", "bad base64 in " + key);
                }
            }
        }
        for (Map.Entry<String, byte[]> xattr : xattrs.entrySet()) {
            ImageLimits.check("maxXattrBytes", limits.maxXattrBytes(), xattr.getValue().length,
                at(headerOffset) + " '" + name + "' xattr " + xattr.getKey());
        }
        remaining = size;
        padding = (BLOCK - size % BLOCK) % BLOCK;
        return new TarEntry(name, type, (int) (mode & 07777), uid, gid, size, linkName, major, minor, xattrs, headerOffset);
    }

    /** Reads content of the current entry; -1 at its end. A stream that ends early is a truncated archive. */
    int read(byte[] buffer, int offset, int length) throws IOException, ImageException {
        if (remaining == 0) {
            return -1;
        }
        int n = in.read(buffer, offset, (int) Math.min(length, remaining));
        if (n < 0) {
            throw new TruncatedArchiveException(location, position, "archive ends inside an entry's content ("
                + remaining + " bytes missing)");
        }
        position += n;
        remaining -= n;
        return n;
    }

    /** Skips the rest of the current entry's content and its padding. */
    void skipContent() throws IOException, ImageException {
        byte[] buffer = null;
        while (remaining > 0) {
            long skipped = in.skip(remaining);
            if (skipped > 0) {
                position += skipped;
                remaining -= skipped;
                continue;
            }
            if (buffer == null) {
                buffer = new byte[(int) Math.min(65536, remaining)];
            }
            read(buffer, 0, buffer.length);
        }
        if (padding > 0) {
            byte[] pad = new byte[(int) padding];
            readFully(pad, "padding");
            padding = 0;
        }
    }

    private boolean readBlock(byte[] block, boolean eofAllowed) throws IOException, ImageException {
        int done = 0;
        while (done < block.length) {
            int n = in.read(block, done, block.length - done);
            if (n < 0) {
                if (done == 0 && eofAllowed) {
                    return false;
                }
                throw new TruncatedArchiveException(location, position + done, "archive ends inside a header");
            }
            done += n;
        }
        position += block.length;
        return true;
    }

    private void readFully(byte[] data, String what) throws IOException, ImageException {
        int done = 0;
        while (done < data.length) {
            int n = in.read(data, done, data.length - done);
            if (n < 0) {
                throw new TruncatedArchiveException(location, position + done, "archive ends inside " + what);
            }
            done += n;
        }
        position += data.length;
    }

    private byte[] readSmall(int size) throws IOException, ImageException {
        byte[] data = new byte[size];
        readFully(data, "an extended header");
        int pad = (BLOCK - size % BLOCK) % BLOCK;
        if (pad > 0) {
            readFully(new byte[pad], "padding");
        }
        return data;
    }

    private void verifyChecksum(long headerOffset) throws ImageException {
        long stored;
        try {
            stored = octal(148, 8);
        } catch (NumberFormatException e) {
            throw new ImageFormatException(at(headerOffset), "header checksum field is not a number");
        }
        long unsigned = 0;
        long signed = 0;
        for (int i = 0; i < BLOCK; i++) {
            int b = (i >= 148 && i < 156) ? ' ' : header[i];
            unsigned += b & 0xff;
            signed += (i >= 148 && i < 156) ? ' ' : header[i];
        }
        if (stored != unsigned && stored != signed) {
            throw new ImageFormatException(at(headerOffset), "header checksum mismatch (not a tar archive, or corrupt)");
        }
    }

    private long number(int offset, int length, String field, long headerOffset) throws ImageException {
        if ((header[offset] & 0x80) != 0) {
            // GNU base-256: the first byte's top bit marks it; 0xff would be negative
            if ((header[offset] & 0xff) == 0xff) {
                throw new ImageFormatException(at(headerOffset), "negative " + field);
            }
            long value = header[offset] & 0x7f;
            for (int i = 1; i < length; i++) {
                if ((value >>> 55) != 0) {
                    throw new ImageFormatException(at(headerOffset), field + " too large");
                }
                value = (value << 8) | (header[offset + i] & 0xff);
            }
            return value;
        }
        try {
            return octal(offset, length);
        } catch (NumberFormatException e) {
            throw new ImageFormatException(at(headerOffset), field + " field is not an octal number");
        }
    }

    private long octal(int offset, int length) {
        int i = offset;
        int end = offset + length;
        while (i < end && (header[i] == ' ' || header[i] == 0)) {
            i++;
        }
        long value = 0;
        int digits = 0;
        for (; i < end; i++) {
            byte b = header[i];
            if (b == ' ' || b == 0) {
                break;
            }
            if (b < '0' || b > '7' || digits >= 21) {
                throw new NumberFormatException();
            }
            value = (value << 3) + (b - '0');
            digits++;
        }
        for (; i < end; i++) {
            if (header[i] != ' ' && header[i] != 0) {
                throw new NumberFormatException();
            }
        }
        return value;
    }

    private long paxNumber(Map<String, String> pax, String key, long headerOffset) throws ImageException {
        String value = pax.get(key);
        if (value.isEmpty() || value.length() > 19 || !value.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new ImageFormatException(at(headerOffset), "PAX record " + key + " is not a decimal number");
        }
        return Long.parseLong(value);
    }

    /**
     * PAX records: {@code "%d %s=%s\n"}, the length counting the whole record. Keys and values are decoded as
     * ISO-8859-1 here (one char per byte) so that binary xattr values survive; path-like values are re-decoded as
     * UTF-8, strictly.
     */
    private Map<String, String> parsePax(byte[] data, long headerOffset) throws ImageException {
        Map<String, String> records = new LinkedHashMap<>();
        int i = 0;
        while (i < data.length) {
            if (data[i] == 0) {
                break; // trailing NUL padding written by some tools
            }
            int space = i;
            long length = 0;
            while (space < data.length && data[space] >= '0' && data[space] <= '9') {
                length = length * 10 + (data[space] - '0');
                if (length > data.length) {
                    throw new ImageFormatException(at(headerOffset), "PAX record length exceeds the header");
                }
                space++;
            }
            if (space == i || space >= data.length || data[space] != ' ' || length < space - i + 3
                || i + length > data.length || data[(int) (i + length - 1)] != '\n') {
                throw new ImageFormatException(at(headerOffset), "malformed PAX record");
            }
            int end = (int) (i + length - 1);
            int equals = -1;
            for (int j = space + 1; j < end; j++) {
                if (data[j] == '=') {
                    equals = j;
                    break;
                }
            }
            if (equals <= space + 1) {
                throw new ImageFormatException(at(headerOffset), "malformed PAX record (no key)");
            }
            String key = new String(data, space + 1, equals - space - 1, StandardCharsets.ISO_8859_1);
            byte[] valueBytes = java.util.Arrays.copyOfRange(data, equals + 1, end);
            String value;
            if (key.equals("path") || key.equals("linkpath")) {
                value = utf8(valueBytes, key, headerOffset);
            } else {
                value = new String(valueBytes, StandardCharsets.ISO_8859_1);
            }
            records.put(key, value);
            i += (int) length;
        }
        return records;
    }

    private String utf8(byte[] bytes, String what, long headerOffset) throws ImageFormatException {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
        try {
            CharBuffer chars = decoder.decode(ByteBuffer.wrap(bytes));
            String text = chars.toString();
            if (text.indexOf('\0') >= 0) {
                throw new ImageFormatException(at(headerOffset), what + " contains NUL");
            }
            return text;
        } catch (CharacterCodingException e) {
            throw new ImageFormatException(at(headerOffset), what + " is not valid UTF-8 (hex "
                + HexFormat.of().formatHex(bytes, 0, Math.min(bytes.length, 200)) + ")");
        }
    }

    private void checkPathLength(String path, long headerOffset) throws ImageLimitException {
        int bytes = path.getBytes(StandardCharsets.UTF_8).length;
        ImageLimits.check("maxPathBytes", limits.maxPathBytes(), bytes, at(headerOffset));
    }

    private byte[] field(int offset, int length) {
        int end = offset;
        while (end < offset + length && header[end] != 0) {
            end++;
        }
        return java.util.Arrays.copyOfRange(header, offset, end);
    }

    private static byte[] trimNul(byte[] value) {
        int end = value.length;
        while (end > 0 && value[end - 1] == 0) {
            end--;
        }
        return java.util.Arrays.copyOf(value, end);
    }

    private static boolean isZero(byte[] block) {
        for (byte b : block) {
            if (b != 0) {
                return false;
            }
        }
        return true;
    }

    private String at(long headerOffset) {
        return location + " (tar header at byte " + headerOffset + ")";
    }

    private static String printable(char c) {
        return c >= 0x21 && c < 0x7f ? String.valueOf(c) : String.format("\\x%02x", (int) c);
    }

    /** Reads to the end of the underlying stream (after the end-of-archive marker), so digests cover it all. */
    void drain() throws IOException {
        byte[] buffer = new byte[65536];
        while (in.read(buffer, 0, buffer.length) >= 0) {
            // discard
        }
    }
}
