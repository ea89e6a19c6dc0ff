package org.carapace.policy.internal;

import java.nio.file.Path;

/** Resolving configured locations. */
final class Paths {

    private Paths() {
    }

    /**
     * A configured path: absolute as given, or relative to the platform's data directory.
     *
     * @throws IllegalArgumentException when it is empty or contains a NUL
     */
    static Path resolve(String name, String configured, Path dataDir) {
        if (configured == null || configured.isBlank() || configured.indexOf('\0') >= 0) {
            throw new IllegalArgumentException(name + " must be set (an absolute path, or one relative to the data directory)");
        }
        Path path = Path.of(configured.trim());
        return (path.isAbsolute() ? path : dataDir.resolve(path)).normalize();
    }
}
