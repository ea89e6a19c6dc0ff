package org.carapace.imagehash.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.carapace.api.image.BlobCheck;
import org.carapace.api.image.BlobVerificationException;
import org.carapace.api.image.Digest;
import org.carapace.api.image.FileEntry;
import org.carapace.api.image.FileType;
import org.carapace.api.image.HashOptions;
import org.carapace.api.image.ImageException;
import org.carapace.api.image.ImageFormatException;
import org.carapace.api.image.ImageHashResult;
import org.carapace.api.image.ImageLimitException;
import org.carapace.api.image.ImageSource;
import org.carapace.api.image.TruncatedArchiveException;
import org.carapace.api.image.UnsafeEntryException;
import org.carapace.api.image.UnsafeEntryException.Reason;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Adversarial layers and layouts, one test per attack (named after it): each ends in a typed error naming the
 * entry or blob, or in the documented handling. Nothing here may crash, hang or write outside the test directory.
 */
class HostileImageTest {

    @TempDir
    Path dir;

    private ImageHashEngine engine = new ImageHashEngine(ImageLimits.DEFAULTS, 2, 0);

    @AfterEach
    void close() {
        engine.close();
    }

    private ImageHashResult hash(byte[]... layers) throws Exception {
        OciLayoutBuilder layout = new OciLayoutBuilder(dir.resolve("oci"));
        for (byte[] layer : layers) {
            layout.layer(layer);
        }
        layout.write();
        return engine.hash(ImageSource.parse("oci:" + dir.resolve("oci")), HashOptions.defaults());
    }

    private <T extends ImageException> T refused(Class<T> type, byte[]... layers) throws Exception {
        OciLayoutBuilder layout = new OciLayoutBuilder(dir.resolve("oci"));
        for (byte[] layer : layers) {
            layout.layer(layer);
        }
        layout.write();
        return assertThrows(type, () -> engine.hash(ImageSource.parse("oci:" + dir.resolve("oci")), HashOptions.defaults()));
    }

    private static ImageLimits limits(long maxImageBytes, int maxEntries, int maxPaxHeaderBytes) {
        ImageLimits d = ImageLimits.DEFAULTS;
        return new ImageLimits(maxImageBytes, d.maxEntryBytes(), maxEntries, d.maxLayers(), d.maxJsonBytes(), d.maxJsonDepth(),
            d.maxIndexDepth(), d.maxPathBytes(), d.maxPathDepth(), maxPaxHeaderBytes, d.maxXattrBytes(), d.maxManifestBytes());
    }

    @Test
    @DisplayName("image/tar-path-traversal")
    void tarPathTraversal() throws Exception {
        UnsafeEntryException e = refused(UnsafeEntryException.class,
            TarBuilder.tar().dir("etc", 0755).file("../../etc/passwd", 0644, "root::0:0::/:/bin/sh\n").bytes());
        assertEquals(Reason.PATH_TRAVERSAL, e.reason());
        assertEquals("../../etc/passwd", e.entry());
        assertTrue(e.location().contains("layer 0"), e.location());
        assertTrue(Files.notExists(dir.resolve("etc")));
    }

    @Test
    @DisplayName("image/tar-absolute-path")
    void tarAbsolutePath() throws Exception {
        UnsafeEntryException e = refused(UnsafeEntryException.class, TarBuilder.tar().file("/etc/shadow", 0600, "x").bytes());
        assertEquals(Reason.ABSOLUTE_PATH, e.reason());
        assertEquals("/etc/shadow", e.entry());
    }

    @Test
    @DisplayName("image/symlink-escape")
    void symlinkEscape() throws Exception {
        // a careless extractor writes "escape/passwd" through the link into the host's /etc
        UnsafeEntryException e = refused(UnsafeEntryException.class,
            TarBuilder.tar().symlink("escape", "/etc").file("escape/passwd", 0644, "owned\n").bytes());
        assertEquals(Reason.PARENT_NOT_DIRECTORY, e.reason());
        assertEquals("escape/passwd", e.entry());
    }

