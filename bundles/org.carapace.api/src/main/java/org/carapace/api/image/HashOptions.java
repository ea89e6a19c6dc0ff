package org.carapace.api.image;

import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * How one image is hashed.
 *
 * @param exclusions paths left out of the digest together with everything below them (for a runtime bundle: the
 *                   mount destinations); normalised with {@link ImagePaths#normalize}. For directory sources each
 *                   exclusion is also resolved through the image's own symbolic links, confined to the root, the
 *                   way runc resolves mount destinations, and the resolved path is excluded as well
 * @param xattrNames the extended attributes the digest covers (exact names); part of the digest's header, so
 *                   digests computed with different sets never match. Default {@link #DEFAULT_XATTRS}
 * @param strict     ignore the file digest cache and read every file (the cache is refreshed with what was read)
 * @param platform   which image of a multi-platform index to take; empty means this JVM's platform
 */
public record HashOptions(List<String> exclusions, Set<String> xattrNames, boolean strict, Optional<Platform> platform) {

    /** The extended attributes covered by default: only file capabilities, which grant privileges on exec. */
    public static final Set<String> DEFAULT_XATTRS = Set.of("security.capability");

    public HashOptions {
        TreeSet<String> normalised = new TreeSet<>(ImagePaths.ORDER);
        for (String exclusion : exclusions) {
            normalised.add(ImagePaths.normalize(exclusion));
        }
        exclusions = List.copyOf(normalised);
        for (String name : xattrNames) {
            new Xattr(name, new byte[0]); // validates the name
        }
        TreeSet<String> names = new TreeSet<>(ImagePaths.ORDER);
        names.addAll(xattrNames);
        xattrNames = java.util.Collections.unmodifiableSortedSet(names);
        platform = platform == null ? Optional.empty() : platform;
    }

    /** No exclusions, the default attributes, the cache allowed, this JVM's platform. */
    public static HashOptions defaults() {
        return new HashOptions(List.of(), DEFAULT_XATTRS, false, Optional.empty());
    }

    public HashOptions withExclusions(List<String> paths) {
        return new HashOptions(paths, xattrNames, strict, platform);
    }

    public HashOptions withXattrNames(Set<String> names) {
        return new HashOptions(exclusions, names, strict, platform);
    }

    public HashOptions withStrict(boolean value) {
        return new HashOptions(exclusions, xattrNames, value, platform);
    }

    public HashOptions withPlatform(Platform value) {
        return new HashOptions(exclusions, xattrNames, strict, Optional.of(value));
    }
}
