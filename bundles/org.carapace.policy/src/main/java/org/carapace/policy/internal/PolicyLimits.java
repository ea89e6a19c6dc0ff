package org.carapace.policy.internal;

/**
 * Bounds on one policy document, enforced while parsing so that a hostile document costs bounded memory and time.
 *
 * @param maxDocumentBytes largest payload
 * @param maxNestingDepth deepest JSON nesting, at least 8 (the schema itself nests 7 deep: associated-execution programs)
 * @param maxImages images per document
 * @param maxFilesPerImage exec whitelist entries (files plus extra digests) per image
 * @param maxPathsPerImage protected plus writable paths plus associated-execution rules per image
 * @param maxRevocations revocations per document
 * @param maxExemptions exemptions per document
 * @param maxDeviceIds device ids per document
 */
public record PolicyLimits(long maxDocumentBytes, int maxNestingDepth, int maxImages, int maxFilesPerImage,
                           int maxPathsPerImage, int maxRevocations, int maxExemptions, int maxDeviceIds) {

    /** The defaults the configuration starts from. */
    public static final PolicyLimits DEFAULTS = new PolicyLimits(32L << 20, 16, 100_000, 100_000, 4096, 100_000, 256, 100_000);

    public PolicyLimits {
        if (maxDocumentBytes < 1024 || maxDocumentBytes > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("maxDocumentBytes must be between 1024 and 2^31-17, was " + maxDocumentBytes);
        }
        if (maxNestingDepth < 8 || maxNestingDepth > 1000) {
            throw new IllegalArgumentException("maxNestingDepth must be between 8 and 1000, was " + maxNestingDepth);
        }
        positive("maxImages", maxImages);
        positive("maxFilesPerImage", maxFilesPerImage);
        positive("maxPathsPerImage", maxPathsPerImage);
        positive("maxRevocations", maxRevocations);
        positive("maxExemptions", maxExemptions);
        positive("maxDeviceIds", maxDeviceIds);
    }

    private static void positive(String name, int value) {
        if (value < 1) {
            throw new IllegalArgumentException(name + " must be at least 1, was " + value);
        }
    }
}