    @Test
    @DisplayName("image/symlink-escape-across-layers")
    void symlinkEscapeAcrossLayers() throws Exception {
        UnsafeEntryException e = refused(UnsafeEntryException.class,
            TarBuilder.tar().symlink("usr", "../../../").bytes(),
            TarBuilder.tar().file("usr/bin/evil", 0755, "x").bytes());
        assertEquals(Reason.PARENT_NOT_DIRECTORY, e.reason());
        assertEquals("usr/bin/evil", e.entry());
        assertTrue(e.location().contains("layer 1"), e.location());
    }

    @Test
    @DisplayName("image/hardlink-missing-target")
    void hardlinkMissingTarget() throws Exception {
        UnsafeEntryException e = refused(UnsafeEntryException.class, TarBuilder.tar().hardlink("b", "missing").bytes());
        assertEquals(Reason.HARDLINK_TARGET_MISSING, e.reason());
        assertEquals("b", e.entry());
    }

    @Test
    @DisplayName("image/hardlink-outside-root")
    void hardlinkOutsideRoot() throws Exception {
        UnsafeEntryException relative = refused(UnsafeEntryException.class,
            TarBuilder.tar().hardlink("shadow", "../../etc/shadow").bytes());
        assertEquals(Reason.HARDLINK_TARGET_OUTSIDE, relative.reason());
        assertEquals("shadow", relative.entry());
        UnsafeEntryException absolute = refused(UnsafeEntryException.class,
            TarBuilder.tar().hardlink("shadow", "/etc/shadow").bytes());
        assertEquals(Reason.HARDLINK_TARGET_OUTSIDE, absolute.reason());
    }

    @Test
    @DisplayName("image/hardlink-through-symlink")
    void hardlinkThroughSymlink() throws Exception {
        UnsafeEntryException e = refused(UnsafeEntryException.class,
            TarBuilder.tar().symlink("host", "/etc").hardlink("copy", "host/shadow").bytes());
        assertEquals(Reason.PARENT_NOT_DIRECTORY, e.reason());
        assertEquals("copy", e.entry());
    }

    @Test
    @DisplayName("image/hardlink-to-directory")
    void hardlinkToDirectory() throws Exception {
        UnsafeEntryException e = refused(UnsafeEntryException.class,
            TarBuilder.tar().dir("d", 0755).hardlink("loop", "d").bytes());
        assertEquals(Reason.HARDLINK_TO_DIRECTORY, e.reason());
    }

    @Test
    @DisplayName("image/device-node")
    void deviceNode() throws Exception {
        // documented handling: devices are part of the image, digested with their numbers; policy decides
        ImageHashResult result = hash(TarBuilder.tar().dir("dev", 0755).device("dev/sda", '4', 8, 0)
            .device("dev/mem", '3', 1, 1).bytes());
        FileEntry sda = result.manifest().entry("/dev/sda").orElseThrow();
        assertEquals(FileType.BLOCK_DEVICE, sda.type());
        assertEquals(8, sda.deviceMajor());
        assertEquals(0, sda.deviceMinor());
        FileEntry mem = result.manifest().entry("/dev/mem").orElseThrow();
        assertEquals(FileType.CHAR_DEVICE, mem.type());
        assertEquals(1, mem.deviceMinor());
        assertEquals("/dev/mem type=char mode=0600 uid=0 gid=0 dev=1,1\n", CanonicalEncoding.line(mem));
    }

    @Test
    @DisplayName("image/duplicate-entry")
    void duplicateEntry() throws Exception {
        UnsafeEntryException e = refused(UnsafeEntryException.class,
            TarBuilder.tar().file("bin/tool", 0755, "good").file("bin/tool", 0755, "evil").bytes());
        assertEquals(Reason.DUPLICATE_ENTRY, e.reason());
        assertEquals("bin/tool", e.entry());
    }

    @Test
    @DisplayName("image/whiteout-missing-file")
    void whiteoutOfMissingFile() throws Exception {
        // documented handling: a whiteout of a path no lower layer has changes nothing
        Digest plain = hash(TarBuilder.tar().file("a", 0644, "a").bytes()).rootfsDigest();
        Digest withWhiteout = hash(TarBuilder.tar().file("a", 0644, "a").bytes(),
            TarBuilder.tar().whiteout(".wh.missing").whiteout("nodir/.wh.x").bytes()).rootfsDigest();
        assertEquals(plain, withWhiteout);
    }

