package org.carapace.it;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;
import static org.ops4j.pax.exam.CoreOptions.options;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.inject.Inject;
import org.carapace.api.image.HashOptions;
import org.carapace.api.image.ImageHashResult;
import org.carapace.api.image.ImageHasher;
import org.carapace.api.image.ImageSource;
import org.junit.BeforeClass;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;

/**
 * The image hashing service in the real headunit runtime: it is active with the profile's configuration, reads
 * gzip and zstd layers (the zstd decoder is embedded in the bundle) and a runtime bundle's root file system, and
 * computes the same digests as the {@code carapace} CLI (a separate JVM without OSGi) for an image built from
 * Debian's busybox-static with umoci.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class ImageHashIT {

    static final Path DATA = RuntimeBundles.work().resolve("imagehash-data");
    static final Path RUN = RuntimeBundles.work().resolve("imagehash-run");
    static final Path IMAGES = RuntimeBundles.work().resolve("imagehash-images");

    @Inject
    ImageHasher hasher;

    @org.junit.Before
    public void awaitRuntime() throws InterruptedException {
        RuntimeBundles.awaitAdminSocket(RUN);
    }

    @Configuration
    public Option[] configuration() {
        return options(RuntimeBundles.options("headunit", DATA, RUN).toArray(new Option[0]));
    }

    @BeforeClass
    public static void buildImage() throws Exception {
        if (Files.isRegularFile(IMAGES.resolve("done"))) {
            return;
        }
        Files.createDirectories(IMAGES);
        sh(RuntimeBundles.home().resolve("integration-tests/images/build-busybox-image.sh") + " oci it");
        sh("skopeo copy -q --dest-compress-format zstd oci:oci:it oci:zstd:it && umoci unpack --image oci:it bundle >/dev/null "
            + "&& touch done");
        // the service does not cache files changed in the last two seconds (a same-tick change would not move ctime)
        Thread.sleep(3000);
    }

    static String sh(String command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder("bash", "-c", "set -euo pipefail; umask 022; " + command)
            .directory(IMAGES.toFile()).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(3, TimeUnit.MINUTES) || process.exitValue() != 0) {
            throw new AssertionError("failed: " + command + "\n" + output);
        }
        return output;
    }

    /** The rootfs digest the CLI prints for a source, run as its own JVM from the built CLI jar. */
    static String cliDigest(String source) throws Exception {
        Path cli = RuntimeBundles.home().resolve("bundles/org.carapace.cli/target");
        List<String> classPath = new ArrayList<>();
        try (Stream<Path> files = Files.list(cli)) {
            files.filter(f -> f.getFileName().toString().matches("org\\.carapace\\.cli-.*\\.jar"))
                .forEach(f -> classPath.add(f.toString()));
        }
        classPath.add(cli.resolve("lib").toString() + File.separator + "*");
        Process process = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
            String.join(File.pathSeparator, classPath), "org.carapace.cli.Main", "image", "digest", "--json", source)
            .redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue("CLI exited " + process.waitFor() + ": " + output, process.exitValue() == 0);
        Matcher matcher = Pattern.compile("\"rootfsDigest\" : \"(sha256:[0-9a-f]{64})\"").matcher(output);
        assertTrue(output, matcher.find());
        return matcher.group(1);
    }

    @Test
    public void theServiceComputesTheSameDigestsAsTheCli() throws Exception {
        assertNotNull(hasher);
        String oci = "oci:" + IMAGES.resolve("oci") + ":it";
        ImageHashResult layers = hasher.hash(ImageSource.parse(oci), HashOptions.defaults());
        assertEquals(cliDigest(oci), layers.rootfsDigest().toString());
        ImageHashResult zstd = hasher.hash(ImageSource.parse("oci:" + IMAGES.resolve("zstd") + ":it"), HashOptions.defaults());
        assertEquals(layers.rootfsDigest(), zstd.rootfsDigest());
        String dir = "dir:" + IMAGES.resolve("bundle/rootfs");
        assertEquals(layers.rootfsDigest(), hasher.hash(ImageSource.parse(dir), HashOptions.defaults()).rootfsDigest());
        String bundle = "bundle:" + IMAGES.resolve("bundle");
        ImageHashResult fromBundle = hasher.hash(ImageSource.parse(bundle), HashOptions.defaults());
        assertEquals(cliDigest(bundle), fromBundle.rootfsDigest().toString());
        assertEquals(layers.rootfsDigest(), fromBundle.rootfsDigest());
        // what a container sees: the bundle's mount destinations left out (umoci's default config.json)
        List<String> mounts = List.of("/proc", "/dev", "/sys", "/dev/pts", "/dev/shm", "/dev/mqueue", "/sys/fs/cgroup");
        assertEquals(hasher.exclude(layers.manifest(), mounts).rootfsDigest(),
            hasher.hash(ImageSource.parse(bundle), HashOptions.defaults().withExclusions(mounts)).rootfsDigest());
    }

    @Test
    public void theServiceKeepsItsCacheWarmAcrossCalls() throws Exception {
        ImageSource bundle = ImageSource.parse("bundle:" + IMAGES.resolve("bundle"));
        ImageHashResult first = hasher.hash(bundle, HashOptions.defaults());
        ImageHashResult second = hasher.hash(bundle, HashOptions.defaults());
        assertEquals(first.rootfsDigest(), second.rootfsDigest());
        assertEquals(second.fileCount(), second.statistics().cacheHits());
        assertEquals(0, second.statistics().bytesRead());
        ImageHashResult strict = hasher.hash(bundle, HashOptions.defaults().withStrict(true));
        // strict: every inode read again (once: the second path of a hard link reuses what the walk just read)
        assertEquals(strict.byteCount(), strict.statistics().bytesRead());
        assertEquals(first.rootfsDigest(), strict.rootfsDigest());
    }

    @Test
    public void theAdminSocketServesImageDigest() throws Exception {
        // the command's component may still be activating when the first test runs
        String answer = HeadunitRuntimeIT.await(HeadunitRuntimeIT.adminSocket(RUN),
            "{\"command\":\"image.digest\",\"arguments\":{\"source\":\"oci:" + IMAGES.resolve("oci") + ":it\"}}\n",
            a -> a.startsWith("{\"ok\":true"));
        assertTrue(answer, answer.startsWith("{\"ok\":true"));
        String expected = hasher.hash(ImageSource.parse("oci:" + IMAGES.resolve("oci") + ":it"), HashOptions.defaults())
            .rootfsDigest().toString();
        assertTrue(answer, answer.contains("\"rootfsDigest\":\"" + expected + "\""));
        String refused = HeadunitRuntimeIT.exchange(RUN.resolve("admin.sock"),
            "{\"command\":\"image.digest\",\"arguments\":{\"source\":\"nonsense\"}}\n");
        assertTrue(refused, refused.contains("BAD_REQUEST"));
    }
}
