package org.carapace.imagehash.internal;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ForkJoinPool;
import java.util.function.Function;
import org.carapace.api.image.ImagePaths;

/**
 * Sorts by {@link ImagePaths#ORDER} (UTF-8 byte order) quickly: where neither path holds a surrogate, UTF-16 order
 * is code-point order and {@link String#compareTo} (a vectorised intrinsic) gives the same answer. Given a pool, the
 * parts are sorted in parallel and merged.
 */
final class PathOrder {

    private PathOrder() {
    }

    private record Keyed<T>(String path, boolean simple, T value) {
    }

    @SuppressWarnings("rawtypes")
    private static final Comparator<Keyed> ORDER =
        (a, b) -> a.simple && b.simple ? a.path.compareTo(b.path) : ImagePaths.compare(a.path, b.path);

    static <T> List<T> sorted(List<T> items, Function<T, String> path) {
        return sorted(items, path, null);
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    static <T> List<T> sorted(List<T> items, Function<T, String> path, ForkJoinPool pool) {
        int size = items.size();
        Keyed[] keyed = new Keyed[size];
        for (int i = 0; i < size; i++) {
            T item = items.get(i);
            String p = path.apply(item);
            keyed[i] = new Keyed<>(p, !hasSurrogate(p), item);
        }
        int parts = ParallelParts.parts(pool, size);
        ParallelParts.run(pool, size, parts, (part, from, to) -> Arrays.sort(keyed, from, to, ORDER));
        Keyed[] merged = parts == 1 ? keyed : mergeParts(pool, keyed, parts);
        List<T> result = new ArrayList<>(size);
        for (Keyed k : merged) {
            result.add((T) k.value);
        }
        return result;
    }

    /** Merges the sorted parts pairwise, level by level (the merges of one level in parallel). */
    @SuppressWarnings("rawtypes")
    private static Keyed[] mergeParts(ForkJoinPool pool, Keyed[] sortedParts, int parts) {
        int size = sortedParts.length;
        Keyed[] from = sortedParts;
        Keyed[] to = new Keyed[size];
        for (int width = 1; width < parts; width *= 2) {
            int w = width;
            Keyed[] source = from;
            Keyed[] target = to;
            int pairs = (parts + 2 * width - 1) / (2 * width);
            ParallelParts.run(pool, pairs, pairs, (pair, ignoredFrom, ignoredTo) -> {
                int lo = ParallelParts.start(Math.min(parts, pair * 2 * w), parts, size);
                int mid = ParallelParts.start(Math.min(parts, pair * 2 * w + w), parts, size);
                int hi = ParallelParts.start(Math.min(parts, pair * 2 * w + 2 * w), parts, size);
                merge(source, lo, mid, hi, target);
            });
            from = target;
            to = source;
        }
        return from;
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static void merge(Keyed[] source, int lo, int mid, int hi, Keyed[] target) {
        int i = lo;
        int j = mid;
        for (int k = lo; k < hi; k++) {
            if (j >= hi || i < mid && ORDER.compare(source[i], source[j]) <= 0) {
                target[k] = source[i++];
            } else {
                target[k] = source[j++];
            }
        }
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
