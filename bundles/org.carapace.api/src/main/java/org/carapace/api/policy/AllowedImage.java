package org.carapace.api.policy;

import java.util.Objects;

/**
 * An image of the effective policy, with the document that allows it.
 *
 * @param rule the image and its runtime rules
 * @param stream the stream whose document allows it ({@code base} or an additional stream)
 * @param streamVersion that document's version
 */
public record AllowedImage(ImageRule rule, String stream, long streamVersion) {

    public AllowedImage {
        Objects.requireNonNull(rule, "rule");
        Objects.requireNonNull(stream, "stream");
    }
}
