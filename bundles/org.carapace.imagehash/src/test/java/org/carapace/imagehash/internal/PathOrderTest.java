package org.carapace.imagehash.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.function.Function;
import org.carapace.api.image.ImagePaths;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The fast sort of the walk's findings gives exactly the canonical order (UTF-8 bytes) of ImagePaths. */
class PathOrderTest {

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2, 5000, 20_011})
    void sortEqualsTheSpecifiedOrder(int size) {
        List<String> paths = randomPaths(size, new Random(size));
        List<String> expected = new ArrayList<>(paths);
        expected.sort(ImagePaths.ORDER);
        assertEquals(expected, PathOrder.sorted(paths, Function.identity()));
    }

    @Test
    void sortOrdersPrefixesAndSurrogatesByUtf8Bytes() {
        List<String> paths = new ArrayList<>();
        for (int i = 0; i < 3000; i++) {
            paths.add("/d" + i);
        }
        paths.addAll(List.of("/a", "/a-b", "/a/b", "/a.b", "/\uFFFD", "/\uD83D\uDE00", "/\uE000", "/a\uD800\uDC00b"));
        Collections.shuffle(paths, new Random(7));
        List<String> sorted = PathOrder.sorted(paths, Function.identity());
        for (int i = 1; i < sorted.size(); i++) {
            byte[] a = sorted.get(i - 1).getBytes(StandardCharsets.UTF_8);
            byte[] b = sorted.get(i).getBytes(StandardCharsets.UTF_8);
            assertTrue(java.util.Arrays.compareUnsigned(a, b) < 0, sorted.get(i - 1) + " before " + sorted.get(i));
        }
        // U+E000 sorts before the emoji in UTF-8 (EE.. < F0..) though its UTF-16 unit is larger than a surrogate's.
        assertTrue(sorted.indexOf("/\uE000") < sorted.indexOf("/\uD83D\uDE00"));
        assertTrue(sorted.indexOf("/a-b") < sorted.indexOf("/a/b"));
    }

    /** Distinct canonical paths: nested names, prefixes, punctuation below '/', and non-BMP characters. */
    private static List<String> randomPaths(int size, Random random) {
        String[] pieces = {"a", "a-b", "a.b", "b", "usr", "lib", "x86_64", "\u00e9", "\uD83D\uDE00", "\uE000", "z", "0"};
        Set<String> unique = new java.util.LinkedHashSet<>();
        while (unique.size() < size) {
            StringBuilder path = new StringBuilder();
            int depth = 1 + random.nextInt(4);
            for (int d = 0; d < depth; d++) {
                path.append('/').append(pieces[random.nextInt(pieces.length)]);
                if (random.nextBoolean()) {
                    path.append(random.nextInt(50));
                }
            }
            unique.add(path.toString());
        }
        return new ArrayList<>(unique);
    }
}
