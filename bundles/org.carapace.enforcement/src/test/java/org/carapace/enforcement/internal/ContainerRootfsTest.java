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
        try (ContainerRootfs.Pinned pinned = locator.pin(pid, rootfs)) {
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
        BundleException e = assertThrows(BundleException.class, () -> locator.pin(pid, other));
        assertTrue(e.getMessage().contains("is not mounted for the container"), e.getMessage());
        // a process in the gate's own namespace has no mount of its own anywhere
        BundleException own = assertThrows(BundleException.class, () -> locator.pin(ProcessHandle.current().pid(), mounted));
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
        BundleException e = assertThrows(BundleException.class, () -> locator.pin(pid, rootfs));
        assertTrue(e.getMessage().contains("is not mounted for the container"), e.getMessage());
    }

    @Test
    void refusesAStateWithoutALiveProcess() throws Exception {
        Path rootfs = tree("rootfs", "x");
        assertTrue(assertThrows(BundleException.class, () -> locator.pin(0, rootfs)).getMessage().contains("no init process"));
        Process gone = new ProcessBuilder("true").start();
        gone.waitFor();
        assertTrue(assertThrows(BundleException.class, () -> locator.pin(gone.pid(), rootfs)).getMessage()
            .contains("is not running"));
    }

    @Test
    void aMountTableLargerThanTheLimitIsRefused() throws Exception {
        Path rootfs = tree("rootfs", "x");
        long pid = containerWithBindAt(rootfs);
        ContainerRootfs.MountNamespace small = new ContainerRootfs.MountNamespace(Path.of("/proc"), 64);
        assertTrue(assertThrows(BundleException.class, () -> small.pin(pid, rootfs)).getMessage().contains("maxMountinfoBytes"));
    }

    @Test
    void readsEscapedMountPoints() throws Exception {
        byte[] table = ("21 1 8:1 / / rw - ext4 /dev/sda1 rw\n"
            + "35 21 8:1 /srv/a\\040b /srv/a\\040b rw - ext4 /dev/sda1 rw\n"
            + "36 21 0:5 / /srv/a\\040b rw - overlay overlay rw\n"
            + "37 21 0:6 / /srv/a\\134040b rw - tmpfs tmpfs rw\n").getBytes(StandardCharsets.ISO_8859_1);
        assertEquals(List.of(35L, 36L), ContainerRootfs.mountsAt(table, "/srv/a b".getBytes(StandardCharsets.UTF_8)));
        assertEquals(List.of(37L), ContainerRootfs.mountsAt(table, "/srv/a\\040b".getBytes(StandardCharsets.UTF_8)));
        assertEquals(List.of(), ContainerRootfs.mountsAt(table, "/srv".getBytes(StandardCharsets.UTF_8)));
    }
}
