package org.carapace.protection.internal;

import java.nio.file.Path;
import java.util.Map;
import org.carapace.api.enforcement.GateDecision;
import org.carapace.api.enforcement.GuardException;

/**
 * Where a protected container's trusted content comes from: the image's per-file manifest, path by path.
 *
 * <p>Every digest in the returned map is trusted to execute in the container (together with the policy's
 * {@code extraExecDigests}); the paths let the engine pre-compute verdicts for the image's files before the
 * container's first process runs and name image paths in events and associated-execution rules.
 *
 * <p>The interim implementation, {@link RootfsWalkWhitelist}, hashes the rootfs at {@code createRuntime}: sound
 * because the gate has just verified that the rootfs matches the allowed image. Once the image-hashing bundle
 * publishes per-file manifests, an implementation that looks the manifest up by {@link GateDecision#rootfsDigest()}
 * replaces it without hashing anything here (see {@code docs/protection.md}, "Plugging in the manifest").
 */
interface ExecWhitelist {

    /**
     * The image's regular files.
     *
     * @param decision the gate's decision for the container
     * @param rootfs the container's root file system as the host sees it
     * @return image path ({@code /bin/sh}, normalised, absolute) to {@code sha256:<hex>}; unmodifiable
     * @throws GuardException when the content cannot be established (the gate then refuses the container)
     */
    Map<String, String> imageFiles(GateDecision decision, Path rootfs) throws GuardException;
}
