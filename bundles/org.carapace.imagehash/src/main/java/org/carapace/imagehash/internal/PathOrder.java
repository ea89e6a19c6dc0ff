package org.carapace.imagehash.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.carapace.api.image.ImagePaths;

/**
 * Sorts by {@link ImagePaths#ORDER} (UTF-8 byte order) quickly: where neither path holds a surrogate, UTF-16 order
 * is code-point order and {@link String#compareTo} (a vectorised intrinsic) gives the same answer.
 */
final class PathOrder {

    private PathOrder() {
    }

    private record Keyed<T>(String path, boolean simple, T value) {
    }

    static <T> List<T> sorted(List<T> items, Function<T, String> path) {
        List<Keyed<T>> keyed = new ArrayList<>(items.size());
        for (T item : items) {
            String p = path.apply(item);
            keyed.add(new Keyed<>(p, !hasSurrogate(p), item));
        }
        keyed.sort((a, b) -> a.simple && b.simple ? a.path.compareTo(b.path) : ImagePaths.compare(a.path, b.path));
        List<T> result = new ArrayList<>(items.size());
        for (Keyed<T> k : keyed) {
            result.add(k.value);
        }
        return result;
    }

    private static boolean hasSurrogate(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (Character.isSurrogate(s.charAt(i))) {
                return true;
            }
        }
        return false;
    }
}