    @Test
    @DisplayName("image/huge-declared-size")
    void hugeDeclaredSize() throws Exception {
        byte[] layer = TarBuilder.tar().rawHeader("huge", '0', 1L << 40).raw(new byte[4096]).unterminated();
        ImageLimitException e = refused(ImageLimitException.class, layer);
        assertEquals("maxEntryBytes", e.limit());
        assertEquals(1L << 40, e.actual());
        assertTrue(e.getMessage().contains("'huge'"), e.getMessage());
    }

    @Test
    @DisplayName("image/declared-size-beyond-data")
    void declaredSizeBeyondData() throws Exception {
        byte[] layer = TarBuilder.tar().rawHeader("short", '0', 1 << 20).raw(new byte[4096]).unterminated();
        TruncatedArchiveException e = refused(TruncatedArchiveException.class, layer);
        assertTrue(e.getMessage().contains("inside an entry's content"), e.getMessage());
    }

    @Test
    @DisplayName("image/decompression-bomb")
    void decompressionBombGzip() throws Exception {
        engine.close();
        engine = new ImageHashEngine(limits(16 << 20, 1000, 1 << 20), 2, 0);
        byte[] tar = TarBuilder.tar().entry("zeros", '0', 0644, 0, 0, new byte[64 << 20], "", Map.of()).bytes();
        byte[] bomb = TarBuilder.gzip(tar);
        assertTrue(bomb.length < tar.length / 500, "a bomb: " + bomb.length + " bytes");
        new OciLayoutBuilder(dir.resolve("oci")).layer(bomb, tar).write();
        ImageLimitException e = assertThrows(ImageLimitException.class,
            () -> engine.hash(ImageSource.parse("oci:" + dir.resolve("oci")), HashOptions.defaults()));
        assertEquals("maxImageBytes", e.limit());
        assertEquals(16 << 20, e.maximum());
    }

    @Test
    @DisplayName("image/decompression-bomb-zstd")
    void decompressionBombZstd() throws Exception {
        engine.close();
        engine = new ImageHashEngine(limits(16 << 20, 1000, 1 << 20), 2, 0);
        byte[] tar = TarBuilder.tar().entry("zeros", '0', 0644, 0, 0, new byte[64 << 20], "", Map.of()).bytes();
        new OciLayoutBuilder(dir.resolve("oci")).layer(TarBuilder.zstd(tar), tar).write();
        ImageLimitException e = assertThrows(ImageLimitException.class,
            () -> engine.hash(ImageSource.parse("oci:" + dir.resolve("oci")), HashOptions.defaults()));
        assertEquals("maxImageBytes", e.limit());
    }

    @Test
    @DisplayName("image/truncated-archive")
    void truncatedArchive() throws Exception {
        byte[] whole = TarBuilder.tar().file("a", 0644, "a".repeat(2000)).file("b", 0644, "b").bytes();
        // cut at an entry boundary: without the end-of-archive marker this is reported, not taken as complete
        byte[] atBoundary = java.util.Arrays.copyOf(whole, 512 + 2048);
        TruncatedArchiveException boundary = refused(TruncatedArchiveException.class, atBoundary);
        assertTrue(boundary.getMessage().contains("end-of-archive"), boundary.getMessage());
        // cut inside a content block
        TruncatedArchiveException inside = refused(TruncatedArchiveException.class, java.util.Arrays.copyOf(whole, 1000));
        assertEquals(1000, inside.offset());
    }

    @Test
    @DisplayName("image/truncated-gzip")
    void truncatedGzip() throws Exception {
        byte[] tar = TarBuilder.tar().file("a", 0644, "x".repeat(100_000)).bytes();
        byte[] gz = TarBuilder.gzip(tar);
        byte[] cut = java.util.Arrays.copyOf(gz, gz.length / 2);
        new OciLayoutBuilder(dir.resolve("oci")).layer(cut, tar).write();
        ImageFormatException e = assertThrows(ImageFormatException.class,
            () -> engine.hash(ImageSource.parse("oci:" + dir.resolve("oci")), HashOptions.defaults()));
        assertTrue(e.location().contains("layer 0"), e.getMessage());
    }

