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
 * @param policyDigest the rootfs digest under which the signed policy lists the image the decision is about (its
 *                     key for {@code PolicySnapshot.lookup}): the matched image, or in audit the allowed image the
 *                     content is closest to; differs from {@code rootfsDigest} when the gate left mount points out of
 *                     the hash or the content differs; empty when no image of the policy is involved
 * @since 1.1
 */
public record GateDecision(Verdict verdict, String containerId, Path bundle, Optional<Path> rootfs,
                           Optional<String> rootfsDigest, Optional<String> imageName, String mode, String reason,
                           List<String> differences, long durationMicros, Optional<String> policyDigest) {

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
        Objects.requireNonNull(policyDigest, "policyDigest");
    }

    /** A decision that names no image of the policy ({@link #policyDigest} empty): the 1.0 form. */
    public GateDecision(Verdict verdict, String containerId, Path bundle, Optional<Path> rootfs,
                        Optional<String> rootfsDigest, Optional<String> imageName, String mode, String reason,
                        List<String> differences, long durationMicros) {
        this(verdict, containerId, bundle, rootfs, rootfsDigest, imageName, mode, reason, differences, durationMicros,
            Optional.empty());
    }

    /** Whether the runtime may go on creating the container. */
    public boolean allowsCreation() {
        return verdict != Verdict.REFUSE;
    }
}
