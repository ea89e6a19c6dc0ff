package org.carapace.imagehash.internal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import org.carapace.api.image.Digest;
import org.carapace.api.image.DigestAlgorithm;
import org.carapace.api.image.HashOptions;
import org.carapace.api.image.ImageHashResult;
import org.carapace.api.image.ImageHasher;
import org.carapace.api.image.ImageSource;
import org.carapace.api.ota.SelfTest;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * The image hashing bundle's self-test for over-the-air updates: a known-answer test through the running
 * {@link ImageHasher} service, the one the gate uses. It writes the worked example of docs/rootfs-digest.md §7 as a
 * one-layer OCI image (an uncompressed tar with a setuid file carrying {@code security.capability}, a symlink, a hard
 * link, a character device, a FIFO, a sticky directory, a non-ASCII name and a name with a space) into a temporary
 * directory, hashes it, and requires exactly the digest the specification states. A hasher whose encoding, tar
 * parsing, layer handling or digest changed in any way fails it, and the OTA installer rolls the update back.
 *
 * <p>The image is built in memory and written with this process's permissions only (a tar can describe root-owned
 * devices without root); the directory is removed afterwards. Tens of milliseconds.
 */
@Component(service = SelfTest.class)
public final class ImageHashSelfTest implements SelfTest {

    /** docs/rootfs-digest.md §7: computed independently (sha256sum of the listing). */
    static final String WORKED_EXAMPLE_DIGEST = "sha256:1838ec98352cc2e707a66061ae8782ec90805f056c821a4baceac9694e1f4d32";

    private final ImageHasher hasher;

    @Activate
    public ImageHashSelfTest(@Reference ImageHasher hasher) {
        this.hasher = hasher;
    }

    @Override
    public void selfTest() throws Exception {
        Path dir = Files.createTempDirectory("carapace-imagehash-selftest");
        try {
            writeLayout(dir, workedExampleLayer());
            ImageHashResult result = hasher.hash(ImageSource.parse("oci:" + dir), HashOptions.defaults());
            String digest = result.rootfsDigest().toString();
            if (!WORKED_EXAMPLE_DIGEST.equals(digest)) {
                throw new IllegalStateException("the worked example of docs/rootfs-digest.md hashes to " + digest + ", not "
                    + WORKED_EXAMPLE_DIGEST + ": the rootfs digest has changed");
            }
            int entries = result.manifest().entries().size();
            if (entries != 11) {
                throw new IllegalStateException("the worked example has 11 entries, the hasher found " + entries);
            }
        } finally {
            deleteTree(dir);
        }
    }

    /** The worked example's single layer, as {@code tar -tvv} shows it in docs/rootfs-digest.md §7. */
    static byte[] workedExampleLayer() {
        byte[] hello = "hello\n".getBytes(StandardCharsets.UTF_8);
        // what setcap cap_net_raw+ep writes
        byte[] capNetRaw = HexFormat.of().parseHex("0100000200200000000000000000000000000000");
        Tar tar = new Tar();
        tar.entry("bin/", '5', 0755, 0, 0, new byte[0], "", 0, 0, Map.of());
        tar.entry("bin/hello", '0', 04755, 0, 0, hello, "", 0, 0, Map.of("SCHILY.xattr.security.capability", capNetRaw));
        tar.entry("bin/sh", '2', 0777, 0, 0, new byte[0], "hello", 0, 0, Map.of());
        tar.entry("dev/", '5', 0755, 0, 0, new byte[0], "", 0, 0, Map.of());
        tar.entry("dev/null", '3', 0666, 0, 0, new byte[0], "", 1, 3, Map.of());
        tar.entry("home/", '5', 0755, 0, 0, new byte[0], "", 0, 0, Map.of());
        tar.entry("home/a b", '0', 0640, 1000, 1000, new byte[0], "", 0, 0, Map.of());
        tar.entry("home/caf\u00e9", '0', 0644, 1000, 1000, hello, "", 0, 0, Map.of());
        tar.entry("home/hello-link", '1', 04755, 0, 0, new byte[0], "bin/hello", 0, 0, Map.of());
        tar.entry("run/", '5', 01777, 0, 0, new byte[0], "", 0, 0, Map.of());
        tar.entry("run/fifo", '6', 0600, 0, 0, new byte[0], "", 0, 0, Map.of());
        return tar.finish();
    }

