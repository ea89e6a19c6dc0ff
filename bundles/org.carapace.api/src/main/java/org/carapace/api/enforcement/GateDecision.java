package org.carapace.api.enforcement;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The gate's decision on one container creation.
 *
 * @param verdict what the runtime is told
 * @param containerId the container the decision is about
 * @param bundle the container's OCI bundle directory
 * @param rootfs the root file system that was hashed, when it was found
 * @param rootfsDigest the rootfs digest computed from disk ({@code sha256:<hex>}), when it was computed
 * @param imageName the image's name when the policy or the container's annotations know it
 * @param mode the policy mode that applied ({@code enforce} or {@code audit}); {@code exempt} for exemptions
 * @param reason one line for a human: why this verdict
 * @param differences when the content is close to a known image but differs: the first differing paths, each
 *                    with how it differs; otherwise empty
 * @param durationMicros how long the decision took
 */
public record GateDecision(Verdict verdict, String containerId, Path bundle, Optional<Path> rootfs,
                           Optional<String> rootfsDigest, Optional<String> imageName, String mode, String reason,
                           List<String> differences, long durationMicros) {

    public GateDecision {
        Objects.requireNonNull(verdict, "verdict");
        Objects.requireNonNull(containerId, "containerId");
        Objects.requireNonNull(bundle, "bundle");
        Objects.requireNonNull(rootfs, "rootfs");
        Objects.requireNonNull(rootfsDigest, "rootfsDigest");
        Objects.requireNonNull(imageName, "imageName");
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(reason, "reason");
        differences = List.copyOf(differences);
    }

    /** Whether the runtime may go on creating the container. */
    public boolean allowsCreation() {
        return verdict != Verdict.REFUSE;
    }
}
