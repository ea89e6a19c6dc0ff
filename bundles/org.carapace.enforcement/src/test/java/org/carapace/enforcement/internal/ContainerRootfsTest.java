package org.carapace.enforcement.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.carapace.enforcement.internal.OciBundle.BundleException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pinning a container's root file system through its own mount namespace, with real namespaces: a process made by
 * {@code unshare -m} that bind-mounts a directory onto itself and waits, the way runc's init does at
 * {@code createRuntime}. Needs root (as the gate does).
 */
class ContainerRootfsTest {

    @TempDir
    Path tmp;
    private Process container;
    private final ContainerRootfs.MountNamespace locator = new ContainerRootfs.MountNamespace(Path.of("/proc"), 4 << 20);

    @BeforeEach
    void root() {
        assumeTrue("root".equals(System.getProperty("user.name")), "mount namespaces need root");
    }

    @AfterEach
    void stop() throws InterruptedException {
        if (container != null) {
            container.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** A process in a new mount namespace with {@code rootfs} bind-mounted onto itself, waiting. */
    private long containerWithBindAt(Path rootfs) throws IOException {
        container = new ProcessBuilder("unshare", "-m", "--propagation", "private", "sh", "-c",
            "mount --bind \"$0\" \"$0\" && echo ready && exec sleep 120", rootfs.toString()).redirectErrorStream(true).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(container.getInputStream(), StandardCharsets.UTF_8));
        assertEquals("ready", out.readLine());
        return container.pid();
    }

    private Path tree(String name, String content) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve(name));
        Files.writeString(dir.resolve("marker"), content);
        return dir.toRealPath();
    }

    @Test
    void pinsTheDirectoryTheContainerHasMountedAndKeepsItWhenTheHostPathChanges() throws Exception {
        Path rootfs = tree("rootfs", "tampered");
        long pid = containerWithBindAt(rootfs);
        try (ContainerRootfs.Pinned pinned = locator.pin(pid, rootfs, List.of())) {
            assertEquals("tampered", Files.readString(pinned.path().resolve("marker")));
            // the attacker swaps the host's directory for a pristine one: the pinned view does not follow
            Files.move(rootfs, tmp.resolve("moved-away"));
            tree("rootfs", "pristine");
            assertEquals("pristine", Files.readString(rootfs.resolve("marker")));
            assertEquals("tampered", Files.readString(pinned.path().resolve("marker")));
        }
    }

    @Test
    void refusesADirectoryTheContainerHasNotMounted() throws Exception {
        Path mounted = tree("mounted", "tampered");
        Path other = tree("other", "pristine");
        long pid = containerWithBindAt(mounted);
        BundleException e = assertThrows(BundleException.class, () -> locator.pin(pid, other, List.of()));
        assertTrue(e.getMessage().contains("is not mounted for the container"), e.getMessage());
        // a process in the gate's own namespace has no mount of its own anywhere
        BundleException own = assertThrows(BundleException.class, () -> locator.pin(ProcessHandle.current().pid(), mounted, List.of()));
        assertTrue(own.getMessage().contains("is not mounted for the container"), own.getMessage());
    }

    @Test
    void refusesWhenTheDirectoryWasSwappedAfterTheRuntimeMountedIt() throws Exception {
        // runc has bind-mounted the tampered tree; then root.path's directory is renamed away and a pristine one put in
        // its place: the container's mount moved with the renamed directory, so the path is not the container's root
        Path rootfs = tree("rootfs", "tampered");
        long pid = containerWithBindAt(rootfs);
        Files.move(rootfs, tmp.resolve("evil"));
        tree("rootfs", "pristine");
        BundleException e = assertThrows(BundleException.class, () -> locator.pin(pid, rootfs, List.of()));
        assertTrue(e.getMessage().contains("is not mounted for the container"), e.getMessage());
    }

    @Test
    void refusesAStateWithoutALiveProcess() throws Exception {
        Path rootfs = tree("rootfs", "x");
        assertTrue(assertThrows(BundleException.class, () -> locator.pin(0, rootfs, List.of())).getMessage().contains("no init process"));
        Process gone = new ProcessBuilder("true").start();
        gone.waitFor();
        assertTrue(assertThrows(BundleException.class, () -> locator.pin(gone.pid(), rootfs, List.of())).getMessage()
            .contains("is not running"));
    }

    @Test
    void aMountTableLargerThanTheLimitIsRefused() throws Exception {
        Path rootfs = tree("rootfs", "x");
        long pid = containerWithBindAt(rootfs);
        ContainerRootfs.MountNamespace small = new ContainerRootfs.MountNamespace(Path.of("/proc"), 64);
        assertTrue(assertThrows(BundleException.class, () -> small.pin(pid, rootfs, List.of())).getMessage().contains("maxMountinfoBytes"));
    }

    @Test
    void readsEscapedMountPointsAndTellsTheContainersOwnMounts() throws Exception {
        byte[] host = ("21 1 8:1 / / rw - ext4 /dev/sda1 rw\n"
            + "30 21 0:5 / /srv/a\\040b rw - overlay overlay rw\n").getBytes(StandardCharsets.ISO_8859_1);
        byte[] container = ("41 40 8:1 / / rw - ext4 /dev/sda1 rw\n"
            + "42 41 0:5 / /srv/a\\040b rw - overlay overlay rw\n"      // the copy of the host's overlay
            + "43 42 0:5 / /srv/a\\040b rw - overlay overlay rw\n"      // the runtime's bind of it onto itself
            + "44 43 0:9 / /srv/a\\040b/proc rw - proc proc rw\n"
            + "45 43 0:10 / /srv/a\\040b/x\\134y rw - tmpfs tmpfs rw\n").getBytes(StandardCharsets.ISO_8859_1);
        List<ContainerRootfs.MountEntry> own = ContainerRootfs.ownMounts(ContainerRootfs.parse(container),
            ContainerRootfs.parse(host));
        assertEquals(List.of(43L, 44L, 45L), own.stream().map(ContainerRootfs.MountEntry::id).toList());
        assertEquals("/srv/a b", new String(own.get(0).mountPoint(), StandardCharsets.UTF_8));
        assertEquals("/srv/a b/x\\y", new String(own.get(2).mountPoint(), StandardCharsets.UTF_8));
        assertThrows(BundleException.class, () -> ContainerRootfs.parse("garbage\n".getBytes(StandardCharsets.US_ASCII)));
    }

    @Test
    void reportsTheMountsBelowTheRootAndRefusesASecondTreeOrAMountOnTop() throws Exception {
        Path rootfs = tree("rootfs", "x");
        Files.createDirectories(rootfs.resolve("proc"));
        container = new ProcessBuilder("unshare", "-m", "--propagation", "private", "sh", "-c",
            "mount --bind \"$0\" \"$0\" && mount -t tmpfs tmpfs \"$0/proc\" && echo ready && exec sleep 120",
            rootfs.toString()).redirectErrorStream(true).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(container.getInputStream(), StandardCharsets.UTF_8));
        assertEquals("ready", out.readLine());
        try (ContainerRootfs.Pinned pinned = locator.pin(container.pid(), rootfs, List.of())) {
            assertEquals(List.of("/proc"), pinned.mountPoints());
        }
        Path decoy = tree("decoy", "pristine");
        Process second = new ProcessBuilder("nsenter", "-t", Long.toString(container.pid()), "-m", "mount", "--bind",
            decoy.toString(), decoy.toString()).redirectErrorStream(true).start();
        assertEquals(0, second.waitFor());
        BundleException two = assertThrows(BundleException.class, () -> locator.pin(container.pid(), decoy, List.of()));
        assertTrue(two.getMessage().contains("more than one tree of its own"), two.getMessage());
    }

    @Test
    void refusesWhenRootPathNamesAMountBelowTheRealRoot() throws Exception {
        // root.path retargeted to one of the container's own mounts below its root (say a bind of a pristine copy)
        Path rootfs = tree("rootfs", "tampered");
        Path inner = Files.createDirectories(rootfs.resolve("run/secrets"));
        Path pristine = tree("pristine", "pristine");
        container = new ProcessBuilder("unshare", "-m", "--propagation", "private", "sh", "-c",
            "mount --bind \"$0\" \"$0\" && mount --bind \"$1\" \"$0/run/secrets\" && echo ready && exec sleep 120",
            rootfs.toString(), pristine.toString()).redirectErrorStream(true).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(container.getInputStream(), StandardCharsets.UTF_8));
        assertEquals("ready", out.readLine());
        BundleException e = assertThrows(BundleException.class, () -> locator.pin(container.pid(), inner.toRealPath(), List.of()));
        assertTrue(e.getMessage().contains("it runs " + rootfs), e.getMessage());
    }

    @Test
    void refusesAnotherTreeMountedAtTheRootfsPath() throws Exception {
        // the runtime was led to mount a pristine copy at the rootfs path, not the rootfs onto itself
        Path rootfs = tree("rootfs", "tampered");
        Path pristine = tree("pristine", "pristine");
        container = new ProcessBuilder("unshare", "-m", "--propagation", "private", "sh", "-c",
            "mount --bind \"$1\" \"$0\" && echo ready && exec sleep 120", rootfs.toString(), pristine.toString())
            .redirectErrorStream(true).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(container.getInputStream(), StandardCharsets.UTF_8));
        assertEquals("ready", out.readLine());
        BundleException e = assertThrows(BundleException.class, () -> locator.pin(container.pid(), rootfs, List.of()));
        assertTrue(e.getMessage().contains("device or inode differ"), e.getMessage());
    }

    @Test
    void hostMountsComingAndGoingDoNotMakeTheContainerLookLikeItHasTwoTrees() throws Exception {
        Path rootfs = tree("rootfs", "x");
        Path churn = Files.createDirectories(tmp.resolve("churn"));
        // the container's namespace follows the host's mounts (rslave, as runc makes it)
        container = new ProcessBuilder("unshare", "-m", "--propagation", "slave", "sh", "-c",
            "mount --bind \"$0\" \"$0\" && echo ready && exec sleep 120", rootfs.toString()).redirectErrorStream(true).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(container.getInputStream(), StandardCharsets.UTF_8));
        assertEquals("ready", out.readLine());
        Process host = new ProcessBuilder("sh", "-c", "while true; do mount -t tmpfs none \"$0\"; umount \"$0\"; done",
            churn.toString()).redirectErrorStream(true).start();
        try {
            for (int i = 0; i < 100; i++) {
                try (ContainerRootfs.Pinned pinned = locator.pin(container.pid(), rootfs, List.of())) {
                    assertEquals(List.of(), pinned.mountPoints());
                }
            }
        } finally {
            host.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            new ProcessBuilder("umount", churn.toString()).start().waitFor();
        }
    }
}