    @Test
    @DisplayName("image/corrupt-header-checksum")
    void corruptHeaderChecksum() throws Exception {
        byte[] tar = TarBuilder.tar().file("a", 0644, "a").bytes();
        tar[0] = 'b';
        ImageFormatException e = refused(ImageFormatException.class, tar);
        assertTrue(e.getMessage().contains("checksum"), e.getMessage());
    }

    @Test
    @DisplayName("image/pax-header-bomb")
    void paxHeaderBomb() throws Exception {
        engine.close();
        engine = new ImageHashEngine(limits(1L << 30, 1000, 4096), 2, 0);
        byte[] layer = TarBuilder.tar().paxHeader(Map.of("comment", new byte[100_000])).file("a", 0644, "a").bytes();
        ImageLimitException e = refused(ImageLimitException.class, layer);
        assertEquals("maxPaxHeaderBytes", e.limit());
    }

    @Test
    @DisplayName("image/too-many-entries")
    void tooManyEntries() throws Exception {
        engine.close();
        engine = new ImageHashEngine(limits(1L << 30, 10, 1 << 20), 2, 0);
        TarBuilder tar = TarBuilder.tar();
        for (int i = 0; i < 11; i++) {
            tar.file("f" + i, 0644, "x");
        }
        ImageLimitException e = refused(ImageLimitException.class, tar.bytes());
        assertEquals("maxEntries", e.limit());
    }

    @Test
    @DisplayName("image/non-utf8-name")
    void nonUtf8Name() throws Exception {
        byte[] header = TarBuilder.header("x", '0', 0644, 0, 0, 0, "");
        header[0] = (byte) 0xff;
        TarBuilder.checksum(header);
        ImageFormatException e = refused(ImageFormatException.class, TarBuilder.tar().raw(header).bytes());
        assertTrue(e.getMessage().contains("not valid UTF-8") && e.getMessage().contains("ff"), e.getMessage());
    }

    @Test
    @DisplayName("image/root-type-change")
    void rootTypeChange() throws Exception {
        UnsafeEntryException e = refused(UnsafeEntryException.class, TarBuilder.tar().symlink("./", "/").bytes());
        assertEquals(Reason.ROOT_TYPE_CHANGE, e.reason());
    }

    @Test
    @DisplayName("image/sparse-file")
    void sparseFile() throws Exception {
        ImageFormatException e = refused(ImageFormatException.class, TarBuilder.tar().rawHeader("sparse", 'S', 0).bytes());
        assertTrue(e.getMessage().contains("sparse"), e.getMessage());
    }

    @Test
    @DisplayName("image/malformed-json")
    void malformedJson() throws Exception {
        new OciLayoutBuilder(dir.resolve("oci")).layer(TarBuilder.tar().file("a", 0644, "a").bytes()).write();
        Files.writeString(dir.resolve("oci/index.json"), "{\"schemaVersion\":2,\"manifests\":[{\"digest\":");
        ImageFormatException e = assertThrows(ImageFormatException.class,
            () -> engine.hash(ImageSource.parse("oci:" + dir.resolve("oci")), HashOptions.defaults()));
        assertTrue(e.location().endsWith("index.json"), e.location());
    }

    @Test
    @DisplayName("image/duplicate-json-keys")
    void duplicateJsonKeys() throws Exception {
        new OciLayoutBuilder(dir.resolve("oci")).layer(TarBuilder.tar().file("a", 0644, "a").bytes()).write();
        String index = Files.readString(dir.resolve("oci/index.json"));
        Files.writeString(dir.resolve("oci/index.json"),
            index.replace("{\"schemaVersion\":2,", "{\"schemaVersion\":2,\"schemaVersion\":3,"));
        ImageFormatException e = assertThrows(ImageFormatException.class,
            () -> engine.hash(ImageSource.parse("oci:" + dir.resolve("oci")), HashOptions.defaults()));
        assertTrue(e.getMessage().contains("Duplicate"), e.getMessage());
    }

