package org.carapace.imagehash.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.carapace.api.image.BlobCheck;
import org.carapace.api.image.BlobVerificationException;
import org.carapace.api.image.BlobVerificationReport;
import org.carapace.api.image.Digest;
import org.carapace.api.image.HashOptions;
import org.carapace.api.image.ImageHashResult;
import org.carapace.api.image.ImageSource;
import org.carapace.api.image.ManifestDiff;
import org.carapace.api.image.PathDifference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The acceptance test of the rootfs digest on a real image: built from Debian's busybox-static with umoci
 * (integration-tests/images/build-busybox-image.sh: three layers, whiteouts, an opaque directory, implied
 * directories, hard links, a file capability, setuid, a device and a FIFO), exported with skopeo, unpacked with
 * umoci. Needs root and umoci, skopeo, busybox-static, setcap (bin/setup installs them).
 */
class BusyboxImageTest {

    @TempDir
    static Path work;

    static ImageHashEngine engine;
    static Digest expected;

    @BeforeAll
    static void buildImage() {
        Path script = Path.of(System.getProperty("carapace.home", "../.."))
            .resolve("integration-tests/images/build-busybox-image.sh");
        Shell.run(work, script.toAbsolutePath() + " oci test");
        Shell.run(work, """
            skopeo copy -q oci:oci:test oci-archive:image.oci.tar:test
            skopeo copy -q oci:oci:test docker-archive:image.docker.tar:busybox:test
            skopeo copy -q --dest-compress-format zstd oci:oci:test oci:zstd:test
            skopeo copy -q --dest-oci-accept-uncompressed-layers docker-archive:image.docker.tar oci:plain:test
            umoci unpack --image oci:test bundle >/dev/null
            """);
        engine = new ImageHashEngine(ImageLimits.DEFAULTS, 2, 10_000);
    }

    @AfterAll
    static void close() {
        engine.close();
    }

    static ImageHashResult hash(String source) throws Exception {
        return hash(source, HashOptions.defaults());
    }

    static ImageHashResult hash(String source, HashOptions options) throws Exception {
        return engine.hash(ImageSource.parse(source.replace("WORK", work.toString())), options);
    }

    static synchronized Digest expected() throws Exception {
        if (expected == null) {
            expected = hash("oci:WORK/oci:test").rootfsDigest();
        }
        return expected;
    }

    @Test
    void everySourceOfTheImageHasTheSameRootfsDigest() throws Exception {
        Digest digest = expected();
        assertEquals(digest, hash("oci-archive:WORK/image.oci.tar:test").rootfsDigest());
        assertEquals(digest, hash("oci-archive:WORK/image.oci.tar").rootfsDigest());
        assertEquals(digest, hash("docker-archive:WORK/image.docker.tar").rootfsDigest());
        assertEquals(digest, hash("docker-archive:WORK/image.docker.tar:busybox:test").rootfsDigest());
        assertEquals(digest, hash("docker-archive:WORK/image.docker.tar:@0").rootfsDigest());
        assertEquals(digest, hash("oci:WORK/zstd:test").rootfsDigest(), "zstd layers");
        assertEquals(digest, hash("oci:WORK/plain:test").rootfsDigest(), "uncompressed layers");
        assertEquals(digest, hash("dir:WORK/bundle/rootfs").rootfsDigest(), "umoci-unpacked root file system");
        assertEquals(digest, hash("dir:WORK/bundle/rootfs", HashOptions.defaults().withStrict(true)).rootfsDigest());
    }

    @Test
    void aBundleExcludesItsMountDestinationsLikeTheGateDoes() throws Exception {
        ImageHashEngine.RuntimeBundleConfig config = engine.runtimeBundle(work.resolve("bundle"));
        assertTrue(config.mountDestinations().containsAll(List.of("/proc", "/dev", "/sys")), config.mountDestinations().toString());
        ImageHashResult bundle = hash("bundle:WORK/bundle");
        ImageHashResult layers = hash("oci:WORK/oci:test", HashOptions.defaults().withExclusions(config.mountDestinations()));
        assertEquals(layers.rootfsDigest(), bundle.rootfsDigest());
        assertEquals(bundle.rootfsDigest(), engine.exclude(hash("oci:WORK/oci:test").manifest(), config.mountDestinations())
            .rootfsDigest());
        assertTrue(bundle.manifest().entry("/dev/null").isEmpty());
        assertTrue(bundle.manifest().entry("/bin/busybox").isPresent());
    }

