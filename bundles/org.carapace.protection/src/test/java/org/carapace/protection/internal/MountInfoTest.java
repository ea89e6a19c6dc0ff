package org.carapace.protection.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

class MountInfoTest {

    @Test
    void parsesAContainerNamespaceAtCreateRuntime() throws IOException {
        List<MountInfo> mounts = MountInfo.parse(List.of(
            "68 47 254:0 /b/rootfs /b/rootfs rw,relatime - ext4 /dev/vda rw",
            "69 68 0:41 / /b/rootfs/proc rw,relatime - proc proc rw",
            "72 70 0:44 / /b/rootfs/dev/shm rw,nosuid,nodev,noexec,relatime shared:5 - tmpfs shm rw",
            "90 68 0:50 / /b/rootfs/my\\040dir ro,relatime - tmpfs tmpfs ro"));
        assertEquals(4, mounts.size());
        assertEquals("/b/rootfs", mounts.get(0).mountPoint());
        assertTrue(mounts.get(1).pseudo());
        assertTrue(mounts.get(2).noExec());
        assertEquals("tmpfs", mounts.get(2).fsType());
        assertEquals("/b/rootfs/my dir", mounts.get(3).mountPoint());
        assertTrue(mounts.get(3).readOnly());
        assertTrue(mounts.get(2).isAtOrBelow("/b/rootfs"));
        assertFalse(mounts.get(0).isAtOrBelow("/b/root"));
    }

    @Test
    void refusesATruncatedLine() {
        assertThrows(IOException.class, () -> MountInfo.parse(List.of("68 47 254:0 / /")));
        assertThrows(IOException.class, () -> MountInfo.parse(List.of("x 47 254:0 / / rw - ext4 /dev/vda rw")));
    }
}
