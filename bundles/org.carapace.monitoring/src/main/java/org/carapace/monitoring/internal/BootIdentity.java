package org.carapace.monitoring.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * The epoch of the monotonic timestamps: Linux's boot id ({@code /proc/sys/kernel/random/boot_id}), which changes at
 * every boot just as {@code CLOCK_MONOTONIC} (Java's {@code System.nanoTime} on Linux) restarts. Where the kernel
 * offers none, a random id per runtime start, which is then also the epoch (a conservative choice: the back end
 * never orders monotonic times across two of them).
 */
final class BootIdentity {

    private static final Path BOOT_ID = Path.of("/proc/sys/kernel/random/boot_id");
    private static final Pattern UUID_TEXT = Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");

    private BootIdentity() {
    }

    static String bootId() {
        try {
            String id = Files.readString(BOOT_ID).trim();
            if (UUID_TEXT.matcher(id).matches()) {
                return id;
            }
        } catch (IOException | RuntimeException e) {
            // fall through to a per-start id
        }
        return UUID.randomUUID().toString();
    }
}
