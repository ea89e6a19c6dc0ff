package org.carapace.imagehash.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The tar dialects image tools write: ustar, pax, GNU long names, base-256 numbers. */
class TarReaderTest {

    private static TarReader reader(byte[] tar) {
        return new TarReader(new ByteArrayInputStream(tar), "test", ImageLimits.DEFAULTS);
    }

    @Test
    void paxPathsAndXattrsOverrideTheHeader() throws Exception {
        String longName = "dir/" + "x".repeat(150);
        byte[] cap = {1, 0, 0, 2, (byte) 0xff, 0};
        byte[] tar = TarBuilder.tar().entry(longName, '0', 0755, 1, 2, "abc".getBytes(StandardCharsets.UTF_8), "",
            Map.of("SCHILY.xattr.security.capability", cap,
                "LIBARCHIVE.xattr.user.b64", Base64.getEncoder().encode("v".getBytes(StandardCharsets.UTF_8)))).bytes();
        TarReader reader = reader(tar);
        TarEntry entry = reader.next();
        assertEquals(longName, entry.name());
        assertEquals(3, entry.size());
        assertEquals(0755, entry.mode());
        assertArrayEquals(cap, entry.xattrs().get("security.capability"));
        assertArrayEquals("v".getBytes(StandardCharsets.UTF_8), entry.xattrs().get("user.b64"));
        assertNull(reader.next());
    }

    @Test
    void gnuLongNamesAndLinks() throws Exception {
        String name = "n".repeat(200);
        String link = "l".repeat(180);
        TarBuilder tar = TarBuilder.tar();
        byte[] nameData = (name + "\0").getBytes(StandardCharsets.UTF_8);
        tar.raw(TarBuilder.header("././@LongLink", 'L', 0, 0, 0, nameData.length, "")).raw(padded(nameData));
        byte[] linkData = (link + "\0").getBytes(StandardCharsets.UTF_8);
        tar.raw(TarBuilder.header("././@LongLink", 'K', 0, 0, 0, linkData.length, "")).raw(padded(linkData));
        tar.raw(TarBuilder.header("truncated", '2', 0777, 0, 0, 0, "truncated"));
        TarEntry entry = reader(tar.bytes()).next();
        assertEquals(name, entry.name());
        assertEquals(link, entry.linkName());
        assertEquals('2', entry.type());
    }

    @Test
    void base256Sizes() throws Exception {
        // sizes of 8 GiB and more do not fit 11 octal digits: GNU tar writes them in base 256
        byte[] header = TarBuilder.header("big", '0', 0644, 0, 0, 1L << 33, "");
        assertEquals((byte) 0x80, header[124]);
        TarEntry entry = reader(TarBuilder.tar().raw(header).unterminated()).next();
        assertEquals(1L << 33, entry.size());
    }

    @Test
    void ustarPrefixJoinsTheName() throws Exception {
        byte[] header = TarBuilder.header("file", '0', 0644, 0, 0, 0, "");
        byte[] prefix = "some/long/prefix".getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(prefix, 0, header, 345, prefix.length);
        TarBuilder.checksum(header);
        assertEquals("some/long/prefix/file", reader(TarBuilder.tar().raw(header).bytes()).next().name());
    }

    private static byte[] padded(byte[] data) {
        return java.util.Arrays.copyOf(data, (data.length + 511) / 512 * 512);
    }
}
