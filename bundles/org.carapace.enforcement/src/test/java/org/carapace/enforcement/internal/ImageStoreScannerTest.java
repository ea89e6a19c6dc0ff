package org.carapace.enforcement.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.carapace.api.image.HashOptions;
import org.carapace.api.image.ImageHashResult;
import org.carapace.api.image.ImageSource;
import org.carapace.api.policy.EnforcementMode;
import org.carapace.enforcement.internal.ImageStoreScanner.ImageResult;
import org.carapace.enforcement.internal.ImageStoreScanner.Report;
import org.carapace.enforcement.internal.ImageStoreScanner.Status;
import org.carapace.imagehash.internal.ImageHashEngine;
import org.carapace.imagehash.internal.ImageLimits;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The at-rest scan on real stores: an OCI layout built from Debian's busybox-static with umoci
 * (integration-tests/images/build-busybox-image.sh) and a real podman vfs store filled from it with skopeo, with
 * the stored image tampered with in the ways an attacker with write access to the store would. Needs root, umoci,
 * skopeo, busybox-static, setcap (bin/setup installs them).
 */
class ImageStoreScannerTest {

    @TempDir
    static Path shared;

    /** The pristine image: an OCI layout tagged latest in a directory named busybox, and its podman vfs copy. */
    static Path pristineOci;
    static Path pristinePodman;
    static String digest;
    static byte[] manifestJson;
    static ImageHashEngine hasher;

    @TempDir
    Path tmp;

    ManifestStore manifests;
    GateDeciderTest.FixedPolicy policy;

    @BeforeAll
    static void buildImage() throws Exception {
        Path script = Path.of(System.getProperty("carapace.home", "../..")).resolve("integration-tests/images/build-busybox-image.sh");
        pristineOci = shared.resolve("busybox");
        pristinePodman = shared.resolve("podman");
        sh(shared, script.toAbsolutePath() + " busybox latest >/dev/null");
        sh(shared, "skopeo copy -q oci:busybox:latest 'containers-storage:[vfs@" + pristinePodman + "/root+" + pristinePodman
            + "/run]localhost/busybox:latest'");
        hasher = new ImageHashEngine(ImageLimits.DEFAULTS, 2, 0);
        ImageHashResult sealed = hasher.hash(new ImageSource.OciLayout(pristineOci, Optional.of("latest")), HashOptions.defaults());
        digest = sealed.rootfsDigest().toString();
        ByteArrayOutputStream json = new ByteArrayOutputStream();
        hasher.writeManifest(sealed.manifest(), json);
        manifestJson = json.toByteArray();
    }

    @AfterAll
    static void close() {
        hasher.close();
    }

    @BeforeEach
    void setUp() throws IOException {
        manifests = new ManifestStore(tmp.resolve("manifests"), hasher, 1 << 24, 8);
        policy = new GateDeciderTest.FixedPolicy().allow("busybox", digest, EnforcementMode.ENFORCE);
    }

