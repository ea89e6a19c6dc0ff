package org.carapace.api.protection;

import java.util.List;

/**
 * Associated execution: a file inside the container that only the named programs may open.
 *
 * @param file absolute path of the protected file inside the container
 * @param programs the programs that may open it; at least one; copied
 */
public record Association(String file, List<ProgramIdentity> programs) {

    public Association {
        ProtectionRules.requireContainerPath(file, "associated file");
        programs = List.copyOf(programs);
        if (programs.isEmpty()) {
            throw new IllegalArgumentException("associated file " + file + " names no program");
        }
    }
}
