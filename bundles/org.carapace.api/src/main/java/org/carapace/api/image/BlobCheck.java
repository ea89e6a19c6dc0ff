package org.carapace.api.image;

import java.util.Optional;
import java.util.OptionalLong;

/**
 * The check of one blob against the descriptor that named it (image-spec descriptor.md: digest and size), or for
 * a layer also against the config's {@code rootfs.diff_ids} entry (the digest of the uncompressed tar).
 *
 * @param kind         what the blob is
 * @param referrer     where the descriptor was found, e.g. {@code index.json manifests[0]} or
 *                     {@code manifest sha256:... layers[2]}; for docker-archive the archive member
 * @param blob         where the blob was looked for (path inside the layout or archive)
 * @param expected     the digest the descriptor names
 * @param expectedSize the size the descriptor names; -1 where the format declares none (docker-archive)
 * @param status       the outcome
 * @param actualSize   the size found, when the blob exists
 * @param actual       the digest found, when it was computed
 */
public record BlobCheck(Kind kind, String referrer, String blob, Digest expected, long expectedSize, Status status,
                        OptionalLong actualSize, Optional<Digest> actual) {

    /** What a blob is. */
    public enum Kind { INDEX, MANIFEST, CONFIG, LAYER, LAYER_DIFF_ID }

    /** The outcome of one check. */
    public enum Status {
        OK,
        /** No blob at the place the descriptor names. */
        MISSING,
        /** The blob's size differs from the descriptor's. */
        SIZE_MISMATCH,
        /** The blob's digest differs from the descriptor's. */
        DIGEST_MISMATCH
    }

    public BlobCheck {
        if (kind == null || referrer == null || blob == null || expected == null || status == null) {
            throw new IllegalArgumentException("kind, referrer, blob, expected and status are required");
        }
        actualSize = actualSize == null ? OptionalLong.empty() : actualSize;
        actual = actual == null ? Optional.empty() : actual;
    }

    public boolean ok() {
        return status == Status.OK;
    }

    /** One line for people, e.g. {@code LAYER sha256:ab... named by manifest sha256:cd... layers[1]: DIGEST_MISMATCH}. */
    public String describe() {
        StringBuilder text = new StringBuilder().append(kind).append(' ').append(expected).append(" (").append(blob)
            .append(") named by ").append(referrer).append(": ").append(status);
        if (status == Status.SIZE_MISMATCH) {
            text.append(" (declared ").append(expectedSize).append(", found ").append(actualSize.orElse(-1)).append(')');
        } else if (status == Status.DIGEST_MISMATCH) {
            text.append(" (found ").append(actual.map(Digest::toString).orElse("?")).append(')');
        }
        return text.toString();
    }
}
