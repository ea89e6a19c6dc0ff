package org.carapace.imagehash.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.function.Function;
import org.carapace.api.image.DigestAlgorithm;
import org.carapace.api.image.FileEntry;
import org.carapace.api.image.ImagePaths;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The parallel steps after a walk give exactly what the sequential ones give. */
class ParallelPartsTest {

    private static ForkJoinPool pool;

    @BeforeAll
    static void startPool() {
        pool = new ForkJoinPool(3);
    }

    @AfterAll
    static void stopPool() {
        pool.shutdownNow();
    }

    @Test
    void partsCoverEveryItemOnceInOrder() {
        int size = 100_003;
        int parts = ParallelParts.parts(pool, size);
        assertEquals(12, parts, "3 threads, 4 parts each");
        AtomicIntegerArray seen = new AtomicIntegerArray(size);
        int[] partOf = new int[size];
        ParallelParts.run(pool, size, parts, (part, from, to) -> {
            for (int i = from; i < to; i++) {
                seen.incrementAndGet(i);
                partOf[i] = part;
            }
        });
        for (int i = 0; i < size; i++) {
            assertEquals(1, seen.get(i), "item " + i);
            assertTrue(i == 0 || partOf[i] >= partOf[i - 1], "parts are contiguous and in order at " + i);
        }
        assertEquals(size, ParallelParts.start(parts, parts, size));
    }

    @Test
    void smallInputsAndNoPoolStayOnTheCallingThread() {
        assertEquals(1, ParallelParts.parts(pool, ParallelParts.MIN_ITEMS - 1));
        assertEquals(1, ParallelParts.parts(null, 1_000_000));
        assertEquals(1, ParallelParts.parts(new ForkJoinPool(1), 1_000_000));
        Thread caller = Thread.currentThread();
        Thread[] ran = new Thread[1];
        ParallelParts.run(pool, 10, 1, (part, from, to) -> ran[0] = Thread.currentThread());
        assertSame(caller, ran[0]);
    }

    @Test
    void aPartsExceptionReachesTheCaller() {
        IllegalStateException thrown = assertThrows(IllegalStateException.class,
            () -> ParallelParts.run(pool, 10_000, 8, (part, from, to) -> {
                if (part == 5) {
                    throw new IllegalStateException("part 5");
                }
            }));
        assertEquals("part 5", thrown.getMessage());
    }

    /** Sizes around the threshold and part counts that are not powers of two (the merge's odd last pair). */
    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2047, 2048, 2049, 5000, 20_011, 65_536})
    void parallelSortEqualsTheSequentialSortAndTheSpecifiedOrder(int size) {
        List<String> paths = randomPaths(size, new Random(size));
        List<String> expected = new ArrayList<>(paths);
        expected.sort(ImagePaths.ORDER);
        assertEquals(expected, PathOrder.sorted(paths, Function.identity()));
        assertEquals(expected, PathOrder.sorted(paths, Function.identity(), pool));
        for (int threads : new int[] {2, 5, 7}) {
            ForkJoinPool other = new ForkJoinPool(threads);
            try {
                assertEquals(expected, PathOrder.sorted(paths, Function.identity(), other), threads + " threads");
            } finally {
                other.shutdownNow();
            }
        }
    }

    @Test
    void sortOrdersPrefixesAndSurrogatesByUtf8Bytes() {
        List<String> paths = new ArrayList<>();
        for (int i = 0; i < 3000; i++) {
            paths.add("/d" + i);
        }
        paths.addAll(List.of("/a", "/a-b", "/a/b", "/a.b", "/\uFFFD", "/\uD83D\uDE00", "/\uE000", "/a\uD800\uDC00b"));
        Collections.shuffle(paths, new Random(7));
        List<String> sorted = PathOrder.sorted(paths, Function.identity(), pool);
        for (int i = 1; i < sorted.size(); i++) {
            byte[] a = sorted.get(i - 1).getBytes(StandardCharsets.UTF_8);
            byte[] b = sorted.get(i).getBytes(StandardCharsets.UTF_8);
            assertTrue(java.util.Arrays.compareUnsigned(a, b) < 0, sorted.get(i - 1) + " before " + sorted.get(i));
        }
        // U+E000 sorts before the emoji in UTF-8 (EE.. < F0..) though its UTF-16 unit is larger than a surrogate's.
        assertTrue(sorted.indexOf("/\uE000") < sorted.indexOf("/\uD83D\uDE00"));
        assertTrue(sorted.indexOf("/a-b") < sorted.indexOf("/a/b"));
    }

    /** One batch of parts, and several batches with a short last one (2 threads: 8 parts of 2048 lines a batch). */
    @ParameterizedTest
    @ValueSource(ints = {9000, 40_000})
    void digestOnThePoolEqualsTheSequentialDigest(int size) {
        List<String> paths = new ArrayList<>(randomPaths(size, new Random(42)));
        paths.sort(ImagePaths.ORDER);
        List<FileEntry> entries = new ArrayList<>();
        for (String path : paths) {
            entries.add(FileEntry.file(path, 0644, 0, 0, path.length(),
                DigestAlgorithm.SHA256.digest(path.getBytes(StandardCharsets.UTF_8)), Optional.empty(), List.of()));
        }
        Set<String> xattrs = Set.of("security.capability");
        var sequential = CanonicalEncoding.digest(xattrs, entries);
        ForkJoinPool two = new ForkJoinPool(2);
        try {
            assertEquals(sequential, CanonicalEncoding.digest(xattrs, entries, pool));
            assertEquals(sequential, CanonicalEncoding.digest(xattrs, entries, two));
        } finally {
            two.shutdownNow();
        }
        // and both equal the digest of the documented listing
        assertArrayEquals(DigestAlgorithm.SHA256.digest(CanonicalEncoding.listing(xattrs, entries)
            .getBytes(StandardCharsets.US_ASCII)).value(), sequential.value());
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
