package org.carapace.api.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ImageValuesTest {

    @Test
    void digestsParseAndPrintInOciForm() {
        Digest empty = Digest.parse("sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        assertEquals(DigestAlgorithm.SHA256.digest(new byte[0]), empty);
        assertEquals("sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", empty.toString());
        Digest sha512 = DigestAlgorithm.SHA512.digest(new byte[0]);
        assertEquals(sha512, Digest.parse(sha512.toString()));
        assertThrows(IllegalArgumentException.class,
            () -> Digest.parse("sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"));
        assertThrows(IllegalArgumentException.class, () -> Digest.parse("sha256:abc"));
        assertThrows(IllegalArgumentException.class, () -> Digest.parse("md5:d41d8cd98f00b204e9800998ecf8427e"));
        assertThrows(IllegalArgumentException.class,
            () -> Digest.parse("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
        byte[] value = empty.value();
        value[0] = 0;
        assertEquals("e3", empty.hex().substring(0, 2), "the value is copied out");
    }

    @Test
    void sourcesParseLikeSkopeo() throws Exception {
        assertEquals(new ImageSource.OciLayout(Path.of("/img"), Optional.of("v1")), ImageSource.parse("oci:/img:v1"));
        assertEquals(new ImageSource.OciLayout(Path.of("rel"), Optional.empty()), ImageSource.parse("oci:rel"));
        assertEquals(new ImageSource.OciLayout(Path.of("/img"), Optional.of("sha256:abc")), ImageSource.parse("oci:/img:sha256:abc"));
        assertEquals(new ImageSource.OciArchive(Path.of("a.tar"), Optional.empty()), ImageSource.parse("oci-archive:a.tar"));
        assertEquals(new ImageSource.DockerArchive(Path.of("d.tar"), Optional.of("busybox:latest")),
            ImageSource.parse("docker-archive:d.tar:busybox:latest"));
        assertEquals(new ImageSource.RootfsDirectory(Path.of("/r")), ImageSource.parse("dir:/r"));
        assertEquals(new ImageSource.RuntimeBundle(Path.of("/b")), ImageSource.parse("bundle:/b"));
        assertEquals("docker-archive:d.tar:@1", ImageSource.parse("docker-archive:d.tar:@1").spec());
        assertTrue(ImageSource.parse("oci:x").isLayered());
        assertFalse(ImageSource.parse("bundle:x").isLayered());
        InvalidImageSourceException unknown = assertThrows(InvalidImageSourceException.class, () -> ImageSource.parse("docker://busybox"));
        assertTrue(unknown.reason().contains("unknown transport 'docker'"), unknown.reason());
        assertThrows(InvalidImageSourceException.class, () -> ImageSource.parse("/just/a/path"));
        assertThrows(InvalidImageSourceException.class, () -> ImageSource.parse("oci:"));
        assertThrows(InvalidImageSourceException.class, () -> ImageSource.parse("oci:/x:"));
        assertThrows(InvalidImageSourceException.class, () -> ImageSource.parse("dir:/r:ref"));
        assertThrows(InvalidImageSourceException.class, () -> ImageSource.parse(""));
    }

    @Test
    void pathOrderIsUtf8ByteOrder() {
        List<String> paths = Arrays.asList("/a/b", "/a-c", "/a", "/\uffff", "/\ud83d\ude00", "/\u00e9", "/z");
        paths.sort(ImagePaths.ORDER);
        List<String> byBytes = Arrays.asList("/a/b", "/a-c", "/a", "/\uffff", "/\ud83d\ude00", "/\u00e9", "/z");
        byBytes.sort((x, y) -> Arrays.compareUnsigned(x.getBytes(StandardCharsets.UTF_8), y.getBytes(StandardCharsets.UTF_8)));
        assertEquals(byBytes, paths);
        assertEquals(List.of("/a", "/a-c", "/a/b", "/z", "/\u00e9", "/\uffff", "/\ud83d\ude00"), paths);
    }

    @Test
    void pathsNormaliseLexicallyAndRefuseTraversal() {
        assertEquals("/proc", ImagePaths.normalize("proc/"));
        assertEquals("/dev/pts", ImagePaths.normalize("//dev/./pts"));
        assertEquals("/", ImagePaths.normalize("/"));
        assertThrows(IllegalArgumentException.class, () -> ImagePaths.normalize("/a/../b"));
        assertTrue(ImagePaths.isSameOrBelow("/dev/pts", "/dev"));
        assertFalse(ImagePaths.isSameOrBelow("/devices", "/dev"));
        assertFalse(ImagePaths.isCanonical("/a//b"));
        assertFalse(ImagePaths.isCanonical("a"));
    }

    @Test
    void entriesAndManifestsRefuseInconsistentShapes() {
        Digest d = DigestAlgorithm.SHA256.digest(new byte[0]);
        assertThrows(IllegalArgumentException.class, () -> FileEntry.directory("/", 0755, 0, 0, List.of()));
        assertThrows(IllegalArgumentException.class, () -> FileEntry.directory("/a", 010000, 0, 0, List.of()));
        assertThrows(IllegalArgumentException.class, () -> new FileEntry("/a", FileType.SYMLINK, 0755, 0, 0, 0, Optional.empty(),
            Optional.of("t"), Optional.empty(), 0, 0, List.of()));
        assertThrows(IllegalArgumentException.class, () -> FileEntry.file("/a", 0644, 0, 0, 0, d, Optional.of("/b"), List.of()));
        assertEquals("4755", FileEntry.file("/a", 04755, 0, 0, 0, d, Optional.empty(), List.of()).modeOctal());
        FileEntry child = FileEntry.file("/d/f", 0644, 0, 0, 0, d, Optional.empty(), List.of());
        assertThrows(IllegalArgumentException.class, () -> new FileManifest(1, List.of(), List.of(child), d),
            "a parent must be listed");
        FileEntry dir = FileEntry.directory("/d", 0755, 0, 0, List.of());
        assertThrows(IllegalArgumentException.class, () -> new FileManifest(1, List.of(), List.of(child, dir), d), "order");
        assertEquals(1, new FileManifest(1, List.of(), List.of(dir, child), d).fileCount());
    }
}
