package org.carapace.api.protection;

import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * What a protected container may do, beyond running what its image contains.
 *
 * <p>Application whitelisting: a file may be executed (or loaded as an ELF object) only when its content digest is
 * one of the image's or in {@link #extraExecDigests}. File protection: the image's files and {@link #protectedPaths}
 * may not be opened for writing, truncated, renamed or deleted, except under {@link #writablePaths}. Associated
 * execution: each {@link Association}'s file may be opened only by its programs.
 *
 * @param mode enforce or audit
 * @param extraExecDigests digests ({@code sha256:<hex>}) the policy allows to run in addition to the image's; copied
 * @param protectedPaths absolute container paths (files or directories, recursively) protected in addition to the
 *                       image's files, also inside writable paths; copied
 * @param writablePaths absolute container paths (directories or files) exempt from file protection; copied
 * @param associations associated-execution rules; copied
 */
public record ProtectionRules(ProtectionMode mode, Set<String> extraExecDigests, List<String> protectedPaths,
                              List<String> writablePaths, List<Association> associations) {

    /** Limits that keep a rule set cheap to apply at container creation. */
    public static final int MAX_PATHS = 256;

    public ProtectionRules {
        Objects.requireNonNull(mode, "mode");
        extraExecDigests = Set.copyOf(extraExecDigests);
        extraExecDigests.forEach(ProgramIdentity::requireDigest);
        protectedPaths = List.copyOf(protectedPaths);
        protectedPaths.forEach(p -> requireContainerPath(p, "protected path"));
        writablePaths = List.copyOf(writablePaths);
        writablePaths.forEach(p -> requireContainerPath(p, "writable path"));
        associations = List.copyOf(associations);
        if (protectedPaths.size() + writablePaths.size() + associations.size() > MAX_PATHS) {
            throw new IllegalArgumentException("more than " + MAX_PATHS + " protected, writable and associated paths");
        }
        for (String w : writablePaths) {
            if ("/".equals(w)) {
                throw new IllegalArgumentException("the container root cannot be a writable path");
            }
        }
    }

    /** Checks that a path is absolute, normalised, without {@code .}/{@code ..} parts or NUL. */
    static String requireContainerPath(String path, String what) {
        if (path == null || !path.startsWith("/") || path.indexOf('\0') >= 0 || path.contains("//")
            || (path.length() > 1 && path.endsWith("/")) || path.length() > 4096) {
            throw new IllegalArgumentException(what + " must be an absolute, normalised path, was " + path);
        }
        for (String part : path.substring(1).split("/")) {
            if (".".equals(part) || "..".equals(part)) {
                throw new IllegalArgumentException(what + " must not contain . or .. parts, was " + path);
            }
        }
        return path;
    }
}
