package org.carapace.api.policy;

import java.util.Objects;

/**
 * The outcome of an accepted installation.
 *
 * @param kind the document's kind
 * @param stream its stream
 * @param previousVersion the version in force before, 0 if none
 * @param version the version now in force
 * @param changed false when the identical document was already installed (nothing happened)
 * @param generation the generation of the snapshot now in force
 * @param imageCount the number of images of the effective policy now
 */
public record PolicyChange(PolicyKind kind, String stream, long previousVersion, long version, boolean changed,
                           long generation, int imageCount) {

    public PolicyChange {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(stream, "stream");
    }
}
