package org.carapace.it;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;

/**
 * The container gate end to end with plain runc: the real {@code dev} runtime, a real busybox image built with umoci, a
 * signed policy made with the CLI, OCI bundles from {@code umoci unpack} whose config.json runs the real static hook at
 * {@code createRuntime}. Issue 5 items 5 and 7: allowed, each kind of tampering refused with its path, revoked, audit,
 * exemption, 50 concurrent creations, garbage on the socket.
 */
public class GateRuncIT {

    static GateHarness h;
    static String digest;
    static String auditDigest;
    static String revokedDigest;

    @BeforeClass
    public static void imagePolicyAndRuntime() throws Exception {
        h = new GateHarness("gate-runc");
        digest = h.buildImage();
        h.sh("umoci unpack --image oci:it pristine >/dev/null");
        h.provisionKeys();
        h.startRuntime();
        h.okRuntime("trust", "install", h.f("root.json"));
        // two variants of the image, each whitelisted by the digest of its bundle (mount points left out)
        bundle("audited", "echo audited > rootfs/etc/variant");
        auditDigest = bundleDigest("audited");
        h.ok("image", "digest", "--as-run", "--manifest", h.f("audited-manifest.json"), "bundle:" + h.f("audited"));
        bundle("revoked", "echo revoked > rootfs/etc/variant");
        revokedDigest = bundleDigest("revoked");
        JsonNode manifest = GateHarness.JSON.readTree(Files.readString(Path.of(h.f("manifest.json"))));
        long files = 0;
        for (JsonNode entry : manifest.get("entries")) {
            files += "file".equals(entry.get("type").textValue()) ? 1 : 0;
        }
        h.ok("policy", "init", "-o", h.f("base.json"), "--device", "dev-vehicle-0001");
        h.ok("policy", "add-image", h.f("base.json"), "--name", "busybox", "--rootfs-digest", digest,
            "--manifest-ref", digest + ":" + files);
        h.ok("policy", "add-image", h.f("base.json"), "--name", "busybox-audited", "--rootfs-digest", auditDigest,
            "--mode", "audit");
        h.ok("policy", "add-image", h.f("base.json"), "--name", "busybox-old", "--rootfs-digest", revokedDigest);
        h.ok("policy", "revoke", h.f("base.json"), "--digest", revokedDigest, "--reason", "CVE-2026-0001");
        h.ok("policy", "exempt", h.f("base.json"), "--name", "platform-agent", "--container-id", "platform-[a-z0-9-]+",
            "--bundle-prefix", h.f("platform"));
        h.signAndInstall("base");
        h.okRuntime("gate", "manifest", "add", h.f("manifest.json"));
        h.okRuntime("gate", "manifest", "add", h.f("audited-manifest.json"));
    }

    @AfterClass
    public static void stop() throws Exception {
        if (h != null) {
            h.shell("for c in $(runc list -q | grep '^it-'); do runc delete -f $c; done");
            h.stopRuntime(false);
        }
    }

    /** A copy of the pristine bundle with the hook in its config.json, changed by {@code change} (run in the bundle). */
    static Path bundle(String name, String change) throws Exception {
        return h.hookedBundle(name, change);
    }

