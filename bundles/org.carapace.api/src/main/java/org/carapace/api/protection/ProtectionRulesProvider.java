package org.carapace.api.protection;

import java.util.Optional;
import org.carapace.api.enforcement.GateDecision;
import org.carapace.api.enforcement.ContainerState;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * Supplies the protection rules for a container the gate has allowed. When one is registered it replaces the
 * protection bundle's own mapping of the signed policy's image rules (see {@code docs/protection.md}).
 *
 * <p>Called synchronously while the OCI runtime waits at {@code createRuntime}: answer from memory. Thread-safe.
 */
@ConsumerType
public interface ProtectionRulesProvider {

    /**
     * The rules for one container.
     *
     * @param decision the gate's decision (image name, rootfs digest, mode)
     * @param state the container's OCI state
     * @return the rules, or empty when the container is not to be protected (e.g. an exempted platform container)
     */
    Optional<ProtectionRules> rulesFor(GateDecision decision, ContainerState state);
}
