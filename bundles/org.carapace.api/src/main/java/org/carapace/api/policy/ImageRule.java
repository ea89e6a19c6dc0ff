package org.carapace.api.policy;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * One allowed image and the rules its containers run under.
 *
 * <p>Paths are absolute and normalised; a path covers itself and everything below it. A protected path is never
 * writable; writes are allowed only below writable paths; a path may not be both protected and writable, and no
 * writable path may lie below a protected one.
 *
 * @param name a human name, for example {@code navigation} or {@code registry.example/nav:4.2}
 * @param rootfsDigest {@code sha256:<hex>} of the image's canonical root file system: the lookup key
 * @param manifestDigest the OCI manifest digest, if the policy pins it too
 * @param mode enforce or audit
 * @param exec what may execute inside the containers
 * @param protectedPaths never writable; copied
 * @param writablePaths the only writable places; copied
 * @param associatedExecution files that only given programs may open; copied
 */
public record ImageRule(String name, String rootfsDigest, Optional<String> manifestDigest, EnforcementMode mode,
                        ExecWhitelist exec, List<String> protectedPaths, List<String> writablePaths,
                        List<AssociatedExecution> associatedExecution) {

    public ImageRule {
        Checks.name("image name", name);
        Checks.digest("rootfsDigest", rootfsDigest);
        Objects.requireNonNull(manifestDigest, "manifestDigest");
        manifestDigest.ifPresent(d -> Checks.digest("manifestDigest", d));
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(exec, "exec");
        protectedPaths = paths("protected path", protectedPaths);
        writablePaths = paths("writable path", writablePaths);
        for (String writable : writablePaths) {
            for (String guarded : protectedPaths) {
                if (Checks.covers(guarded, writable)) {
                    throw new IllegalArgumentException("writable path " + Checks.quote(writable)
                        + " lies within protected path " + Checks.quote(guarded));
                }
            }
        }
        associatedExecution = List.copyOf(associatedExecution);
        Set<String> files = new HashSet<>();
        for (AssociatedExecution rule : associatedExecution) {
            if (!files.add(rule.file())) {
                throw new IllegalArgumentException("associated file " + Checks.quote(rule.file()) + " is listed twice");
            }
        }
    }

    /** An enforced image with no runtime rules beyond its identity (an empty exec whitelist). */
    public static ImageRule of(String name, String rootfsDigest) {
        return new ImageRule(name, rootfsDigest, Optional.empty(), EnforcementMode.ENFORCE, ExecWhitelist.EMPTY,
            List.of(), List.of(), List.of());
    }

    /** Whether a write to this path is allowed: below a writable path and not within a protected one. */
    public boolean writable(String path) {
        for (String guarded : protectedPaths) {
            if (Checks.covers(guarded, path)) {
                return false;
            }
        }
        for (String writable : writablePaths) {
            if (Checks.covers(writable, path)) {
                return true;
            }
        }
        return false;
    }

    /** The associated-execution rule guarding exactly this file, if any. */
    public Optional<AssociatedExecution> associatedRule(String file) {
        for (AssociatedExecution rule : associatedExecution) {
            if (rule.file().equals(file)) {
                return Optional.of(rule);
            }
        }
        return Optional.empty();
    }

    private static List<String> paths(String field, List<String> paths) {
        Objects.requireNonNull(paths, field);
        List<String> copy = new ArrayList<>(paths.size());
        Set<String> seen = new HashSet<>();
        for (String path : paths) {
            Checks.path(field, path);
            if (!seen.add(path)) {
                throw new IllegalArgumentException(field + " " + Checks.quote(path) + " is listed twice");
            }
            copy.add(path);
        }
        return List.copyOf(copy);
    }
}
