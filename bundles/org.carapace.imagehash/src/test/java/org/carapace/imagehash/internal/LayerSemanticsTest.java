package org.carapace.imagehash.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.carapace.api.image.FileEntry;
import org.carapace.api.image.FileManifest;
import org.carapace.api.image.FileType;
import org.carapace.api.image.HashOptions;
import org.carapace.api.image.ImageSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How layers combine (image-spec layer.md, with umoci's semantics where the spec is silent). */
class LayerSemanticsTest {

    @TempDir
    Path dir;

    private final ImageHashEngine engine = new ImageHashEngine(ImageLimits.DEFAULTS, 2, 0);
    private int images;

    @AfterEach
    void close() {
        engine.close();
    }

    private FileManifest apply(byte[]... layers) throws Exception {
        Path layout = dir.resolve("oci" + images++);
        OciLayoutBuilder builder = new OciLayoutBuilder(layout);
        for (byte[] layer : layers) {
            builder.layer(layer);
        }
        builder.write();
        return engine.hash(ImageSource.parse("oci:" + layout), HashOptions.defaults()).manifest();
    }

    private static List<String> paths(FileManifest manifest) {
        return manifest.entries().stream().map(FileEntry::path).toList();
    }

    @Test
    void whiteoutRemovesALowerFileAndItsSubtree() throws Exception {
        FileManifest m = apply(
            TarBuilder.tar().dir("etc", 0755).file("etc/motd", 0644, "hi").dir("srv", 0755).dir("srv/old", 0755)
                .file("srv/old/f", 0644, "x").bytes(),
            TarBuilder.tar().whiteout("etc/.wh.motd").whiteout("srv/.wh.old").bytes());
        assertEquals(List.of("/etc", "/srv"), paths(m));
    }

    @Test
    void aWhiteoutNeverRemovesWhatItsOwnLayerCreated() throws Exception {
        // image-spec: whiteouts apply to lower layers only, whatever their position in the tar
        FileManifest after = apply(TarBuilder.tar().file("a", 0644, "old").bytes(),
            TarBuilder.tar().file("a", 0644, "new").whiteout(".wh.a").bytes());
        FileManifest before = apply(TarBuilder.tar().file("a", 0644, "old").bytes(),
            TarBuilder.tar().whiteout(".wh.a").file("a", 0644, "new").bytes());
        assertEquals(List.of("/a"), paths(after));
        assertEquals(after.rootfsDigest(), before.rootfsDigest());
        assertEquals(6 - 3, after.entry("/a").orElseThrow().size());
    }

    @Test
    void opaqueDirectoryHidesLowerChildrenButKeepsItsLayersOwn() throws Exception {
        byte[] lower = TarBuilder.tar().dir("d", 0755).file("d/a", 0644, "a").dir("d/sub", 0755).file("d/sub/b", 0644, "b").bytes();
        FileManifest markerFirst = apply(lower,
            TarBuilder.tar().whiteout("d/.wh..wh..opq").file("d/c", 0644, "c").file("d/sub/new", 0644, "n").bytes());
        FileManifest markerLast = apply(lower,
            TarBuilder.tar().file("d/c", 0644, "c").file("d/sub/new", 0644, "n").whiteout("d/.wh..wh..opq").bytes());
        assertEquals(List.of("/d", "/d/c", "/d/sub", "/d/sub/new"), paths(markerFirst));
        assertEquals(markerFirst.rootfsDigest(), markerLast.rootfsDigest());
    }

    @Test
    void impliedDirectoriesAreRootOwned0755() throws Exception {
        FileManifest m = apply(TarBuilder.tar().file("x/y/z", 0600, 7, 8, "z").bytes());
        FileEntry x = m.entry("/x").orElseThrow();
        assertEquals(FileType.DIRECTORY, x.type());
        assertEquals(0755, x.mode());
        assertEquals(0, x.uid());
        assertEquals(0755, m.entry("/x/y").orElseThrow().mode());
        assertEquals(7, m.entry("/x/y/z").orElseThrow().uid());
    }

    @Test
    void aDirectoryEntryOverADirectoryChangesOnlyItsMetadata() throws Exception {
        FileManifest m = apply(TarBuilder.tar().dir("d", 0755).file("d/keep", 0644, "k").bytes(),
            TarBuilder.tar().dir("d", 0700).bytes());
        assertEquals(0700, m.entry("/d").orElseThrow().mode());
        assertTrue(m.entry("/d/keep").isPresent());
    }

    @Test
    void aFileOverADirectoryReplacesTheWholeSubtree() throws Exception {
        FileManifest m = apply(TarBuilder.tar().dir("d", 0755).file("d/gone", 0644, "g").bytes(),
            TarBuilder.tar().file("d", 0644, "now a file").bytes());
        assertEquals(List.of("/d"), paths(m));
        assertEquals(FileType.FILE, m.entry("/d").orElseThrow().type());
    }

    @Test
    void hardLinksShareTheCurrentInodeOfTheirTarget() throws Exception {
        FileManifest m = apply(TarBuilder.tar().file("b", 0755, "v1").hardlink("a", "b").hardlink("c", "b").bytes());
        assertEquals(Optional.empty(), m.entry("/a").orElseThrow().hardlinkTo());
        assertEquals(Optional.of("/a"), m.entry("/b").orElseThrow().hardlinkTo());
        assertEquals(Optional.of("/a"), m.entry("/c").orElseThrow().hardlinkTo());
        assertEquals(0755, m.entry("/a").orElseThrow().mode());
    }

    @Test
    void overwritingOnePathOfAHardLinkGroupGivesItANewInode() throws Exception {
        // umoci unpack (and any tar extractor) unlinks the path and creates a new file: the other path keeps v1
        FileManifest m = apply(TarBuilder.tar().file("a", 0644, "v1").hardlink("b", "a").bytes(),
            TarBuilder.tar().file("b", 0644, "v2").bytes());
        assertEquals(Optional.empty(), m.entry("/a").orElseThrow().hardlinkTo());
        assertEquals(Optional.empty(), m.entry("/b").orElseThrow().hardlinkTo());
        assertEquals(2, m.entry("/b").orElseThrow().size());
    }

    @Test
    void aHardLinkInALaterLayerJoinsTheInodeThatIsThereNow() throws Exception {
        FileManifest m = apply(TarBuilder.tar().file("a", 0644, "v1").bytes(),
            TarBuilder.tar().file("a", 0600, "v22").hardlink("z", "a").bytes());
        FileEntry z = m.entry("/z").orElseThrow();
        assertEquals(Optional.of("/a"), z.hardlinkTo());
        assertEquals(3, z.size());
        assertEquals(0600, z.mode());
    }

    @Test
    void whitingOutTheFirstPathOfAGroupRenamesTheGroup() throws Exception {
        FileManifest m = apply(TarBuilder.tar().file("a", 0644, "v").hardlink("b", "a").hardlink("c", "a").bytes(),
            TarBuilder.tar().whiteout(".wh.a").bytes());
        assertEquals(Optional.empty(), m.entry("/b").orElseThrow().hardlinkTo());
        assertEquals(Optional.of("/b"), m.entry("/c").orElseThrow().hardlinkTo());
    }

    @Test
    void exclusionsRemoveSubtreesAndFollowTheImagesOwnSymlinks() throws Exception {
        byte[] layer = TarBuilder.tar().dir("run", 0755).file("run/x", 0644, "x").dir("var", 0755).symlink("var/run", "../run")
            .dir("proc", 0555).file("keep", 0644, "k").bytes();
        Path layout = dir.resolve("excl");
        new OciLayoutBuilder(layout).layer(layer).write();
        FileManifest m = engine.hash(ImageSource.parse("oci:" + layout),
            HashOptions.defaults().withExclusions(List.of("/proc", "/var/run/x"))).manifest();
        assertEquals(List.of("/keep", "/run", "/var", "/var/run"), paths(m));
        // the same exclusions applied to a finished manifest give the same digest
        FileManifest full = engine.hash(ImageSource.parse("oci:" + layout), HashOptions.defaults()).manifest();
        assertEquals(m.rootfsDigest(), engine.exclude(full, List.of("/proc", "/var/run/x")).rootfsDigest());
    }

    @Test
    void anExclusionIsNotResolvedThroughLinksInsideAnotherExclusion() throws Exception {
        // /proc is a mount destination: a link the image keeps there is hidden at run time, and must not steer another
        // exclusion (/etc/mtab -> /proc/mounts) onto a real file of the image
        byte[] layer = TarBuilder.tar().dir("etc", 0755).file("etc/passwd", 0644, "root:x:0:0::/root:/bin/sh\n")
            .symlink("etc/mtab", "/proc/mounts").dir("proc", 0555).symlink("proc/mounts", "../etc/passwd").bytes();
        Path layout = dir.resolve("stops");
        new OciLayoutBuilder(layout).layer(layer).write();
        List<String> exclusions = List.of("/proc", "/etc/mtab");
        FileManifest m = engine.hash(ImageSource.parse("oci:" + layout), HashOptions.defaults().withExclusions(exclusions))
            .manifest();
        assertEquals(List.of("/etc", "/etc/passwd"), paths(m));
        FileManifest full = engine.hash(ImageSource.parse("oci:" + layout), HashOptions.defaults()).manifest();
        assertEquals(m.rootfsDigest(), engine.exclude(full, exclusions).rootfsDigest());
        // the same on disk
        Path rootfs = java.nio.file.Files.createDirectories(dir.resolve("stops-rootfs"));
        java.nio.file.Files.createDirectories(rootfs.resolve("etc"));
        java.nio.file.Files.writeString(rootfs.resolve("etc/passwd"), "root:x:0:0::/root:/bin/sh\n");
        java.nio.file.Files.createSymbolicLink(rootfs.resolve("etc/mtab"), Path.of("/proc/mounts"));
        java.nio.file.Files.createDirectories(rootfs.resolve("proc"));
        java.nio.file.Files.createSymbolicLink(rootfs.resolve("proc/mounts"), Path.of("../etc/passwd"));
        assertEquals(List.of("/etc", "/etc/passwd"), paths(engine.hash(new ImageSource.RootfsDirectory(rootfs),
            HashOptions.defaults().withExclusions(exclusions)).manifest()));
    }

    @Test
    void aCapabilityCountsOnlyOnExecutableFiles() throws Exception {
        java.util.Map<String, byte[]> cap = java.util.Map.of("SCHILY.xattr.security.capability",
            java.util.HexFormat.of().parseHex("0100000200200000000000000000000000000000"));
        FileManifest m = apply(TarBuilder.tar().entry("tool", '0', 0750, 0, 0, new byte[1], "", cap)
            .entry("data", '0', 0644, 0, 0, new byte[1], "", cap).entry("dir", '5', 0755, 0, 0, new byte[0], "", cap).bytes());
        assertTrue(m.entry("/tool").orElseThrow().xattr("security.capability").isPresent());
        assertTrue(m.entry("/data").orElseThrow().xattrs().isEmpty(), "inert without an execute bit");
        assertTrue(m.entry("/dir").orElseThrow().xattrs().isEmpty());
        FileManifest plain = apply(TarBuilder.tar().entry("tool", '0', 0750, 0, 0, new byte[1], "", cap)
            .entry("data", '0', 0644, 0, 0, new byte[1], "", java.util.Map.of()).dir("dir", 0755).bytes());
        assertEquals(plain.rootfsDigest(), m.rootfsDigest());
    }

    @Test
    void symlinkModeInTheTarIsIgnored() throws Exception {
        FileManifest m = apply(TarBuilder.tar().entry("l", '2', 0755, 0, 0, new byte[0], "target", java.util.Map.of()).bytes());
        assertEquals(0777, m.entry("/l").orElseThrow().mode());
    }

    @Test
    void gzipZstdAndPlainLayersGiveTheSameDigest() throws Exception {
        byte[] tar = TarBuilder.tar().dir("bin", 0755).file("bin/x", 0755, "content").bytes();
        Path a = dir.resolve("gz");
        Path b = dir.resolve("zst");
        Path c = dir.resolve("plain");
        new OciLayoutBuilder(a).layer(TarBuilder.gzip(tar), tar).write();
        new OciLayoutBuilder(b).layer(TarBuilder.zstd(tar), tar).write();
        new OciLayoutBuilder(c).layer(tar, tar).write();
        var digest = engine.hash(ImageSource.parse("oci:" + a), HashOptions.defaults()).rootfsDigest();
        assertEquals(digest, engine.hash(ImageSource.parse("oci:" + b), HashOptions.defaults()).rootfsDigest());
        assertEquals(digest, engine.hash(ImageSource.parse("oci:" + c), HashOptions.defaults()).rootfsDigest());
        assertFalse(engine.verifyBlobs(ImageSource.parse("oci:" + b)).checks().isEmpty());
    }
}
