package org.carapace.api.enforcement;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Decides whether a container may be created from what is on disk: re-derives the rootfs digest of the container's
 * bundle and matches it against the effective signed policy.
 *
 * <p>Never throws for a refusal: every failure (unreadable bundle, no policy, hashing error) is a
 * {@link Verdict#REFUSE} decision that names the reason. Thread-safe.
 */
@ProviderType
public interface ContainerGate {

    /**
     * Takes the decision for one container creation.
     *
     * @param state the container's OCI state as the runtime passed it to the hook
     * @return the decision; never {@code null}
     */
    GateDecision decide(ContainerState state);
}
