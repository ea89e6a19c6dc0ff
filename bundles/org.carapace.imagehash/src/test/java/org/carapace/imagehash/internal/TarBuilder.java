package org.carapace.imagehash.internal;

import io.airlift.compress.zstd.ZstdOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.GZIPOutputStream;

/** Writes tar archives byte by byte for tests, including the malformed and hostile ones real tools refuse to write. */
final class TarBuilder {

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    static TarBuilder tar() {
        return new TarBuilder();
    }

    TarBuilder dir(String name, int mode) {
        return entry(name, '5', mode, 0, 0, new byte[0], "", Map.of());
    }

    TarBuilder file(String name, int mode, String content) {
        return entry(name, '0', mode, 0, 0, content.getBytes(StandardCharsets.UTF_8), "", Map.of());
    }

    TarBuilder file(String name, int mode, long uid, long gid, String content) {
        return entry(name, '0', mode, uid, gid, content.getBytes(StandardCharsets.UTF_8), "", Map.of());
    }

    TarBuilder symlink(String name, String target) {
        return entry(name, '2', 0777, 0, 0, new byte[0], target, Map.of());
    }

    TarBuilder hardlink(String name, String target) {
        return entry(name, '1', 0644, 0, 0, new byte[0], target, Map.of());
    }

    TarBuilder whiteout(String name) {
        return entry(name, '0', 0, 0, 0, new byte[0], "", Map.of());
    }

    TarBuilder device(String name, char type, int major, int minor) {
        return device(name, type, 0600, major, minor);
    }

    TarBuilder device(String name, char type, int mode, int major, int minor) {
        byte[] header = header(name, type, mode, 0, 0, 0, "");
        octal(header, 329, 8, major);
        octal(header, 337, 8, minor);
        checksum(header);
        out.writeBytes(header);
        return this;
    }

    /** An entry with PAX records (xattrs as SCHILY.xattr.NAME). */
    TarBuilder entry(String name, char type, int mode, long uid, long gid, byte[] content, String link, Map<String, byte[]> pax) {
        if (!pax.isEmpty() || name.getBytes(StandardCharsets.UTF_8).length > 100) {
            Map<String, byte[]> records = new LinkedHashMap<>(pax);
            if (name.getBytes(StandardCharsets.UTF_8).length > 100) {
                records.put("path", name.getBytes(StandardCharsets.UTF_8));
            }
            paxHeader(records);
        }
        byte[] header = header(name.length() > 100 ? name.substring(0, 99) : name, type, mode, uid, gid, content.length, link);
        out.writeBytes(header);
        out.writeBytes(content);
        pad(content.length);
        return this;
    }

    TarBuilder paxHeader(Map<String, byte[]> records) {
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        for (Map.Entry<String, byte[]> record : records.entrySet()) {
            byte[] key = record.getKey().getBytes(StandardCharsets.UTF_8);
            int base = key.length + record.getValue().length + 3;
            int length = base + String.valueOf(base).length();
            if (String.valueOf(length).length() != String.valueOf(base).length()) {
                length++;
            }
            data.writeBytes((length + " ").getBytes(StandardCharsets.US_ASCII));
            data.writeBytes(key);
            data.write('=');
            data.writeBytes(record.getValue());
            data.write('\n');
        }
        byte[] body = data.toByteArray();
        out.writeBytes(header("PaxHeader", 'x', 0644, 0, 0, body.length, ""));
        out.writeBytes(body);
        pad(body.length);
        return this;
    }

    /** A header that declares {@code size} content bytes, without writing them. */
    TarBuilder rawHeader(String name, char type, long size) {
        out.writeBytes(header(name, type, 0644, 0, 0, size, ""));
        return this;
    }

    TarBuilder raw(byte[] bytes) {
        out.writeBytes(bytes);
        return this;
    }

    /** The archive with its end-of-archive marker. */
    byte[] bytes() {
        ByteArrayOutputStream copy = new ByteArrayOutputStream();
        copy.writeBytes(out.toByteArray());
        copy.writeBytes(new byte[1024]);
        return copy.toByteArray();
    }

    /** The archive without its end-of-archive marker. */
    byte[] unterminated() {
        return out.toByteArray();
    }

    static byte[] gzip(byte[] data) {
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(buffer)) {
            gz.write(data);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return buffer.toByteArray();
    }

    static byte[] zstd(byte[] data) {
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        try (ZstdOutputStream zs = new ZstdOutputStream(buffer)) {
            zs.write(data);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return buffer.toByteArray();
    }

    private void pad(long length) {
        int padding = (int) ((512 - length % 512) % 512);
        out.writeBytes(new byte[padding]);
    }

    static byte[] header(String name, char type, int mode, long uid, long gid, long size, String link) {
        byte[] h = new byte[512];
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        System.arraycopy(n, 0, h, 0, Math.min(100, n.length));
        octal(h, 100, 8, mode);
        octal(h, 108, 8, uid);
        octal(h, 116, 8, gid);
        if (size > 077777777777L) {
            h[124] = (byte) 0x80;
            for (int i = 0; i < 8; i++) {
                h[135 - i] = (byte) (size >>> (8 * i));
            }
        } else {
            octal(h, 124, 12, size);
        }
        octal(h, 136, 12, 0);
        h[156] = (byte) type;
        byte[] l = link.getBytes(StandardCharsets.UTF_8);
        System.arraycopy(l, 0, h, 157, Math.min(100, l.length));
        System.arraycopy("ustar\0".getBytes(StandardCharsets.US_ASCII), 0, h, 257, 6);
        h[263] = '0';
        h[264] = '0';
        checksum(h);
        return h;
    }

    static void checksum(byte[] h) {
        for (int i = 148; i < 156; i++) {
            h[i] = ' ';
        }
        long sum = 0;
        for (byte b : h) {
            sum += b & 0xff;
        }
        octal(h, 148, 7, sum);
        h[155] = ' ';
    }

    private static void octal(byte[] h, int offset, int length, long value) {
        String text = String.format("%0" + (length - 1) + "o", value);
        byte[] digits = text.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(digits, 0, h, offset, length - 1);
        h[offset + length - 1] = 0;
    }
}
