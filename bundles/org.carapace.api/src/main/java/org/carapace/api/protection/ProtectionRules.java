package org.carapace.api.protection;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * What a protected container may do, beyond running what its image contains.
 *
 * <p>Application whitelisting: a file may be executed (or loaded as an ELF object) only when its content digest is
 * one of the image's executables ({@link #executables} when the rules name them, otherwise every regular file of the
 * image's verified root file system) or in {@link #extraExecDigests}. File protection: the image's files and {@link #protectedPaths}
 * may not be opened for writing, truncated, renamed or deleted, except under {@link #writablePaths}. Associated
 * execution: each {@link Association}'s file may be opened only by its programs.
 *
 * @param mode enforce or audit
 * @param extraExecDigests digests ({@code sha256:<hex>}) the policy allows to run in addition to the image's; copied
 * @param protectedPaths absolute container paths (files or directories, recursively) protected in addition to the
 *                       image's files, also inside writable paths; copied
 * @param writablePaths absolute container paths (directories or files) exempt from file protection; copied
 * @param associations associated-execution rules; copied
 * @param executables the image's executables, container path to {@code sha256:<64 lowercase hex>}, when the rules
 *                    name them (the policy's exec whitelist, or the executables of the image's stored manifest): then
 *                    only these contents and {@code extraExecDigests} may run, and the protection hashes nothing at
 *                    container creation; empty to take every regular file of the image's root file system, hashed
 *                    when the container is created; copied
 * @since 1.1 ({@code executables})
 */
public record ProtectionRules(ProtectionMode mode, Set<String> extraExecDigests, List<String> protectedPaths,
                              List<String> writablePaths, List<Association> associations,
                              Optional<Map<String, String>> executables) {

    /** Limits that keep a rule set cheap to apply at container creation. */
    public static final int MAX_PATHS = 256;

    /** At most this many {@link #executables}. */
    public static final int MAX_EXECUTABLES = 1_000_000;

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
        Objects.requireNonNull(executables, "executables");
        if (executables.isPresent()) {
            Map<String, String> copy = Map.copyOf(executables.get());
            if (copy.size() > MAX_EXECUTABLES) {
                throw new IllegalArgumentException("more than " + MAX_EXECUTABLES + " executables");
            }
            copy.forEach((path, digest) -> {
                requireContainerPath(path, "executable");
                ProgramIdentity.requireDigest(digest);
            });
            executables = Optional.of(copy);
        }
    }

    /** Rules that take the image's executables from its root file system ({@link #executables} empty): the 1.0 form. */
    public ProtectionRules(ProtectionMode mode, Set<String> extraExecDigests, List<String> protectedPaths,
                           List<String> writablePaths, List<Association> associations) {
        this(mode, extraExecDigests, protectedPaths, writablePaths, associations, Optional.empty());
    }

    /** These rules with the image's executables named. */
    public ProtectionRules withExecutables(Map<String, String> executables) {
        return new ProtectionRules(mode, extraExecDigests, protectedPaths, writablePaths, associations,
            Optional.of(executables));
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
