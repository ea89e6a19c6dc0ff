package org.carapace.cli.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermissions;
import org.carapace.cli.CliTestBase;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The key, trust and policy commands as a back end or pipeline runs them: files in, files out, exit codes. */
class PolicyCliTest extends CliTestBase {

    private static final String A = "sha256:" + "a".repeat(64);
    private static final String B = "b".repeat(64);

    @BeforeAll
    static void keysAndRoot() throws Exception {
        for (String key : new String[] {"root", "root2", "base1", "add", "stranger"}) {
            assertEquals(0, run("keys", "generate", "-o", f(key + ".pem")), err.toString());
        }
        assertEquals(0, run("keys", "generate", "--algorithm", "ecdsa-p256-sha256", "-o", f("base2.pem"), "--json"), err.toString());
        assertEquals(64, json().get("keyId").textValue().length());
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("base2.pem"))));
        assertEquals("rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("base2.pub.pem"))));
        assertEquals(0, run("trust", "init", "--key", "root=" + f("root.pub.pem"), "--key", "base-policy=" + f("base1.pub.pem"),
            "--key", "base-policy=" + f("base2.pub.pem"), "--threshold", "base-policy=2", "--key", "additional-policy=" + f("add.pem"),
            "--sign", f("root.pem"), "-o", f("root.json"), "--json"), err.toString());
        assertEquals(2, json().get("roles").get("base-policy").get("threshold").intValue());
    }

    @Test
    void trustInitRefusesBadRootsWithTheRightExitCode() {
        assertEquals(2, run("keys", "generate", "-o", f("root.pem")), "an existing key is not overwritten");
        assertEquals(2, run("trust", "init", "--key", "root=" + f("root.pub.pem"), "--sign", f("root.pem"), "-o", f("r.json")));
        assertTrue(err.toString().contains("base-policy"), err.toString());
        assertEquals(2, run("trust", "init", "--key", "root=" + f("root.pub.pem"), "--key", "base-policy=" + f("base1.pub.pem"),
            "--key", "additional-policy=" + f("add.pem"), "--threshold", "base-policy=0", "--sign", f("root.pem"), "-o", f("r.json")));
        assertTrue(err.toString().contains("at least 1"), err.toString());
        assertEquals(1, run("trust", "init", "--key", "root=" + f("root.pub.pem"), "--key", "base-policy=" + f("base1.pub.pem"),
            "--key", "additional-policy=" + f("add.pem"), "--sign", f("stranger.pem"), "-o", f("r.json")));
        assertTrue(err.toString().contains("threshold"), err.toString());
    }

    @Test
    void writeSignVerifyABasePolicy() throws Exception {
        Files.writeString(dir.resolve("exec.json"), "{\"files\": [{\"path\": \"/usr/bin/nav\", \"sha256\": \"" + B + "\"},"
            + " {\"path\": \"/usr/lib/libnav.so\", \"sha256\": \"" + "c".repeat(64) + "\"}]}");
        assertEquals(0, run("policy", "init", "--device", "vehicle-1", "--expires", "2030-01-01T00:00:00Z", "-o", f("base.json")));
        assertEquals(0, run("policy", "add-image", f("base.json"), "--name", "nav", "--rootfs-digest", A, "--exec-list", f("exec.json"),
            "--extra-digest", "d".repeat(64), "--writable", "/var/lib/nav", "--protected", "/etc",
            "--associated", "/etc/nav/key=/usr/bin/nav@" + B, "--mode", "audit"), err.toString());
        assertEquals(2, run("policy", "add-image", f("base.json"), "--name", "nav", "--rootfs-digest", A));
        assertTrue(err.toString().contains("--replace"), err.toString());
        assertEquals(0, run("policy", "revoke", f("base.json"), "--digest", "sha256:" + "e".repeat(64), "--reason", "CVE-1"));
        assertEquals(0, run("policy", "exempt", f("base.json"), "--name", "agent", "--bundle-prefix", "/run/carapace/bundles"));
        assertEquals(2, run("policy", "exempt", f("base.json"), "--name", "all"), "an exemption without a criterion is refused");
        assertEquals(0, run("policy", "sign", f("base.json"), "--key", f("base1.pem"), "--key", f("base2.pem"), "-o", f("base.signed")));
        assertEquals(0, run("policy", "verify", f("base.signed"), "--root", f("root.json"), "--device", "vehicle-1",
            "--at", "2029-12-31T00:00:00Z", "--json"), err.toString());
        JsonNode verified = json();
        assertTrue(verified.get("verified").booleanValue());
        assertEquals(2, verified.get("signers").size());
        assertEquals("audit", verified.get("images").get(0).get("mode").textValue());
        assertEquals(2, verified.get("images").get(0).get("execFiles").intValue());
        assertEquals(1, verified.get("images").get(0).get("associatedExecution").intValue());
        assertEquals(1, run("policy", "verify", f("base.signed"), "--root", f("root.json"), "--device", "vehicle-2",
            "--at", "2029-12-31T00:00:00Z"));
        assertTrue(err.toString().contains("WRONG_DEVICE"), err.toString());
        assertEquals(1, run("policy", "verify", f("base.signed"), "--root", f("root.json"), "--at", "2030-01-01T00:00:00Z"));
        assertTrue(err.toString().contains("EXPIRED"), err.toString());
        assertEquals(0, run("policy", "sign", f("base.json"), "--key", f("base1.pem"), "-o", f("weak.signed")));
        assertEquals(1, run("policy", "verify", f("weak.signed"), "--root", f("root.json"), "--at", "2029-01-01T00:00:00Z"));
        assertTrue(err.toString().contains("THRESHOLD_NOT_MET"), err.toString());
        assertEquals(2, run("policy", "sign", f("base.json"), "--key", f("base1.pem"), "--key", f("base1.pem"), "-o", f("twice")));
        String tampered = Files.readString(dir.resolve("base.signed")).replace("\"signatures\"", "\"signatures\" ");
        Files.writeString(dir.resolve("tampered.signed"), tampered.replaceFirst("\"payload\":\"e", "\"payload\":\"f"));
        assertEquals(1, run("policy", "verify", f("tampered.signed"), "--root", f("root.json"), "--at", "2029-01-01T00:00:00Z"));
        assertEquals(0, run("policy", "show", f("base.signed"), "--json"));
        assertEquals(false, json().get("verified").booleanValue());
        assertEquals(0, run("policy", "sign", f("base.json"), "--version", "7", "--key", f("base1.pem"), "--key", f("base2.pem"),
            "-o", f("v7.signed"), "--json"));
        assertEquals(7, json().get("version").intValue());
    }

    @Test
    void additionalPoliciesOnlyAddImages() throws Exception {
        assertEquals(2, run("policy", "init", "--kind", "additional", "-o", f("add.json")), "an additional policy needs a stream");
        assertEquals(0, run("policy", "init", "--kind", "additional", "--stream", "nav-4.2", "-o", f("add.json")));
        assertEquals(0, run("policy", "add-image", f("add.json"), "--name", "nav", "--rootfs-digest", A));
        assertEquals(2, run("policy", "revoke", f("add.json"), "--digest", A));
        assertEquals(2, run("policy", "exempt", f("add.json"), "--name", "x", "--container-id", ".*"));
        assertEquals(0, run("policy", "sign", f("add.json"), "--key", f("add.pem"), "-o", f("add.signed")));
        assertEquals(0, run("policy", "verify", f("add.signed"), "--root", f("root.json")), err.toString());
        assertEquals(0, run("policy", "sign", f("add.json"), "--key", f("base1.pem"), "--key", f("base2.pem"), "-o", f("wrong.signed")));
        assertEquals(1, run("policy", "verify", f("wrong.signed"), "--root", f("root.json")));
        assertTrue(err.toString().contains("UNKNOWN_KEY"), err.toString());
    }

    @Test
    void trustRotationNeedsBothRoots() throws Exception {
        assertEquals(1, run("trust", "rotate", "--current", f("root.json"), "--key", "root=" + f("root2.pub.pem"),
            "--sign", f("root2.pem"), "-o", f("root2.json")));
        assertTrue(err.toString().contains("THRESHOLD_NOT_MET"), err.toString());
        assertEquals(0, run("trust", "rotate", "--current", f("root.json"), "--key", "root=" + f("root2.pub.pem"),
            "--sign", f("root.pem"), "--sign", f("root2.pem"), "-o", f("root2.json"), "--json"), err.toString());
        assertEquals(2, json().get("version").intValue());
        assertEquals(2, json().get("roles").get("base-policy").get("threshold").intValue(), "roles not named keep their keys");
        assertEquals(0, run("trust", "show", f("root2.json")));
        assertTrue(out.toString().contains("trust root v2"), out.toString());
    }

    @Test
    void installWithoutARuntimeIsUsageErrorTwo() throws Exception {
        assertEquals(2, run("policy", "install", f("root.json"), "--run-dir", f("no-runtime")));
        assertTrue(err.toString().contains("not running"), err.toString());
    }
}
