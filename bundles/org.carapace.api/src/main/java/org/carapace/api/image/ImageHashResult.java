package org.carapace.api.image;

import java.util.Optional;

/**
 * The result of hashing one image.
 *
 * @param source         the source's specification
 * @param rootfsDigest   the canonical rootfs digest (equal to {@code manifest.rootfsDigest()})
 * @param manifestDigest the digest of the OCI image manifest, for sources that have one (oci, oci-archive); for
 *                       docker-archive the digest of the config (the image id), as docker does
 * @param configDigest   the digest of the image config, for layered sources
 * @param manifest       the per-file manifest
 * @param statistics     what the computation did
 */
public record ImageHashResult(String source, Digest rootfsDigest, Optional<Digest> manifestDigest,
                              Optional<Digest> configDigest, FileManifest manifest, HashStatistics statistics) {

    public ImageHashResult {
        if (source == null || rootfsDigest == null || manifest == null || statistics == null) {
            throw new IllegalArgumentException("source, rootfsDigest, manifest and statistics are required");
        }
        if (!rootfsDigest.equals(manifest.rootfsDigest())) {
            throw new IllegalArgumentException("rootfsDigest differs from the manifest's");
        }
        manifestDigest = manifestDigest == null ? Optional.empty() : manifestDigest;
        configDigest = configDigest == null ? Optional.empty() : configDigest;
    }

    /** Regular files in the image. */
    public long fileCount() {
        return manifest.fileCount();
    }

    /** Content bytes of the image's regular files (each inode once). */
    public long byteCount() {
        return manifest.byteCount();
    }
}
