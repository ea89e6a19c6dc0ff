package org.carapace.platform.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PlatformInfoComponentTest {

    @TempDir
    Path tmp;

    @Test
    void createsPrivateDirectoriesAndKeepsTheIdentity() throws IOException {
        PlatformInfoComponent info = new PlatformInfoComponent("vin-42", "headunit",
            tmp.resolve("data").toString(), tmp.resolve("run/sub").toString());
        assertEquals("vin-42", info.deviceId());
        assertEquals("headunit", info.profile());
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(info.dataDir())));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(info.runDir())));
    }

    @Test
    void tightensAnExistingWorldReadableDirectory() throws IOException {
        Path open = Files.createDirectory(tmp.resolve("open"), PosixFilePermissions.asFileAttribute(
            PosixFilePermissions.fromString("rwxr-xr-x")));
        PlatformInfoComponent info = new PlatformInfoComponent("d", "dev", open.toString(), tmp.resolve("r").toString());
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(info.dataDir())));
    }

    @Test
    void refusesABadDeviceIdNamingIt() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
            () -> new PlatformInfoComponent("bad id/../x", "dev", tmp.toString(), tmp.toString()));
        assertTrue(e.getMessage().contains("bad id/../x"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new PlatformInfoComponent("", "dev", tmp.toString(), tmp.toString()));
        assertThrows(IllegalArgumentException.class,
            () -> new PlatformInfoComponent("x".repeat(65), "dev", tmp.toString(), tmp.toString()));
    }

    @Test
    void refusesRelativeOrMissingPaths() {
        IllegalArgumentException relative = assertThrows(IllegalArgumentException.class,
            () -> new PlatformInfoComponent("d", "dev", "relative/data", tmp.toString()));
        assertTrue(relative.getMessage().contains("dataDir"), relative.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new PlatformInfoComponent("d", "dev", tmp.toString(), ""));
        assertThrows(IllegalArgumentException.class, () -> new PlatformInfoComponent("d", " ", tmp.toString(), tmp.toString()));
    }
}
