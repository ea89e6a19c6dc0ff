package org.carapace.api.policy;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What the policy store reports about itself.
 *
 * @param state overall state
 * @param trustRootVersion the version of the trust root in force, 0 when the device has none
 * @param directory where the store keeps its documents and counters
 * @param snapshot the effective policy in force
 * @param streams every stream the store knows, base first
 * @param lastRefusal the most recent refusal, if any since start
 * @param problems what needs attention (load failures, missing trust root), empty when all is well
 */
public record PolicyStatus(State state, long trustRootVersion, Path directory, PolicySnapshot snapshot,
                           List<StreamStatus> streams, Optional<Refusal> lastRefusal, List<String> problems) {

    /** The store's overall state. */
    public enum State {
        /** The device has no trust root: nothing can be installed or verified; nothing is allowed. */
        NO_TRUST_ROOT,
        /** No policy is in force: nothing is allowed (fail closed). */
        EMPTY,
        /** At least one document is in force. */
        ACTIVE
    }

    public PolicyStatus {
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(directory, "directory");
        Objects.requireNonNull(snapshot, "snapshot");
        streams = List.copyOf(streams);
        Objects.requireNonNull(lastRefusal, "lastRefusal");
        problems = List.copyOf(problems);
    }
}
