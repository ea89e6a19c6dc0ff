package org.carapace.api.enforcement;

import java.io.IOException;
import java.util.Optional;
import org.carapace.api.image.FileManifest;
import org.osgi.annotation.versioning.ProviderType;

/**
 * The per-file manifests of whitelisted images that the gate keeps on the host ({@code carapace gate manifest add}),
 * for other bundles that need an image's content path by path without hashing its root file system again (the
 * running-container protection derives its exec whitelist from them).
 *
 * <p>A manifest certifies itself: its entries hash to the rootfs digest it is filed under, which is checked on every
 * read from disk. Thread-safe; served from memory once read.
 *
 * @since 1.1
 */
@ProviderType
public interface ImageManifests {

    /**
     * The stored manifest of an image.
     *
     * @param rootfsDigest the image's rootfs digest ({@code sha256:<hex>}) as the policy lists it
     * @return the manifest, or empty when none is stored under that digest
     * @throws IOException when the stored file cannot be read or does not hash to {@code rootfsDigest} (tampered)
     */
    Optional<FileManifest> manifest(String rootfsDigest) throws IOException;
}