    @Test
    void theLayersAreAppliedAsUmociDoes() throws Exception {
        ImageHashResult result = hash("oci:WORK/oci:test");
        var m = result.manifest();
        assertTrue(m.entry("/etc/motd").isEmpty(), "whiteout of a file");
        assertTrue(m.entry("/srv/old").isEmpty(), "whiteout of a directory");
        assertTrue(m.entry("/opt/data/a").isEmpty() && m.entry("/opt/data/sub").isEmpty(), "opaque directory");
        assertTrue(m.entry("/opt/data/c").isPresent());
        assertEquals(0755, m.entry("/implied/dir").orElseThrow().mode());
        assertEquals(java.util.Optional.of("/bin/busybox"), m.entry("/usr/bin/busybox").orElseThrow().hardlinkTo());
        assertTrue(m.entry("/opt/shared-link").orElseThrow().hardlinkTo().isEmpty(), "replaced side of a hard link");
        assertTrue(m.entry("/usr/bin/ping").orElseThrow().xattr("security.capability").isPresent());
        assertEquals(04755, m.entry("/usr/bin/whoami-root").orElseThrow().mode());
        assertEquals(01777, m.entry("/tmp").orElseThrow().mode());
        assertEquals(3, result.statistics().layers());
        assertTrue(result.manifestDigest().isPresent());
        assertEquals(m.entries().size(), hash("dir:WORK/bundle/rootfs").manifest().entries().size());
    }

    /** One mutation of a fresh copy of the unpacked root file system; answers the digest and the differences. */
    private static ManifestDiff mutate(String name, String command, Digest[] digest) throws Exception {
        Path copy = work.resolve("mutant-" + name);
        Shell.run(work, "rm -rf " + copy + " && cp -a bundle/rootfs " + copy);
        Shell.run(copy, command);
        ImageHashResult result = hash("dir:" + copy);
        digest[0] = result.rootfsDigest();
        return engine.diff(hash("oci:WORK/oci:test").manifest(), result.manifest());
    }

    private static void assertChanged(String name, String command, String path, PathDifference.Kind kind, String field)
        throws Exception {
        Digest[] digest = new Digest[1];
        ManifestDiff diff = mutate(name, command, digest);
        assertNotEquals(expected(), digest[0], name);
        assertEquals(1, diff.differences().size(), name + ": " + diff.differences());
        PathDifference difference = diff.differences().get(0);
        assertEquals(path, difference.path(), name);
        assertEquals(kind, difference.kind(), name);
        if (field != null) {
            assertTrue(difference.fields().contains(field), name + ": " + difference.fields());
        }
    }

    @Test
    void everySingleMutationChangesTheDigest() throws Exception {
        assertEquals(expected(), hash("dir:WORK/bundle/rootfs").rootfsDigest());
        assertChanged("byte", "printf X | dd of=etc/passwd bs=1 seek=10 conv=notrunc status=none", "/etc/passwd",
            PathDifference.Kind.CHANGED, "content");
        assertChanged("mode", "chmod o+w etc/passwd", "/etc/passwd", PathDifference.Kind.CHANGED, "mode");
        assertChanged("setuid", "chmod u-s usr/bin/whoami-root", "/usr/bin/whoami-root", PathDifference.Kind.CHANGED, "mode");
        assertChanged("sticky", "chmod -t tmp", "/tmp", PathDifference.Kind.CHANGED, "mode");
        assertChanged("owner", "chown 1:0 etc/group", "/etc/group", PathDifference.Kind.CHANGED, "uid");
        assertChanged("group", "chgrp 5 home/app", "/home/app", PathDifference.Kind.CHANGED, "gid");
        assertChanged("symlink", "ln -sfn ash bin/sh", "/bin/sh", PathDifference.Kind.CHANGED, "target");
        assertChanged("xattr", "setcap cap_net_admin+ep usr/bin/ping", "/usr/bin/ping", PathDifference.Kind.CHANGED,
            "xattr:security.capability");
        assertChanged("xattr-removed", "setcap -r usr/bin/ping", "/usr/bin/ping", PathDifference.Kind.CHANGED,
            "xattr:security.capability");
        assertChanged("device", "rm dev/null && mknod -m 0666 dev/null c 1 5", "/dev/null", PathDifference.Kind.CHANGED, "device");
        assertChanged("type", "rm run/fifo && touch run/fifo && chmod 0644 run/fifo", "/run/fifo", PathDifference.Kind.CHANGED,
            "type");
        assertChanged("added", "touch etc/new", "/etc/new", PathDifference.Kind.ADDED, null);
        assertChanged("removed", "rm etc/group", "/etc/group", PathDifference.Kind.REMOVED, null);
        assertChanged("hardlink", "rm usr/bin/busybox && cp -p bin/busybox usr/bin/busybox", "/usr/bin/busybox",
            PathDifference.Kind.CHANGED, "hardlink");
    }

