package org.carapace.api.policy;

/**
 * A compact reference to an image's per-file manifest (as produced by image hashing), for when the whitelist
 * itself is not carried in the policy.
 *
 * @param digest {@code sha256:<hex>} of the manifest's canonical JSON
 * @param files how many files the manifest lists, at least 0
 */
public record ManifestReference(String digest, long files) {

    public ManifestReference {
        Checks.digest("manifest digest", digest);
        if (files < 0) {
            throw new IllegalArgumentException("manifest file count must not be negative, was " + files);
        }
    }
}