    static String sh(Path dir, String command) throws Exception {
        Process process = new ProcessBuilder("bash", "-c", "set -euo pipefail; umask 022; " + command)
            .directory(dir.toFile()).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(3, TimeUnit.MINUTES), "timed out: " + command);
        assertEquals(0, process.exitValue(), command + "\n" + output);
        return output;
    }

    /** A private copy of a pristine store, to tamper with. */
    Path copy(Path pristine, String name) throws Exception {
        Path target = tmp.resolve(name);
        sh(tmp, "cp -a '" + pristine + "' '" + target + "'");
        return target;
    }

    ImageStoreScanner scanner(int maxImages, long budgetNanos, AtomicLong clock) {
        ImageStoreScanner.Settings settings = new ImageStoreScanner.Settings(HashOptions.defaults().withStrict(true), maxImages,
            budgetNanos, 5, 1 << 20);
        ImageStoreScanner.ManifestLookup lookup = d -> {
            try {
                return manifests.get(d);
            } catch (ManifestStore.TamperedManifestException e) {
                throw new IOException(e.getMessage());
            }
        };
        return clock == null ? new ImageStoreScanner(hasher, lookup, settings)
            : new ImageStoreScanner(hasher, lookup, settings, () -> clock.addAndGet(1_000_000_000L));
    }

    Report scan(String... stores) {
        return scanner(100, TimeUnit.MINUTES.toNanos(1), null).scan(
            Stream.of(stores).map(s -> ImageStore.parse(s, tmp)).toList(), ScanPolicy.of(policy), () -> false);
    }

    static ImageResult only(Report report) {
        assertEquals(1, report.images().size(), report.toMap().toString());
        return report.images().get(0);
    }

    static Path podmanTopLayer(Path root) throws IOException {
        String images = Files.readString(root.resolve("vfs-images/images.json"));
        String layer = images.replaceAll("(?s).*\"layer\":\"([0-9a-f]{64})\".*", "$1");
        return root.resolve("vfs/dir").resolve(layer);
    }

    @Test
    void allowedImagesInBothKindsOfStoreAreClean() throws Exception {
        Report report = scan("oci:" + pristineOci, "podman:" + pristinePodman + "/root");
        assertTrue(report.clean(), report.toMap().toString());
        assertEquals(2, report.images().size());
        for (ImageResult result : report.images()) {
            assertEquals(Status.OK, result.status());
            assertEquals(Optional.of(digest), result.rootfsDigest());
            assertEquals(Optional.of("busybox"), result.image());
        }
        assertEquals(List.of("latest"), report.images().get(0).names());
        assertEquals(List.of("localhost/busybox:latest"), report.images().get(1).names());
        // the podman store records the same manifest digest as the layout's index
        assertEquals(report.images().get(0).manifestDigest(), report.images().get(1).manifestDigest());
    }

    @Test
    void ociLayerBlobWithAChangedByteIsTamperedAndTheBlobIsNamed() throws Exception {
        Path oci = copy(pristineOci, "busybox");
        // the largest blob is the base layer (the busybox binary)
        Path blob;
        try (Stream<Path> blobs = Files.list(oci.resolve("blobs/sha256"))) {
            blob = blobs.max((a, b) -> Long.compare(a.toFile().length(), b.toFile().length())).orElseThrow();
        }
        try (RandomAccessFile file = new RandomAccessFile(blob.toFile(), "rw")) {
            file.seek(file.length() / 2);
            int b = file.read();
            file.seek(file.length() / 2);
            file.write(b ^ 0x01);
        }
        ImageResult result = only(scan("oci:" + oci));
        assertEquals(Status.TAMPERED, result.status());
        assertTrue(result.reason().startsWith("a stored blob does not match its descriptor"), result.reason());
        assertTrue(result.blobs().get(0).contains("sha256:" + blob.getFileName()), result.blobs().toString());
        assertTrue(result.blobs().get(0).contains("DIGEST_MISMATCH"), result.blobs().toString());
        assertTrue(result.rootfsDigest().isEmpty());
    }

    @Test
    void ociImageRepackedWithAChangedFileIsTamperedWithThePathNamed() throws Exception {
        manifests.add(manifestJson);
        Path oci = copy(pristineOci, "busybox");
        // a consistent rewrite: valid blobs, a new manifest under the same tag
        sh(tmp, "umoci unpack --image busybox:latest b >/dev/null && printf 'root::0:0:root:/root:/bin/sh\\n' > b/rootfs/etc/passwd"
            + " && umoci repack --image busybox:latest b >/dev/null && rm -rf b");
        ImageResult result = only(scan("oci:" + oci));
        assertEquals(Status.TAMPERED, result.status(), result.reason());
        assertEquals(Optional.of("busybox"), result.image());
        assertEquals(Optional.of(digest), result.expectedDigest());
        assertFalse(result.rootfsDigest().orElseThrow().equals(digest));
        assertEquals(1, result.differences().size(), result.differences().toString());
        assertTrue(result.differences().get(0).startsWith("/etc/passwd"), result.differences().toString());
        assertTrue(result.reason().contains("at 1 path"), result.reason());
    }

    @Test
    void podmanVfsLayerWithAChangedBinaryIsTamperedWithThePathsNamed() throws Exception {
        manifests.add(manifestJson);
        Path podman = copy(pristinePodman, "podman");
        Path busybox = podmanTopLayer(podman.resolve("root")).resolve("bin/busybox");
        try (RandomAccessFile file = new RandomAccessFile(busybox.toFile(), "rw")) {
            file.seek(1000);
            int b = file.read();
            file.seek(1000);
            file.write(b ^ 0x01);
        }
        ImageResult result = only(scan("podman:" + podman + "/root"));
        assertEquals(Status.TAMPERED, result.status(), result.reason());
        assertEquals(Optional.of("busybox"), result.image());
        assertEquals(List.of("localhost/busybox:latest"), result.names());
        // the binary and its hard link /usr/bin/busybox
        assertTrue(result.differences().stream().anyMatch(d -> d.startsWith("/bin/busybox")), result.differences().toString());
        assertTrue(result.differences().stream().anyMatch(d -> d.startsWith("/usr/bin/busybox")), result.differences().toString());
    }

    @Test
    void podmanVfsLayerWithASetuidBitAddedIsTamperedEvenWithoutAStoredManifest() throws Exception {
        Path podman = copy(pristinePodman, "podman");
        sh(tmp, "chmod u+s '" + podmanTopLayer(podman.resolve("root")).resolve("bin/busybox") + "'");
        ImageResult result = only(scan("podman:" + podman + "/root"));
        assertEquals(Status.TAMPERED, result.status());
        assertEquals(Optional.of("busybox"), result.image(), "matched by its podman name");
        assertTrue(result.differences().isEmpty());
        assertTrue(result.reason().contains("no manifest of it is stored"), result.reason());
    }

    @Test
    void anImageThePolicyDoesNotKnowIsUnknown() throws Exception {
        policy = new GateDeciderTest.FixedPolicy().allow("other", "sha256:" + "ab".repeat(32), EnforcementMode.ENFORCE);
        ImageResult result = only(scan("oci:" + pristineOci));
        assertEquals(Status.UNKNOWN, result.status());
        assertEquals(Optional.of(digest), result.rootfsDigest());
        assertTrue(result.reason().startsWith("unknown image"), result.reason());
    }

    @Test
    void aRevokedImageIsRevokedAlsoByItsManifestDigest() throws Exception {
        policy = new GateDeciderTest.FixedPolicy();
        policy.revoked.add(digest);
        assertEquals(Status.REVOKED, only(scan("podman:" + pristinePodman + "/root")).status());
        policy = new GateDeciderTest.FixedPolicy();
        String manifestDigest = only(scan("oci:" + pristineOci)).manifestDigest().orElseThrow();
        policy.revoked.add(manifestDigest);
        ImageResult result = only(scan("oci:" + pristineOci));
        assertEquals(Status.REVOKED, result.status());
        assertTrue(result.reason().contains(manifestDigest), result.reason());
    }

    @Test
    void podmanLayerIdTraversalIsRefusedAsTampered() throws Exception {
        Path podman = copy(pristinePodman, "podman");
        Path images = podman.resolve("root/vfs-images/images.json");
        String json = Files.readString(images);
        Files.writeString(images, json.replaceFirst("\"layer\":\"[0-9a-f]{64}\"", "\"layer\":\"../../../../etc\""));
        ImageResult result = only(scan("podman:" + podman + "/root"));
        assertEquals(Status.TAMPERED, result.status());
        assertTrue(result.reason().contains("invalid top layer '../../../../etc'"), result.reason());
        assertTrue(result.rootfsDigest().isEmpty());
    }

    @Test
    void aMissingOrMalformedStoreIsTampered() throws Exception {
        Path broken = Files.createDirectories(tmp.resolve("broken"));
        Files.writeString(broken.resolve("index.json"), "{\"schemaVersion\":2,\"manifests\":[");
        Report report = scan("oci:" + tmp.resolve("missing"), "oci:" + broken, "podman:" + tmp.resolve("nothing"));
        assertEquals(3, report.images().size());
        assertFalse(report.clean());
        assertTrue(report.images().stream().allMatch(r -> r.status() == Status.TAMPERED && r.reference().equals("(store)")));
        assertTrue(report.images().get(0).reason().contains("index.json is missing"), report.images().get(0).reason());
        assertTrue(report.images().get(1).reason().contains("cannot read"), report.images().get(1).reason());
        assertTrue(report.images().get(2).reason().contains("no vfs-images directory"), report.images().get(2).reason());
    }

    @Test
    void theImageLimitAndTheTimeBudgetAreReportedAsNotChecked() throws Exception {
        List<ImageStore> stores = List.of(ImageStore.parse("oci:" + pristineOci, tmp),
            ImageStore.parse("podman:" + pristinePodman + "/root", tmp));
        Report limited = scanner(1, TimeUnit.MINUTES.toNanos(1), null).scan(stores, ScanPolicy.of(policy), () -> false);
        assertEquals(1, limited.images().size());
        assertEquals(1, limited.skipped());
        assertFalse(limited.clean(), "an image not checked is not clean");
        // every clock reading advances one second: the budget of 0.5 s is gone by the hasher's first progress report
        Report slow = scanner(10, 500_000_000L, new AtomicLong()).scan(stores.subList(0, 1), ScanPolicy.of(policy), () -> false);
        ImageResult result = only(slow);
        assertEquals(Status.INCOMPLETE, result.status(), result.reason());
        assertTrue(result.reason().contains("time budget of 500 ms"), result.reason());
        assertFalse(slow.clean());
    }

    @Test
    void namesAreComparedLoosely() {
        assertEquals("busybox", ImageStoreScanner.normalizeName("localhost/busybox:latest"));
        assertEquals("busybox", ImageStoreScanner.normalizeName("docker.io/library/busybox"));
        assertEquals("registry.example/nav:4.2", ImageStoreScanner.normalizeName("registry.example/nav:4.2"));
    }
}
