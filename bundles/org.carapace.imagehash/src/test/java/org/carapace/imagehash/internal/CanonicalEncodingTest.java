package org.carapace.imagehash.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.carapace.api.image.Digest;
import org.carapace.api.image.DigestAlgorithm;
import org.carapace.api.image.FileEntry;
import org.carapace.api.image.FileType;
import org.carapace.api.image.Xattr;
import org.junit.jupiter.api.Test;

/** Known answers of the canonical encoding: the worked example of docs/rootfs-digest.md, byte for byte. */
class CanonicalEncodingTest {

    /** The worked example's entries (docs/rootfs-digest.md, "Worked example"). */
    static List<FileEntry> workedExample() {
        Digest hello = DigestAlgorithm.SHA256.digest("hello\n".getBytes(StandardCharsets.UTF_8));
        Digest empty = DigestAlgorithm.SHA256.digest(new byte[0]);
        byte[] capNetRaw = HexFormat.of().parseHex("0100000200200000000000000000000000000000");
        return List.of(
            FileEntry.directory("/bin", 0755, 0, 0, List.of()),
            FileEntry.file("/bin/hello", 04755, 0, 0, 6, hello, Optional.empty(),
                List.of(new Xattr("security.capability", capNetRaw))),
            FileEntry.symlink("/bin/sh", 0, 0, "hello", Optional.empty(), List.of()),
            FileEntry.directory("/dev", 0755, 0, 0, List.of()),
            new FileEntry("/dev/null", FileType.CHAR_DEVICE, 0666, 0, 0, 0, Optional.empty(), Optional.empty(),
                Optional.empty(), 1, 3, List.of()),
            FileEntry.directory("/home", 0755, 0, 0, List.of()),
            FileEntry.file("/home/a b", 0640, 1000, 1000, 0, empty, Optional.empty(), List.of()),
            FileEntry.file("/home/caf\u00e9", 0644, 1000, 1000, 6, hello, Optional.empty(), List.of()),
            FileEntry.file("/home/hello-link", 04755, 0, 0, 6, hello, Optional.of("/bin/hello"),
                List.of(new Xattr("security.capability", capNetRaw))),
            new FileEntry("/run", FileType.DIRECTORY, 01777, 0, 0, 0, Optional.empty(), Optional.empty(), Optional.empty(), 0, 0,
                List.of()),
            new FileEntry("/run/fifo", FileType.FIFO, 0600, 0, 0, 0, Optional.empty(), Optional.empty(), Optional.empty(), 0, 0,
                List.of()));
    }

    static final String WORKED_LISTING = """
        carapace-rootfs-v1 xattrs=security.capability
        /bin type=dir mode=0755 uid=0 gid=0
        /bin/hello type=file mode=4755 uid=0 gid=0 size=6 sha256=5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03 \
        xattr.security.capability=0100000200200000000000000000000000000000
        /bin/sh type=symlink mode=0777 uid=0 gid=0 target=hello
        /dev type=dir mode=0755 uid=0 gid=0
        /dev/null type=char mode=0666 uid=0 gid=0 dev=1,3
        /home type=dir mode=0755 uid=0 gid=0
        /home/a%20b type=file mode=0640 uid=1000 gid=1000 size=0 sha256=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
        /home/caf%C3%A9 type=file mode=0644 uid=1000 gid=1000 size=6 \
        sha256=5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03
        /home/hello-link type=file mode=4755 uid=0 gid=0 size=6 sha256=5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03 \
        link=/bin/hello xattr.security.capability=0100000200200000000000000000000000000000
        /run type=dir mode=1777 uid=0 gid=0
        /run/fifo type=fifo mode=0600 uid=0 gid=0
        """;

    /** Computed independently: the listing above piped through sha256sum. */
    static final String WORKED_DIGEST = "sha256:1838ec98352cc2e707a66061ae8782ec90805f056c821a4baceac9694e1f4d32";

    @Test
    void workedExampleListingIsByteExact() {
        String listing = CanonicalEncoding.listing(Set.of("security.capability"), workedExample());
        assertEquals(WORKED_LISTING, listing);
    }

    @Test
    void workedExampleDigest() {
        Digest digest = CanonicalEncoding.digest(List.of("security.capability"), workedExample());
        assertEquals(DigestAlgorithm.SHA256.digest(WORKED_LISTING.getBytes(StandardCharsets.US_ASCII)), digest);
        assertEquals(WORKED_DIGEST, digest.toString());
    }

    /** The worked example as one layer tarball (docs/rootfs-digest.md shows it with tar -tvv). */
    static byte[] workedExampleLayer() {
        byte[] cap = HexFormat.of().parseHex("0100000200200000000000000000000000000000");
        byte[] hello = "hello\n".getBytes(StandardCharsets.UTF_8);
        return TarBuilder.tar()
            .dir("bin/", 0755)
            .entry("bin/hello", '0', 04755, 0, 0, hello, "", java.util.Map.of("SCHILY.xattr.security.capability", cap))
            .symlink("bin/sh", "hello")
            .dir("dev/", 0755)
            .device("dev/null", '3', 0666, 1, 3)
            .dir("home/", 0755)
            .file("home/a b", 0640, 1000, 1000, "")
            .entry("home/caf\u00e9", '0', 0644, 1000, 1000, hello, "", java.util.Map.of())
            .hardlink("home/hello-link", "bin/hello")
            .dir("run/", 01777)
            .entry("run/fifo", '6', 0600, 0, 0, new byte[0], "", java.util.Map.of())
            .bytes();
    }

    @Test
    void workedExampleFromALayerTarball(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        new OciLayoutBuilder(dir).layer(workedExampleLayer()).write();
        try (ImageHashEngine engine = new ImageHashEngine(ImageLimits.DEFAULTS, 1, 0)) {
            var result = engine.hash(org.carapace.api.image.ImageSource.parse("oci:" + dir),
                org.carapace.api.image.HashOptions.defaults());
            assertEquals(WORKED_LISTING, CanonicalEncoding.listing(result.manifest().xattrNames(), result.manifest().entries()));
            assertEquals(WORKED_DIGEST, result.rootfsDigest().toString());
        }
    }

    @Test
    void escapingKeepsFieldsFreeOfSpacesAndNewlines() {
        assertEquals("a%20b%0Ac%25d=e", CanonicalEncoding.escape("a b\nc%d=e"));
        assertEquals("caf%C3%A9", CanonicalEncoding.escape("caf\u00e9"));
        assertEquals("%7F%F0%9F%98%80", CanonicalEncoding.escape("\u007f\ud83d\ude00"));
        assertEquals("plain/path-1.2_3~", CanonicalEncoding.escape("plain/path-1.2_3~"));
    }

    @Test
    void theCoveredXattrSetIsPartOfTheDigest() {
        List<FileEntry> entries = List.of(FileEntry.directory("/a", 0755, 0, 0, List.of()));
        assertNotEquals(CanonicalEncoding.digest(List.of(), entries), CanonicalEncoding.digest(List.of("security.capability"), entries));
        assertEquals("carapace-rootfs-v1 xattrs=security.capability,user.a%20b\n",
            CanonicalEncoding.header(List.of("security.capability", "user.a b")));
    }
}
