package org.carapace.api.policy;

import java.util.List;
import java.util.Objects;

/**
 * Which programs may open a file: only a process whose executable matches one of {@code programs} by path
 * <em>and</em> content may open {@code file} (for example a key store only its daemon may read).
 *
 * @param file absolute path of the guarded file inside the container
 * @param programs the programs allowed to open it, at least one; copied
 */
public record AssociatedExecution(String file, List<FileDigest> programs) {

    public AssociatedExecution {
        Checks.path("associated file", file);
        Objects.requireNonNull(programs, "programs");
        programs = List.copyOf(programs);
        if (programs.isEmpty()) {
            throw new IllegalArgumentException("associated file " + Checks.quote(file) + " names no program");
        }
    }

    /** Whether a program, by path and content, may open the file. */
    public boolean allows(String programPath, String programSha256) {
        for (FileDigest program : programs) {
            if (program.path().equals(programPath) && program.sha256().equals(programSha256)) {
                return true;
            }
        }
        return false;
    }
}
