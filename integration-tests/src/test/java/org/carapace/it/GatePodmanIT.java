package org.carapace.it;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.FixMethodOrder;
import org.junit.Test;
import org.junit.runners.MethodSorters;

/**
 * The container gate end to end with podman: the hook installed in a hooks.d directory by
 * {@code bin/carapace-install-hook}, the busybox image in podman's own storage (vfs driver, loaded with skopeo), the
 * runc runtime, cgroupfs. A stored image tampered with is refused with the path named; and the faults of issue 5 item
 * 7: the runtime stopped refuses every creation, the runtime killed in the middle of a decision refuses it.
 * The tests run in name order: the last ones stop and kill the runtime.
 */
@FixMethodOrder(MethodSorters.NAME_ASCENDING)
public class GatePodmanIT {

    static GateHarness h;
    static String storage;
    static String bigDigest;
    static Path runroot;

    @BeforeClass
    public static void imagePolicyRuntimeAndHooks() throws Exception {
        h = new GateHarness("gate-podman");
        String digest = h.buildImage();
        // podman wants a run root of at most 50 characters
        runroot = Files.createTempDirectory(Path.of("/tmp"), "carapace-it-");
        storage = "--root " + h.f("storage") + " --runroot " + runroot + " --storage-driver vfs";
        h.sh("skopeo copy -q oci:oci:it 'containers-storage:[vfs@" + h.f("storage") + "+" + runroot
            + "]localhost/busybox:it'");
        h.sh(RuntimeBundles.home().resolve("bin/carapace-install-hook") + " --prefix " + h.f("prefix") + " --hooks-dir "
            + h.f("hooks") + " --socket " + h.run.resolve("gate.sock"));
        // a runc bundle with a large file: hashing it cold takes long enough to kill the runtime in the middle
        h.sh("umoci unpack --image oci:it big >/dev/null && truncate -s 3G big/rootfs/opt/data/blob");
        bigDigest = h.ok("image", "digest", "--json", "bundle:" + h.f("big")).json().get("rootfsDigest").textValue();
        h.provisionKeys();
        h.startRuntime();
        h.okRuntime("trust", "install", h.f("root.json"));
        h.ok("policy", "init", "-o", h.f("base.json"));
        h.ok("policy", "add-image", h.f("base.json"), "--name", "busybox", "--rootfs-digest", digest);
        h.ok("policy", "add-image", h.f("base.json"), "--name", "big", "--rootfs-digest", bigDigest);
        h.signAndInstall("base");
        h.okRuntime("gate", "manifest", "add", h.f("manifest.json"));
    }

    @AfterClass
    public static void stop() throws Exception {
        if (h != null) {
            h.shell("podman " + storage + " rm -af >/dev/null 2>&1; runc delete -f it-big >/dev/null 2>&1");
            h.stopRuntime(false);
        }
        if (runroot != null) {
            new ProcessBuilder("rm", "-rf", runroot.toString()).start().waitFor();
        }
    }

    static GateHarness.Result podman(String name) throws Exception {
        return h.shell("podman " + storage + " --cgroup-manager cgroupfs --runtime runc --events-backend file --hooks-dir "
            + h.f("hooks") + " run --rm --name " + name + " --ulimit nofile=20000:20000 --ulimit nproc=4096:4096"
            + " --network none --pull never localhost/busybox:it /bin/sh -c 'echo container-ran'");
    }

    /** The image's top layer in podman's vfs storage: the files every new container of it is copied from. */
    static Path imageLayer() throws Exception {
        // containers/storage's own record of the image: vfs-images/images.json names its top layer
        String layer = h.sh("jq -r '.[] | select(.names | index(\"localhost/busybox:it\")) | .layer' storage/vfs-images/images.json")
            .trim();
        assertTrue("no layer for localhost/busybox:it in images.json", layer.matches("[0-9a-f]{64}"));
        return h.work.resolve("storage/vfs/dir").resolve(layer);
    }

    @Test
    public void a1WhitelistedImageRunsUnderPodman() throws Exception {
        GateHarness.Result r = podman("it-podman-ok");
        assertEquals(r.all(), 0, r.exit());
        assertTrue(r.all(), r.out().contains("container-ran"));
        assertTrue(h.log(), h.log().contains("Gate: ALLOW container ") && h.log().contains("(image busybox)"));
    }

    @Test
    public void a2TamperedStoredImageIsRefusedWithThePath() throws Exception {
        Path ping = imageLayer().resolve("usr/bin/ping");
        // keep the original with its file capability (security.capability), which rewriting a file drops
        h.sh("cp -a " + ping + " ping.orig");
        Files.writeString(ping, "#!/bin/sh\necho pong; id\n");
        try {
            GateHarness.Result r = podman("it-podman-tampered");
            assertNotEquals(r.all(), 0, r.exit());
            assertFalse(r.all(), r.out().contains("container-ran"));
            assertTrue(r.all(), r.err().contains("carapace: refused: image busybox"));
            assertTrue(r.all(), r.err().contains("differs at /usr/bin/ping: changed"));
        } finally {
            h.sh("mv ping.orig " + ping);
        }
        GateHarness.Result again = podman("it-podman-restored");
        assertEquals(again.all(), 0, again.exit());
    }

    @Test
    public void b1WithTheRuntimeStoppedEveryCreationIsRefused() throws Exception {
        h.stopRuntime(false);
        GateHarness.Result r = podman("it-podman-no-runtime");
        assertNotEquals(r.all(), 0, r.exit());
        assertFalse(r.all(), r.out().contains("container-ran"));
        assertTrue(r.all(), r.err().contains("carapace: refused: the Carapace runtime is not running"));
        // the installed policy and manifests survive the restart
        h.startRuntime();
        GateHarness.Result after = podman("it-podman-after-restart");
        assertEquals(after.all(), 0, after.exit());
    }

    @Test
    public void b2TheRuntimeKilledInTheMiddleOfADecisionRefusesIt() throws Exception {
        Path config = h.work.resolve("big/config.json");
        var json = (com.fasterxml.jackson.databind.node.ObjectNode) GateHarness.JSON.readTree(config.toFile());
        ((com.fasterxml.jackson.databind.node.ObjectNode) json.get("process")).put("terminal", false).putArray("args")
            .add("/bin/true");
        var hook = json.putObject("hooks").putArray("createRuntime").addObject();
        hook.put("path", h.hook.toString());
        hook.putArray("args").add("carapace-oci-hook").add("--stage").add("createRuntime").add("--timeout-ms").add("20000")
            .add("--socket").add(h.run.resolve("gate.sock").toString());
        GateHarness.JSON.writeValue(config.toFile(), json);
        Path err = h.work.resolve("big-run.err");
        Process runc = new ProcessBuilder("runc", "run", "--bundle", h.f("big"), "it-big").redirectErrorStream(false)
            .redirectError(err.toFile()).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        Thread.sleep(700); // the gate is reading 3 GiB
        assertTrue("runc finished before the runtime was killed", runc.isAlive());
        h.stopRuntime(true);
        assertTrue(runc.waitFor(60, TimeUnit.SECONDS));
        String stderr = Files.readString(err);
        assertNotEquals(stderr, 0, runc.exitValue());
        assertTrue(stderr, stderr.contains("carapace: refused: the Carapace runtime closed the connection without an answer"));
        assertFalse(h.log(), h.log().contains("container it-big"));
    }
}
