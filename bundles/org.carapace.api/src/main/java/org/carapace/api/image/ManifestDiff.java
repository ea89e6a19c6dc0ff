package org.carapace.api.image;

import java.util.List;

/**
 * The differences between an expected and an actual manifest, in path order.
 *
 * @param xattrNamesDiffer whether the two manifests cover different extended-attribute sets (their digests can
 *                         then never be equal, even where no entry differs)
 * @param differences      every differing path
 */
public record ManifestDiff(boolean xattrNamesDiffer, List<PathDifference> differences) {

    public ManifestDiff {
        differences = List.copyOf(differences);
    }

    /** Whether the manifests describe the same file system under the same attribute set. */
    public boolean isEmpty() {
        return !xattrNamesDiffer && differences.isEmpty();
    }

    /** The first {@code n} differences in path order (what a gate reports). */
    public List<PathDifference> first(int n) {
        return differences.subList(0, Math.min(n, differences.size()));
    }
}
