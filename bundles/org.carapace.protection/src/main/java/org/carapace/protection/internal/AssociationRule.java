package org.carapace.protection.internal;

import java.util.List;
import java.util.Optional;

/**
 * An associated-execution rule resolved for one container: the file (by path, for reports) and the programs that
 * may open it, each an image path and the digest its executable must have.
 */
record AssociationRule(String file, List<Program> programs) {

    record Program(String path, String digest) {
    }

    AssociationRule {
        programs = List.copyOf(programs);
    }

    /** Whether a process whose executable is at {@code exePath} with {@code exeDigest} may open the file. */
    boolean allows(Optional<String> exePath, Optional<String> exeDigest) {
        if (exePath.isEmpty() || exeDigest.isEmpty()) {
            return false;
        }
        for (Program p : programs) {
            if (p.path().equals(exePath.get()) && p.digest().equals(exeDigest.get())) {
                return true;
            }
        }
        return false;
    }
}