    @Test
    @DisplayName("image/deeply-nested-json")
    void deeplyNestedJson() throws Exception {
        OciLayoutBuilder layout = new OciLayoutBuilder(dir.resolve("oci"));
        layout.write();
        byte[] nested = ("{\"schemaVersion\":2,\"config\":" + "[".repeat(5000) + "]".repeat(5000) + "}")
            .getBytes(StandardCharsets.UTF_8);
        Digest digest = layout.blob(nested);
        Files.writeString(dir.resolve("oci/index.json"), "{\"schemaVersion\":2,\"manifests\":["
            + OciLayoutBuilder.descriptor("application/vnd.oci.image.manifest.v1+json", digest, nested.length) + "]}");
        ImageLimitException e = assertThrows(ImageLimitException.class,
            () -> engine.hash(ImageSource.parse("oci:" + dir.resolve("oci")), HashOptions.defaults()));
        assertEquals("maxJsonDepth", e.limit());
        assertTrue(e.location().contains(digest.toString()), e.location());
    }

    @Test
    @DisplayName("image/nested-index-depth")
    void nestedIndexDepth() throws Exception {
        OciLayoutBuilder layout = new OciLayoutBuilder(dir.resolve("oci"));
        layout.layer(TarBuilder.tar().file("a", 0644, "a").bytes());
        Digest manifest = layout.write();
        long size = Files.size(dir.resolve("oci/blobs/sha256").resolve(manifest.hex()));
        String child = OciLayoutBuilder.descriptor("application/vnd.oci.image.manifest.v1+json", manifest, size);
        for (int i = 0; i < 12; i++) {
            byte[] index = ("{\"schemaVersion\":2,\"manifests\":[" + child.replace("}", ",\"platform\":{\"os\":\"linux\","
                + "\"architecture\":\"" + org.carapace.api.image.Platform.current().architecture() + "\"}}") + "]}")
                .getBytes(StandardCharsets.UTF_8);
            Digest d = layout.blob(index);
            child = OciLayoutBuilder.descriptor("application/vnd.oci.image.index.v1+json", d, index.length);
        }
        Files.writeString(dir.resolve("oci/index.json"), "{\"schemaVersion\":2,\"manifests\":[" + child + "]}");
        ImageLimitException e = assertThrows(ImageLimitException.class,
            () -> engine.hash(ImageSource.parse("oci:" + dir.resolve("oci")), HashOptions.defaults()));
        assertEquals("maxIndexDepth", e.limit());
    }

    @Test
    @DisplayName("image/missing-blob")
    void missingBlob() throws Exception {
        OciLayoutBuilder layout = new OciLayoutBuilder(dir.resolve("oci"));
        byte[] layer = TarBuilder.gzip(TarBuilder.tar().file("a", 0644, "a").bytes());
        layout.layer(layer, TarBuilder.tar().file("a", 0644, "a").bytes()).write();
        Digest layerDigest = org.carapace.api.image.DigestAlgorithm.SHA256.digest(layer);
        Files.delete(dir.resolve("oci/blobs/sha256").resolve(layerDigest.hex()));
        BlobVerificationException e = assertThrows(BlobVerificationException.class,
            () -> engine.hash(ImageSource.parse("oci:" + dir.resolve("oci")), HashOptions.defaults()));
        BlobCheck failure = e.report().failures().get(0);
        assertEquals(BlobCheck.Status.MISSING, failure.status());
        assertEquals(layerDigest, failure.expected());
        assertTrue(failure.referrer().endsWith("layers[0]"), failure.referrer());
        // verification lists it too, with exit-code-relevant failure
        BlobVerificationException verify = assertThrows(BlobVerificationException.class,
            () -> engine.verifyBlobs(ImageSource.parse("oci:" + dir.resolve("oci"))));
        assertEquals(1, verify.report().failures().size());
    }

