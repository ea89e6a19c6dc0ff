package org.carapace.api.policy;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * A document the store refused, at installation or when loading at start.
 *
 * @param at when
 * @param stream the stream, when it was known
 * @param reason the {@link org.carapace.api.trust.TrustException.Reason} name, or {@code STORAGE} when the
 *               document could not be written
 * @param message one line naming what was wrong
 */
public record Refusal(Instant at, Optional<String> stream, String reason, String message) {

    public Refusal {
        Objects.requireNonNull(at, "at");
        Objects.requireNonNull(stream, "stream");
        Objects.requireNonNull(reason, "reason");
        Objects.requireNonNull(message, "message");
    }
}
