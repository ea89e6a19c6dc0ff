package org.carapace.ota.internal;

/**
 * How large a package and its parts may be (Uptane's endless-data attack: every download is bounded). Every limit is
 * checked while reading, so an oversized archive is refused after reading at most the limit.
 *
 * @param maxArchiveBytes the whole archive file
 * @param maxMetadataBytes the metadata envelope, and the metadata inside it
 * @param maxBundleBytes one jar
 * @param maxBundles bundles in one package
 * @param maxBindings device ids, and hardware ids, in one package
 */
public record PackageLimits(long maxArchiveBytes, int maxMetadataBytes, long maxBundleBytes, int maxBundles, int maxBindings) {

    /** 64 MiB archives, 1 MiB metadata, 32 MiB per jar, 32 bundles, 10000 device or hardware ids. */
    public static final PackageLimits DEFAULTS = new PackageLimits(64L << 20, 1 << 20, 32L << 20, 32, 10_000);

    public PackageLimits {
        if (maxArchiveBytes < 1024 || maxMetadataBytes < 1024 || maxBundleBytes < 1024 || maxBundles < 1 || maxBindings < 1) {
            throw new IllegalArgumentException("OTA limits too small: archive and jars at least 1 KiB, metadata at least 1 KiB, "
                + "at least one bundle and one binding");
        }
        if (maxMetadataBytes > 64 << 20) {
            throw new IllegalArgumentException("maxMetadataBytes above 64 MiB: " + maxMetadataBytes);
        }
    }
}
