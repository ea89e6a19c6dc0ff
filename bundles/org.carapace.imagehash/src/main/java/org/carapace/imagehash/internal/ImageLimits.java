package org.carapace.imagehash.internal;

import org.carapace.api.image.ImageLimitException;

/**
 * The limits that keep hostile images from exhausting memory, disk or time. Every one is configurable
 * ({@link ImageHashConfiguration}); the names are the configuration keys and appear in {@link ImageLimitException}.
 *
 * @param maxImageBytes     uncompressed bytes of all layers of one image (decompression bombs), or of all files of
 *                          a directory
 * @param maxEntryBytes     declared size of one tar entry or one file
 * @param maxEntries        entries of one image (all layers together) or of one directory tree
 * @param maxLayers         layers of one image
 * @param maxJsonBytes      size of one JSON document (index, manifest, config, docker manifest.json, config.json)
 * @param maxJsonDepth      nesting depth of one JSON document
 * @param maxIndexDepth     image indexes nested in image indexes
 * @param maxPathBytes      UTF-8 bytes of one path or link target
 * @param maxPathDepth      components of one path (directory depth)
 * @param maxPaxHeaderBytes size of one PAX extended header or GNU long-name record
 * @param maxXattrBytes     size of one extended attribute value
 * @param maxManifestBytes  size of one per-file manifest JSON document
 */
public record ImageLimits(long maxImageBytes, long maxEntryBytes, int maxEntries, int maxLayers, int maxJsonBytes,
                          int maxJsonDepth, int maxIndexDepth, int maxPathBytes, int maxPathDepth,
                          int maxPaxHeaderBytes, int maxXattrBytes, long maxManifestBytes) {

    /** Generous for real images (a Debian minbase is about 0.2 GB in 10,000 entries), small enough to fail fast. */
    public static final ImageLimits DEFAULTS = new ImageLimits(64L << 30, 16L << 30, 2_000_000, 256, 4 << 20, 64, 8,
        4096, 256, 1 << 20, 64 << 10, 256L << 20);

    public ImageLimits {
        positive("maxImageBytes", maxImageBytes);
        positive("maxEntryBytes", maxEntryBytes);
        positive("maxEntries", maxEntries);
        positive("maxLayers", maxLayers);
        positive("maxJsonBytes", maxJsonBytes);
        positive("maxJsonDepth", maxJsonDepth);
        positive("maxIndexDepth", maxIndexDepth);
        positive("maxPathBytes", maxPathBytes);
        positive("maxPathDepth", maxPathDepth);
        positive("maxPaxHeaderBytes", maxPaxHeaderBytes);
        positive("maxXattrBytes", maxXattrBytes);
        positive("maxManifestBytes", maxManifestBytes);
        if (maxPaxHeaderBytes < 512) {
            throw new IllegalArgumentException("maxPaxHeaderBytes must be at least 512");
        }
    }

    private static void positive(String name, long value) {
        if (value <= 0) {
            throw new IllegalArgumentException(name + " must be positive, was " + value);
        }
    }

    /** Throws when {@code actual} exceeds {@code maximum}. */
    static void check(String limit, long maximum, long actual, String location) throws ImageLimitException {
        if (actual > maximum) {
            throw new ImageLimitException(limit, maximum, actual, location);
        }
    }
}
