package org.carapace.imagehash.internal;

import java.util.List;
import java.util.Optional;
import org.carapace.api.image.Digest;

/**
 * One image of a layered source, resolved down to its layers; its index, manifest and config blobs are verified.
 *
 * @param manifestDigest the OCI manifest's digest (docker-archive: the config digest, the image id)
 * @param configDigest   the config's digest
 * @param layers         the layers in application order
 */
record ResolvedImage(Optional<Digest> manifestDigest, Optional<Digest> configDigest, List<Layer> layers) {

    /**
     * One layer to read.
     *
     * @param referrer   where it was named, e.g. {@code manifest sha256:... layers[1]}
     * @param path       its file inside the layout or archive
     * @param digest     the digest of the blob as stored, when the format names one
     * @param size       the size of the blob as stored, or -1 when the format names none
     * @param diffId     the digest of the uncompressed tar from the config's {@code rootfs.diff_ids}, if listed
     */
    record Layer(String referrer, String path, Optional<Digest> digest, long size, Optional<Digest> diffId) {
    }
}