    /** An OCI image layout (image-spec v1.0) with one uncompressed layer. */
    static void writeLayout(Path dir, byte[] layer) throws IOException {
        Files.createDirectories(dir.resolve("blobs/sha256"));
        Files.writeString(dir.resolve("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
        Digest layerDigest = blob(dir, layer);
        byte[] config = ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" + layerDigest
            + "\"]}}").getBytes(StandardCharsets.UTF_8);
        Digest configDigest = blob(dir, config);
        byte[] manifest = ("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":"
            + descriptor("application/vnd.oci.image.config.v1+json", configDigest, config.length) + ",\"layers\":["
            + descriptor("application/vnd.oci.image.layer.v1.tar", layerDigest, layer.length) + "]}").getBytes(StandardCharsets.UTF_8);
        Digest manifestDigest = blob(dir, manifest);
        Files.writeString(dir.resolve("index.json"), "{\"schemaVersion\":2,\"manifests\":["
            + descriptor("application/vnd.oci.image.manifest.v1+json", manifestDigest, manifest.length) + "]}");
    }

    private static Digest blob(Path dir, byte[] data) throws IOException {
        Digest digest = DigestAlgorithm.SHA256.digest(data);
        Files.write(dir.resolve("blobs/sha256").resolve(digest.hex()), data);
        return digest;
    }

    private static String descriptor(String mediaType, Digest digest, long size) {
        return "{\"mediaType\":\"" + mediaType + "\",\"digest\":\"" + digest + "\",\"size\":" + size + "}";
    }

    private static void deleteTree(Path dir) throws IOException {
        try (var files = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) files.sorted(java.util.Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** A minimal POSIX ustar writer (POSIX.1-2001 pax extended headers for xattrs): just what the example needs. */
    private static final class Tar {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        void entry(String name, char type, int mode, long uid, long gid, byte[] content, String link, int major, int minor,
                   Map<String, byte[]> pax) {
            if (!pax.isEmpty()) {
                ByteArrayOutputStream records = new ByteArrayOutputStream();
                for (Map.Entry<String, byte[]> record : new LinkedHashMap<>(pax).entrySet()) {
                    byte[] key = record.getKey().getBytes(StandardCharsets.UTF_8);
                    // "LEN key=value\n", where LEN counts itself
                    int base = key.length + record.getValue().length + 3;
                    int length = base + String.valueOf(base).length();
                    if (String.valueOf(length).length() != String.valueOf(base).length()) {
                        length++;
                    }
                    records.writeBytes((length + " ").getBytes(StandardCharsets.US_ASCII));
                    records.writeBytes(key);
                    records.write('=');
                    records.writeBytes(record.getValue());
                    records.write('\n');
                }
                byte[] body = records.toByteArray();
                out.writeBytes(header("PaxHeader", 'x', 0644, 0, 0, body.length, "", 0, 0));
                out.writeBytes(body);
                pad(body.length);
            }
            out.writeBytes(header(name, type, mode, uid, gid, content.length, link, major, minor));
            out.writeBytes(content);
            pad(content.length);
        }

        byte[] finish() {
            out.writeBytes(new byte[1024]); // end-of-archive: two zero blocks
            return out.toByteArray();
        }

        private void pad(long length) {
            out.writeBytes(new byte[(int) ((512 - length % 512) % 512)]);
        }

        private static byte[] header(String name, char type, int mode, long uid, long gid, long size, String link, int major,
                                     int minor) {
            byte[] h = new byte[512];
            put(h, 0, 100, name.getBytes(StandardCharsets.UTF_8));
            octal(h, 100, 8, mode);
            octal(h, 108, 8, uid);
            octal(h, 116, 8, gid);
            octal(h, 124, 12, size);
            octal(h, 136, 12, 0);
            h[156] = (byte) type;
            put(h, 157, 100, link.getBytes(StandardCharsets.UTF_8));
            put(h, 257, 6, "ustar\0".getBytes(StandardCharsets.US_ASCII));
            put(h, 263, 2, "00".getBytes(StandardCharsets.US_ASCII));
            octal(h, 329, 8, major);
            octal(h, 337, 8, minor);
            // the checksum is computed with its own field as eight spaces
            java.util.Arrays.fill(h, 148, 156, (byte) ' ');
            long sum = 0;
            for (byte b : h) {
                sum += b & 0xff;
            }
            byte[] field = String.format("%06o", sum).getBytes(StandardCharsets.US_ASCII);
            System.arraycopy(field, 0, h, 148, 6);
            h[154] = 0;
            h[155] = ' ';
            return h;
        }

        private static void put(byte[] h, int offset, int length, byte[] value) {
            if (value.length > length) {
                throw new IllegalArgumentException("tar field too long");
            }
            System.arraycopy(value, 0, h, offset, value.length);
        }

        private static void octal(byte[] h, int offset, int length, long value) {
            byte[] digits = String.format("%0" + (length - 1) + "o", value).getBytes(StandardCharsets.US_ASCII);
            System.arraycopy(digits, 0, h, offset, length - 1);
            h[offset + length - 1] = 0;
        }
    }
}
