package org.carapace.imagehash.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.carapace.api.admin.AdminException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Configuration validation of the service and the {@code image.digest} admin command's argument handling. */
class ImageHasherComponentTest {

    @Test
    void invalidLimitsKeepTheServiceFromActivating() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new ImageLimits(0, 1, 1, 1, 1, 1, 1, 1, 1,
            512, 1, 1));
        assertTrue(e.getMessage().contains("maxImageBytes"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new ImageHasherComponent(ImageLimits.DEFAULTS, -1, 10));
        assertThrows(IllegalArgumentException.class, () -> new ImageHasherComponent(ImageLimits.DEFAULTS, 1, -10));
    }

    @Test
    void adminCommandHashesAndRefusesBadArguments(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("file"), "content");
        ImageHasherComponent hasher = new ImageHasherComponent(ImageLimits.DEFAULTS, 1, 100);
        try {
            ImageDigestCommand command = new ImageDigestCommand(hasher);
            Map<String, Object> result = command.execute(Map.of("source", "dir:" + dir, "exclusions", List.of()));
            assertTrue(String.valueOf(result.get("rootfsDigest")).startsWith("sha256:"), result.toString());
            assertEquals(1L, result.get("files"));
            AdminException missing = assertThrows(AdminException.class, () -> command.execute(Map.of()));
            assertEquals(AdminException.Code.BAD_REQUEST, missing.code());
            AdminException badSource = assertThrows(AdminException.class, () -> command.execute(Map.of("source", "ftp:x")));
            assertEquals(AdminException.Code.BAD_REQUEST, badSource.code());
            AdminException badExclusion = assertThrows(AdminException.class,
                () -> command.execute(Map.of("source", "dir:" + dir, "exclusions", List.of("/a/../b"))));
            assertEquals(AdminException.Code.BAD_REQUEST, badExclusion.code());
        } finally {
            hasher.deactivate();
        }
    }
}
