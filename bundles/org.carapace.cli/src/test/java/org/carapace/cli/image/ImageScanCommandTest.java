package org.carapace.cli.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.carapace.cli.image.ImageCommandsTest.Result;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code carapace image scan} offline: a real OCI layout made with umoci, a real trust root and a signed policy made
 * with the CLI itself, the stored image then rewritten; exit codes 0 / 1 / 2 and the JSON of each image.
 */
class ImageScanCommandTest {

    @TempDir
    static Path work;

    static String digest;

    static Result run(String... args) {
        return ImageCommandsTest.run(args);
    }

    static String f(String name) {
        return work.resolve(name).toString();
    }

    static void sh(String command) throws Exception {
        Process process = new ProcessBuilder("bash", "-c", "set -euo pipefail; umask 022; " + command).directory(work.toFile())
            .redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(2, TimeUnit.MINUTES) || process.exitValue() != 0) {
            throw new AssertionError(command + "\n" + output);
        }
    }

    @BeforeAll
    static void imageKeysAndPolicy() throws Exception {
        sh("""
            mkdir -p tree/bin tree/etc && printf 'hello\\n' > tree/bin/hello && chmod 0755 tree/bin/hello
            printf 'x\\n' > tree/etc/config && tar --numeric-owner -C tree -cf layer.tar bin etc
            mkdir manifests && umoci init --layout app && umoci new --image app:latest && umoci raw add-layer --image app:latest layer.tar
            """);
        Result hashed = run("image", "digest", "--json", "--manifest", f("manifests/m.json"), "oci:" + f("app") + ":latest");
        assertEquals(0, hashed.code(), hashed.err());
        digest = new ObjectMapper().readTree(hashed.out()).get("rootfsDigest").textValue();
        Files.move(work.resolve("manifests/m.json"), work.resolve("manifests/" + digest.replace(':', '-') + ".json"));
        for (String key : new String[] {"root", "base"}) {
            assertEquals(0, run("keys", "generate", "-o", f(key + ".pem")).code());
        }
        assertEquals(0, run("trust", "init", "--key", "root=" + f("root.pub.pem"), "--key", "base-policy=" + f("base.pub.pem"),
            "--key", "additional-policy=" + f("base.pub.pem"), "--sign", f("root.pem"), "-o", f("root.json")).code());
        assertEquals(0, run("policy", "init", "-o", f("policy.json")).code());
        assertEquals(0, run("policy", "add-image", f("policy.json"), "--name", "app", "--rootfs-digest", digest).code());
        Result signed = run("policy", "sign", f("policy.json"), "--key", f("base.pem"), "-o", f("policy.signed"));
        assertEquals(0, signed.code(), signed.err());
    }

    @Test
    void aCleanStoreExitsZeroAndATamperedOneExitsOneNamingThePath() throws Exception {
        Result clean = run("image", "scan", "--store", "oci:" + f("app"), "--policy", f("policy.signed"), "--root", f("root.json"));
        assertEquals(0, clean.code(), clean.out() + clean.err());
        assertTrue(clean.out().startsWith("OK         oci:" + f("app") + " latest  " + digest), clean.out());

        sh("cp -a app tampered && umoci unpack --image tampered:latest b >/dev/null && printf 'evil\\n' > b/rootfs/bin/hello"
            + " && umoci repack --image tampered:latest b >/dev/null && rm -rf b");
        // the layout's directory name is not the image's: it is matched by its stored manifest's content
        Result tampered = run("image", "scan", "--json", "--store", "oci:" + f("tampered"), "--store", "oci:" + f("app"),
            "--policy", f("policy.signed"), "--root", f("root.json"), "--manifests", f("manifests"));
        assertEquals(1, tampered.code(), tampered.out() + tampered.err());
        JsonNode json = new ObjectMapper().readTree(tampered.out());
        assertEquals(false, json.get("clean").booleanValue());
        assertEquals(1, json.get("counts").get("tampered").intValue());
        assertEquals(1, json.get("counts").get("ok").intValue());
        JsonNode image = json.get("images").get(0);
        assertEquals("TAMPERED", image.get("status").textValue());
        assertEquals("app", image.get("image").textValue());
        assertEquals(digest, image.get("expectedDigest").textValue());
        assertTrue(image.get("differences").get(0).textValue().startsWith("/bin/hello"), image.toString());

        Result text = run("image", "scan", "--store", "oci:" + f("tampered"), "--policy", f("policy.signed"), "--root",
            f("root.json"), "--manifests", f("manifests"));
        assertEquals(1, text.code());
        assertTrue(text.out().contains("differs at /bin/hello"), text.out());
        assertTrue(text.out().contains("FINDINGS"), text.out());
    }

    @Test
    void badInputExitsTwo() {
        assertEquals(2, run("image", "scan", "--store", "oci:" + f("app")).code(), "no policy");
        assertEquals(2, run("image", "scan", "--store", "docker:/x", "--policy", f("policy.signed"), "--root", f("root.json"))
            .code(), "unknown store kind");
        assertEquals(2, run("image", "scan", "--policy", f("policy.signed"), "--root", f("root.json")).code(), "no store");
        assertEquals(2, run("image", "scan", "--runtime", "--store", "oci:" + f("app")).code(), "--runtime with a store");
        Result down = run("image", "scan", "--runtime", "--run-dir", f("no-runtime"));
        assertEquals(2, down.code());
        assertTrue(down.err().contains("not running"), down.err());
    }

    @Test
    void aPolicyNotSignedByTheRootIsRefusedWithExitOne() throws Exception {
        assertEquals(0, run("keys", "generate", "-o", f("stranger.pem")).code());
        assertEquals(0, run("policy", "sign", f("policy.json"), "--key", f("stranger.pem"), "-o", f("forged.signed")).code());
        Result forged = run("image", "scan", "--store", "oci:" + f("app"), "--policy", f("forged.signed"), "--root", f("root.json"));
        assertEquals(1, forged.code(), forged.err());
    }
}
