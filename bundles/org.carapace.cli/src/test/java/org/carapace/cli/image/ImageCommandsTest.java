package org.carapace.cli.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.carapace.cli.Main;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code carapace image digest|verify|diff}: output, JSON keys and exit codes (0 / 1 check failed / 2 input). */
class ImageCommandsTest {

    @TempDir
    static Path work;

    record Result(int code, String out, String err) {
    }

    static Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Result(code, out.toString(), err.toString());
    }

    static void sh(String command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder("bash", "-c", "set -euo pipefail; umask 022; " + command).directory(work.toFile())
            .redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(2, TimeUnit.MINUTES) || process.exitValue() != 0) {
            throw new AssertionError(command + "\n" + output);
        }
    }

    /** A one-layer OCI layout and the same tree on disk, made with tar and umoci. */
    @BeforeAll
    static void image() throws Exception {
        sh("""
            mkdir -p tree/bin tree/etc && printf 'hello\\n' > tree/bin/hello && chmod 0755 tree/bin/hello
            printf 'x\\n' > tree/etc/config && ln -s hello tree/bin/hi && head -c 20000 /dev/urandom > tree/bin/data
            tar --numeric-owner -C tree -cf layer.tar bin etc
            umoci init --layout oci && umoci new --image oci:t && umoci raw add-layer --image oci:t layer.tar
            """);
    }

    @Test
    void digestPrintsTheSameRootfsDigestForLayersAndDirectory() throws Exception {
        Result layers = run("image", "digest", "--json", "oci:" + work.resolve("oci") + ":t");
        assertEquals(0, layers.code(), layers.err());
        JsonNode json = new ObjectMapper().readTree(layers.out());
        assertTrue(json.get("rootfsDigest").asText().matches("sha256:[0-9a-f]{64}"), layers.out());
        assertTrue(json.get("manifestDigest").asText().startsWith("sha256:"), layers.out());
        assertEquals(3, json.get("files").asInt());
        Result dir = run("image", "digest", "--json", "dir:" + work.resolve("tree"));
        assertEquals(0, dir.code(), dir.err());
        JsonNode dirJson = new ObjectMapper().readTree(dir.out());
        assertEquals(json.get("rootfsDigest"), dirJson.get("rootfsDigest"));
        assertTrue(dirJson.get("manifestDigest").isNull());
        Result text = run("image", "digest", "dir:" + work.resolve("tree"));
        assertTrue(text.out().startsWith("rootfs digest    " + json.get("rootfsDigest").asText()), text.out());
    }

    @Test
    void diffNamesTheChangedPathAndExitsOne() throws Exception {
        sh("cp -a tree changed && chmod 0777 changed/etc/config");
        Result manifest = run("image", "digest", "--manifest", work.resolve("expected.json").toString(),
            "oci:" + work.resolve("oci") + ":t");
        assertEquals(0, manifest.code(), manifest.err());
        Result same = run("image", "diff", work.resolve("expected.json").toString(), "dir:" + work.resolve("tree"));
        assertEquals(0, same.code(), same.out() + same.err());
        assertTrue(same.out().contains("identical"), same.out());
        Result diff = run("image", "diff", work.resolve("expected.json").toString(), "dir:" + work.resolve("changed"));
        assertEquals(1, diff.code(), diff.out() + diff.err());
        assertTrue(diff.out().contains("/etc/config: changed mode (0644 -> 0777)"), diff.out());
        Result json = run("image", "diff", "--json", "oci:" + work.resolve("oci") + ":t", "dir:" + work.resolve("changed"));
        assertEquals(1, json.code());
        JsonNode node = new ObjectMapper().readTree(json.out());
        assertEquals("/etc/config", node.get("differences").get(0).get("path").asText());
        assertEquals("mode", node.get("differences").get(0).get("fields").get(0).asText());
    }

    @Test
    void verifyExitsOneOnATamperedBlobAndNamesIt() throws Exception {
        Result ok = run("image", "verify", "oci:" + work.resolve("oci"));
        assertEquals(0, ok.code(), ok.out() + ok.err());
        sh("cp -a oci tampered && layer=$(ls -S tampered/blobs/sha256 | head -n 1) && chmod u+w tampered/blobs/sha256/$layer && "
            + "printf X | dd of=tampered/blobs/sha256/$layer bs=1 seek=40 conv=notrunc status=none");
        Result bad = run("image", "verify", "oci:" + work.resolve("tampered"));
        assertEquals(1, bad.code(), bad.out() + bad.err());
        assertTrue(bad.out().contains("FAIL  LAYER") && bad.out().contains("DIGEST_MISMATCH"), bad.out());
        Result digest = run("image", "digest", "oci:" + work.resolve("tampered"));
        assertEquals(1, digest.code(), digest.out() + digest.err());
    }

    @Test
    void badInputExitsTwo() {
        assertEquals(2, run("image", "digest", "oci:" + work.resolve("missing")).code());
        assertEquals(2, run("image", "digest", "nonsense").code());
        assertEquals(2, run("image", "verify", "dir:" + work.resolve("tree")).code());
        assertEquals(2, run("image", "digest").code());
        assertNotEquals(0, run("image").code());
        Files.exists(work);
    }
}