    @Test
    @DisplayName("image/blob-digest-mismatch")
    void blobDigestMismatch() throws Exception {
        byte[] tar = TarBuilder.tar().file("bin/tool", 0755, "good").bytes();
        byte[] layer = TarBuilder.gzip(tar);
        new OciLayoutBuilder(dir.resolve("oci")).layer(layer, tar).write();
        Digest layerDigest = org.carapace.api.image.DigestAlgorithm.SHA256.digest(layer);
        byte[] evil = TarBuilder.gzip(TarBuilder.tar().file("bin/tool", 0755, "evil").bytes());
        byte[] sameSize = java.util.Arrays.copyOf(evil, layer.length);
        Files.write(dir.resolve("oci/blobs/sha256").resolve(layerDigest.hex()), sameSize);
        BlobVerificationException e = assertThrows(BlobVerificationException.class,
            () -> engine.hash(ImageSource.parse("oci:" + dir.resolve("oci")), HashOptions.defaults()));
        BlobCheck failure = e.report().failures().get(0);
        assertEquals(BlobCheck.Status.DIGEST_MISMATCH, failure.status());
        assertEquals(BlobCheck.Kind.LAYER, failure.kind());
        assertEquals(Optional.of(org.carapace.api.image.DigestAlgorithm.SHA256.digest(sameSize)), failure.actual());
    }

    @Test
    @DisplayName("image/blob-size-mismatch")
    void blobSizeMismatch() throws Exception {
        byte[] tar = TarBuilder.tar().file("a", 0644, "a").bytes();
        byte[] layer = TarBuilder.gzip(tar);
        new OciLayoutBuilder(dir.resolve("oci")).layer(layer, tar).write();
        Digest layerDigest = org.carapace.api.image.DigestAlgorithm.SHA256.digest(layer);
        Files.write(dir.resolve("oci/blobs/sha256").resolve(layerDigest.hex()), new byte[layer.length + 7]);
        BlobVerificationException e = assertThrows(BlobVerificationException.class,
            () -> engine.verifyBlobs(ImageSource.parse("oci:" + dir.resolve("oci"))));
        BlobCheck failure = e.report().failures().get(0);
        assertEquals(BlobCheck.Status.SIZE_MISMATCH, failure.status());
        assertEquals(layer.length, failure.expectedSize());
        assertEquals(layer.length + 7L, failure.actualSize().getAsLong());
    }

    @Test
    @DisplayName("image/blob-path-in-digest")
    void blobPathInDigest() throws Exception {
        new OciLayoutBuilder(dir.resolve("oci")).layer(TarBuilder.tar().file("a", 0644, "a").bytes()).write();
        Files.writeString(dir.resolve("oci/index.json"), "{\"schemaVersion\":2,\"manifests\":[{\"digest\":"
            + "\"sha256:../../../../etc/passwd\",\"size\":1}]}");
        ImageFormatException e = assertThrows(ImageFormatException.class,
            () -> engine.hash(ImageSource.parse("oci:" + dir.resolve("oci")), HashOptions.defaults()));
        assertTrue(e.getMessage().contains("hex"), e.getMessage());
    }

    @Test
    @DisplayName("image/layer-not-a-tar")
    void layerNotATar() throws Exception {
        byte[] junk = "this is not a tar archive at all, just text that goes on".repeat(20).getBytes(StandardCharsets.UTF_8);
        new OciLayoutBuilder(dir.resolve("oci")).layer(junk, junk).write();
        assertThrows(ImageFormatException.class,
            () -> engine.hash(ImageSource.parse("oci:" + dir.resolve("oci")), HashOptions.defaults()));
    }

    @Test
    void pathsWithDotPrefixesAreTheSameEntries() throws Exception {
        Digest plain = hash(TarBuilder.tar().dir("a", 0755).file("a/b", 0644, "x").bytes()).rootfsDigest();
        Digest dotted = hash(TarBuilder.tar().dir("./", 0755).dir("./a/", 0755).file("./a//b", 0644, "x").bytes()).rootfsDigest();
        assertEquals(plain, dotted);
    }

    static void write(Path file, String text) throws IOException {
        Files.writeString(file, text);
    }
}
