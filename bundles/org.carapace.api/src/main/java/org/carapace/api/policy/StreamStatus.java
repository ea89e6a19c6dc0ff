package org.carapace.api.policy;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * The state of one policy stream in the store.
 *
 * @param stream the stream name
 * @param kind base or additional
 * @param state whether its document is in force
 * @param version the version in force (0 when none is)
 * @param highestAccepted the rollback counter: the highest version ever accepted
 * @param expires the expiry of the document in force, if any
 * @param payloadSha256 SHA-256 (hex) of the payload in force, empty when none
 * @param imageCount the images of the document in force
 * @param problem why the stream is not in force, or what went wrong loading it
 */
public record StreamStatus(String stream, PolicyKind kind, State state, long version, long highestAccepted,
                           Optional<Instant> expires, String payloadSha256, int imageCount, Optional<String> problem) {

    /** Whether a stream's document is in force. */
    public enum State {
        /** Its document is in force. */
        ACTIVE,
        /**
         * An additional policy that verified but is not in force because no base policy is: additions are only in force
         * together with the base whose revocations apply to them (fail closed).
         */
        SUSPENDED,
        /** Its document has expired: not in force. */
        EXPIRED,
        /** No copy of its accepted document could be verified: not in force (fail closed). */
        FAILED
    }

    public StreamStatus {
        Objects.requireNonNull(stream, "stream");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(expires, "expires");
        Objects.requireNonNull(payloadSha256, "payloadSha256");
        Objects.requireNonNull(problem, "problem");
    }
}