    @Test
    void changingOnlyTimestampsChangesNothing() throws Exception {
        Digest[] digest = new Digest[1];
        ManifestDiff diff = mutate("timestamps", "find . -exec touch -h -d '2011-11-11 11:11:11' {} +", digest);
        assertEquals(expected(), digest[0]);
        assertTrue(diff.isEmpty());
    }

    @Test
    void blobVerificationFindsATamperedLayerAndNamesIt() throws Exception {
        BlobVerificationReport ok = engine.verifyBlobs(ImageSource.parse("oci:" + work.resolve("oci")));
        assertTrue(ok.ok());
        assertTrue(ok.checks().stream().anyMatch(c -> c.kind() == BlobCheck.Kind.LAYER_DIFF_ID));
        assertTrue(engine.verifyBlobs(ImageSource.parse("docker-archive:" + work.resolve("image.docker.tar"))).ok());
        Shell.run(work, "cp -a oci tampered && layer=$(ls -S tampered/blobs/sha256 | head -n 1) && "
            + "chmod u+w tampered/blobs/sha256/$layer && "
            + "printf X | dd of=tampered/blobs/sha256/$layer bs=1 seek=100 conv=notrunc status=none");
        BlobVerificationException e = assertThrows(BlobVerificationException.class,
            () -> engine.verifyBlobs(ImageSource.parse("oci:" + work.resolve("tampered"))));
        BlobCheck failure = e.report().failures().get(0);
        assertEquals(BlobCheck.Kind.LAYER, failure.kind());
        assertEquals(BlobCheck.Status.DIGEST_MISMATCH, failure.status());
        assertTrue(failure.referrer().startsWith("manifest sha256:") && failure.referrer().endsWith("layers[0]"), failure.referrer());
        assertThrows(BlobVerificationException.class, () -> hash("oci:WORK/tampered:test"));
    }

    @Test
    void manifestJsonRoundTripsAndIsStable() throws Exception {
        var manifest = hash("oci:WORK/oci:test").manifest();
        var out = new java.io.ByteArrayOutputStream();
        engine.writeManifest(manifest, out);
        var again = engine.readManifest(new java.io.ByteArrayInputStream(out.toByteArray()));
        assertEquals(manifest, again);
        var second = new java.io.ByteArrayOutputStream();
        engine.writeManifest(again, second);
        assertEquals(out.toString(java.nio.charset.StandardCharsets.UTF_8),
            second.toString(java.nio.charset.StandardCharsets.UTF_8));
        String tampered = out.toString(java.nio.charset.StandardCharsets.UTF_8).replace("\"mode\":\"4755\"", "\"mode\":\"0755\"");
        var e = assertThrows(org.carapace.api.image.ImageFormatException.class,
            () -> engine.readManifest(new java.io.ByteArrayInputStream(tampered.getBytes(java.nio.charset.StandardCharsets.UTF_8))));
        assertTrue(e.getMessage().contains("is not the digest of the entries"), e.getMessage());
        Files.write(work.resolve("manifest.json"), out.toByteArray());
    }
}