    static String bundleDigest(String name) {
        try {
            return h.ok("image", "digest", "--json", "--as-run", "bundle:" + h.f(name)).json().get("rootfsDigest").textValue();
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    static GateHarness.Result runc(String bundle, String id) throws Exception {
        return h.runc(bundle, id);
    }

    static void assertRefused(GateHarness.Result r, String... expected) {
        assertNotEquals("the container ran:\n" + r.all(), 0, r.exit());
        assertTrue(r.all(), !r.out().contains("container-ran"));
        assertTrue(r.all(), r.err().contains("carapace: refused: image busybox"));
        for (String text : expected) {
            assertTrue("expected '" + text + "' in:\n" + r.err(), r.err().contains(text));
        }
    }

    @Test
    public void theWhitelistedImageRuns() throws Exception {
        bundle("allowed", "true");
        long before = h.decisions("allow");
        GateHarness.Result r = runc("allowed", "it-allowed");
        assertEquals(r.all(), 0, r.exit());
        assertTrue(r.all(), r.out().contains("container-ran"));
        assertEquals(before + 1, h.decisions("allow"));
        assertTrue(h.log(), h.log().contains("Gate: ALLOW container it-allowed (image busybox)"));
    }

    @Test
    public void aChangedByteInABinaryIsRefused() throws Exception {
        Path bundle = bundle("byte", "true");
        try (RandomAccessFile file = new RandomAccessFile(bundle.resolve("rootfs/bin/busybox").toFile(), "rw")) {
            file.seek(4096);
            int b = file.read();
            file.seek(4096);
            file.write(b ^ 0x01);
        }
        assertRefused(runc("byte", "it-byte"), "differs at /bin/busybox: changed");
    }

    @Test
    public void anAddedFileIsRefused() throws Exception {
        bundle("added", "printf '#!/bin/sh\\nid\\n' > rootfs/usr/bin/backdoor && chmod 755 rootfs/usr/bin/backdoor");
        assertRefused(runc("added", "it-added"), "differs at /usr/bin/backdoor: added");
    }

    @Test
    public void aRemovedFileIsRefused() throws Exception {
        bundle("removed", "rm rootfs/etc/passwd");
        assertRefused(runc("removed", "it-removed"), "differs at /etc/passwd: removed");
    }

    @Test
    public void aSetuidBitIsRefused() throws Exception {
        bundle("setuid", "chmod u+s rootfs/usr/bin/ping");
        assertRefused(runc("setuid", "it-setuid"), "differs at /usr/bin/ping: changed mode (0755 -> 4755)");
    }

    @Test
    public void aRetargetedSymlinkIsRefused() throws Exception {
        bundle("symlink", "ln -sfn ../usr/bin/ping rootfs/bin/cat");
        assertRefused(runc("symlink", "it-symlink"), "differs at /bin/cat: changed target (busybox -> ../usr/bin/ping)");
    }

    @Test
    public void aRevokedImageIsRefusedThoughListed() throws Exception {
        GateHarness.Result r = runc("revoked", "it-revoked");
        assertNotEquals(r.all(), 0, r.exit());
        assertTrue(r.all(), r.err().contains("carapace: refused:") && r.err().contains(revokedDigest + " is revoked"));
    }

    @Test
    public void auditModeRunsADifferingContainerAndReportsTheDifference() throws Exception {
        GateHarness.Result exact = runc("audited", "it-audited");
        assertEquals(exact.all(), 0, exact.exit());
        assertTrue(h.log(), h.log().contains("Gate: ALLOW container it-audited (image busybox-audited)"));

        bundle("audited-changed", "echo audited > rootfs/etc/variant && echo extra > rootfs/etc/extra");
        long before = h.decisions("audit");
        GateHarness.Result r = runc("audited-changed", "it-audited-changed");
        assertEquals(r.all(), 0, r.exit());
        assertTrue(r.all(), r.out().contains("container-ran"));
        assertEquals(before + 1, h.decisions("audit"));
        JsonNode last = h.gateStatus().get("recent").get(0);
        assertEquals("AUDIT", last.get("verdict").textValue());
        assertEquals("it-audited-changed", last.get("containerId").textValue());
        assertEquals("/etc/extra: added (file)", last.get("differences").get(0).textValue());
        // the same change to an image in enforce mode is refused
        bundle("enforced-changed", "echo extra > rootfs/etc/extra");
        assertRefused(runc("enforced-changed", "it-enforced-changed"), "differs at /etc/extra: added (file)");
    }

    @Test
    public void anExemptedPlatformContainerRunsOnlyWhereTheExemptionSaysSo() throws Exception {
        Files.createDirectories(h.work.resolve("platform"));
        bundle("platform/agent", "echo not-in-any-policy > rootfs/etc/agent");
        GateHarness.Result r = runc("platform/agent", "platform-agent-1");
        assertEquals(r.all(), 0, r.exit());
        assertTrue(h.log(), h.log().contains("exempted by the policy's exemption 'platform-agent'"));
        // the same bundle under an id the exemption does not name is an unknown image
        GateHarness.Result other = runc("platform/agent", "it-agent");
        assertNotEquals(other.all(), 0, other.exit());
        assertTrue(other.all(), other.err().contains("differs at /etc/agent: added"));
    }

    @Test
    public void fiftyConcurrentCreationsAllGetADecision() throws Exception {
        bundle("many", "true");
        long before = h.decisions("allow");
        ExecutorService pool = Executors.newFixedThreadPool(50);
        try {
            List<Future<GateHarness.Result>> runs = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                String id = "it-many-" + i;
                runs.add(pool.submit(() -> runc("many", id)));
            }
            for (Future<GateHarness.Result> run : runs) {
                GateHarness.Result r = run.get(3, TimeUnit.MINUTES);
                assertEquals(r.all(), 0, r.exit());
                assertTrue(r.all(), r.out().contains("container-ran"));
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(before + 50, h.decisions("allow"));
    }

    @Test
    public void garbageOnTheSocketGetsAClearRefusalAndTheGateKeepsServing() throws Exception {
        for (byte[] garbage : new byte[][] {
            "GET / HTTP/1.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII),
            "CARAPACE-GATE 1 createRuntime\n{\"ociVersion\": [[[[".getBytes(StandardCharsets.US_ASCII),
            new byte[] {0, (byte) 0xff, 0x7f, 10, 13, 0}}) {
            try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                channel.connect(UnixDomainSocketAddress.of(h.run.resolve("gate.sock")));
                OutputStream out = Channels.newOutputStream(channel);
                out.write(garbage);
                out.flush();
                channel.shutdownOutput();
                InputStream in = Channels.newInputStream(channel);
                String answer = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                assertTrue(answer, answer.startsWith("REFUSE "));
                assertTrue(answer, answer.length() > "REFUSE ".length() + 10);
            }
        }
        bundle("after-garbage", "true");
        GateHarness.Result r = runc("after-garbage", "it-after-garbage");
        assertEquals(r.all(), 0, r.exit());
    }

    @Test
    public void aBindMountThatHidesTheImageBehindUncheckedContentIsRefused() throws Exception {
        bundle("bind-etc", "mkdir -p ../evil-etc && printf 'root::0:0:root:/root:/bin/sh\\n' > ../evil-etc/passwd");
        h.sh("cd bind-etc && jq --arg src " + h.f("evil-etc") + " '.mounts += [{destination: \"/etc\", type: \"bind\", source: $src,"
            + " options: [\"rbind\", \"ro\"]}]' config.json > c.json && mv c.json config.json");
        GateHarness.Result r = runc("bind-etc", "it-bind-etc");
        assertNotEquals(r.all(), 0, r.exit());
        assertTrue(r.all(), r.err().contains("carapace: refused: mount of " + h.f("evil-etc") + " over /etc is not an allowed mount"));
    }

    @Test
    public void aConfigThatRuncWouldReadDifferentlyIsRefused() throws Exception {
        // Go's JSON decoder takes "Mounts" for "mounts" (case-insensitive, last wins): tmpfs would hide the backdoor
        bundle("case", "printf '#!/bin/sh\\necho pwned\\n' > rootfs/usr/bin/backdoor && chmod 755 rootfs/usr/bin/backdoor");
        h.sh("cd case && jq '.Mounts = .mounts | .mounts += [{destination: \"/usr/bin/backdoor\", type: \"tmpfs\", source: \"tmpfs\"}]'"
            + " config.json > c.json && mv c.json config.json");
        GateHarness.Result r = runc("case", "it-case");
        assertNotEquals(r.all(), 0, r.exit());
        assertTrue(r.all(), r.err().contains("differ only in case, 'mounts' and 'Mounts'"));
    }

    /**
     * The time-of-check race on the host's paths, made deterministic: a {@code createRuntime} hook that runs just before
     * the gate's (hooks run in order) changes the bundle the way an attacker with write access to the host would,
     * after runc has read {@code config.json} and mounted the root file system, before the gate looks.
     */
    static void attackBeforeTheGate(String name, String attack) throws Exception {
        attackBeforeTheGate(name, "cat >/dev/null", attack);
    }

    /** {@code readState} consumes the OCI state on stdin (e.g. into {@code $pid}, to enter the container's namespace). */
    static void attackBeforeTheGate(String name, String readState, String attack) throws Exception {
        Path config = h.work.resolve(name).resolve("config.json");
        var json = (com.fasterxml.jackson.databind.node.ObjectNode) GateHarness.JSON.readTree(config.toFile());
        var hooks = (com.fasterxml.jackson.databind.node.ArrayNode) json.get("hooks").get("createRuntime");
        var first = hooks.insertObject(0);
        first.put("path", "/bin/sh");
        first.putArray("args").add("sh").add("-c").add(readState + "; cd " + h.f(name) + " && " + attack);
        GateHarness.JSON.writeValue(config.toFile(), json);
    }

    @Test
    public void rootPathSwappedAfterRuncReadItIsRefused() throws Exception {
        // runc runs the tampered rootfs; config.json is then pointed at a pristine copy, which the gate must not hash
        bundle("swap-path", "printf '#!/bin/sh\nid\n' > rootfs/usr/bin/backdoor && chmod 755 rootfs/usr/bin/backdoor");
        attackBeforeTheGate("swap-path", "jq --arg p " + h.f("pristine/rootfs") + " '.root.path = $p' config.json > c.json"
            + " && mv c.json config.json");
        GateHarness.Result r = runc("swap-path", "it-swap-path");
        assertNotEquals(r.all(), 0, r.exit());
        assertTrue(r.all(), !r.out().contains("container-ran"));
        assertTrue(r.all(), r.err().contains("carapace: refused") && r.err().contains("is not mounted for the container"));
    }

    @Test
    public void rootfsDirectorySwappedAfterRuncMountedItIsRefused() throws Exception {
        // the tampered rootfs is renamed away and a pristine copy put at its path: the container keeps the tampered one
        bundle("swap-dir", "printf '#!/bin/sh\nid\n' > rootfs/usr/bin/backdoor && chmod 755 rootfs/usr/bin/backdoor");
        attackBeforeTheGate("swap-dir", "mv rootfs rootfs.evil && cp -a " + h.f("pristine/rootfs") + " rootfs");
        GateHarness.Result r = runc("swap-dir", "it-swap-dir");
        assertNotEquals(r.all(), 0, r.exit());
        assertTrue(r.all(), !r.out().contains("container-ran"));
        assertTrue(r.all(), r.err().contains("carapace: refused") && r.err().contains("is not mounted for the container"));
    }

    @Test
    public void aMountRemovedFromConfigAfterRuncMadeItIsStillSeen() throws Exception {
        // runc bind-mounts a doctored /bin over the image's; the mount is then deleted from config.json, so the gate
        // neither refuses it as a mount nor leaves it out: it must hash what the container will see at /bin
        bundle("unlisted", "cp -a rootfs/bin ../evil-bin && printf '#!/bin/sh\nid\n' > ../evil-bin/backdoor"
            + " && chmod 755 ../evil-bin/backdoor");
        h.sh("cd unlisted && jq --arg src " + h.f("evil-bin") + " '.mounts += [{destination: \"/bin\", type: \"bind\","
            + " source: $src, options: [\"rbind\", \"ro\"]}]' config.json > c.json && mv c.json config.json");
        attackBeforeTheGate("unlisted", "jq '.mounts |= map(select(.destination != \"/bin\"))' config.json > c.json"
            + " && mv c.json config.json");
        GateHarness.Result r = runc("unlisted", "it-unlisted");
        assertNotEquals(r.all(), 0, r.exit());
        assertTrue(r.all(), !r.out().contains("container-ran"));
        assertTrue(r.all(), r.err().contains("the container has a mount at /bin, not an allowed mount destination"));
    }


    @Test
    public void rootPathRetargetedToOneOfTheContainersMountsIsRefused() throws Exception {
        // an allowed mount shows a pristine copy inside the container; root.path is then pointed at that mount, which is
        // the container's own mount too, but not its root
        bundle("retarget", "printf '#!/bin/sh\\nid\\n' > rootfs/usr/bin/backdoor && chmod 755 rootfs/usr/bin/backdoor");
        h.sh("cd retarget && jq --arg src " + h.f("pristine/rootfs") + " '.mounts += [{destination: \"/run/secrets\","
            + " type: \"bind\", source: $src, options: [\"rbind\", \"ro\"]}]' config.json > c.json && mv c.json config.json");
        attackBeforeTheGate("retarget", "jq '.root.path = \"rootfs/run/secrets\"' config.json > c.json && mv c.json config.json");
        GateHarness.Result r = runc("retarget", "it-retarget");
        assertNotEquals(r.all(), 0, r.exit());
        assertTrue(r.all(), !r.out().contains("container-ran"));
        assertTrue(r.all(), r.err().contains("is not mounted for the container: it runs " + h.f("retarget/rootfs")));
    }

    @Test
    public void aDecoyTreeMountedInTheContainersNamespaceIsRefused() throws Exception {
        bundle("decoy", "printf '#!/bin/sh\\nid\\n' > rootfs/usr/bin/backdoor && chmod 755 rootfs/usr/bin/backdoor");
        attackBeforeTheGate("decoy", "pid=$(jq -r .pid)", "mkdir -p pristine && nsenter -t $pid -m mount --bind " + h.f("pristine/rootfs")
            + " $PWD/pristine && jq '.root.path = \"pristine\"' config.json > c.json && mv c.json config.json");
        GateHarness.Result r = runc("decoy", "it-decoy");
        assertNotEquals(r.all(), 0, r.exit());
        assertTrue(r.all(), !r.out().contains("container-ran"));
        assertTrue(r.all(), r.err().contains("more than one tree of its own"));
    }

    @Test
    public void aMountAddedToConfigAfterRuncReadItHidesNothing() throws Exception {
        // the image carries a program under /sys; runc reads a config.json without /sys mounts, so the container sees
        // it; a /sys mount then appears in config.json: the gate goes by the mounts the container really has
        bundle("late-sys", "mkdir -p rootfs/sys/evil && printf '#!/bin/sh\\nid\\n' > rootfs/sys/evil/x && chmod 755 rootfs/sys/evil/x"
            + " && jq '.mounts |= map(select((.destination | startswith(\"/sys\")) | not))"
            + " | .linux.maskedPaths |= map(select(startswith(\"/sys\") | not))' config.json > c.json && mv c.json config.json");
        attackBeforeTheGate("late-sys", "jq '.mounts += [{destination: \"/sys\", type: \"sysfs\", source: \"sysfs\"}]'"
            + " config.json > c.json && mv c.json config.json");
        assertRefused(runc("late-sys", "it-late-sys"), "differs at /sys/evil");
    }

    @Test
    public void maskedPathsThatWouldHideImageFilesAreRefused() throws Exception {
        bundle("masked", "jq '.linux.maskedPaths += [\"/etc/passwd\"]' config.json > c.json && mv c.json config.json");
        GateHarness.Result r = runc("masked", "it-masked");
        assertNotEquals(r.all(), 0, r.exit());
        assertTrue(r.all(), r.err().contains("linux.maskedPaths hides /etc/passwd, which is part of the image"));
    }
}
