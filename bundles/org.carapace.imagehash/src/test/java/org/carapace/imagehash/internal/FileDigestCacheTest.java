package org.carapace.imagehash.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.carapace.api.image.DigestAlgorithm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The IMA-style cache: keyed by inode, valid only for the same size, mtime and ctime; bounded; thread-safe. */
class FileDigestCacheTest {

    private static LinuxFs.Stat stat(long ino, long size, long ctimeSec) {
        LinuxFs.Stat stat = new LinuxFs.Stat();
        stat.devMajor = 8;
        stat.devMinor = 1;
        stat.ino = ino;
        stat.size = size;
        stat.mtimeSec = 1000;
        stat.mtimeNsec = 5;
        stat.ctimeSec = ctimeSec;
        stat.ctimeNsec = 7;
        return stat;
    }

    private static FileDigestCache.Cached cached(String content) {
        return new FileDigestCache.Cached(DigestAlgorithm.SHA256.digest(content.getBytes(StandardCharsets.UTF_8)), null,
            List.of("security.capability"), List.of());
    }

    @Test
    void answersOnlyForTheSameInodeVersion() {
        FileDigestCache cache = new FileDigestCache(100);
        FileDigestCache.Cached value = cached("a");
        cache.store(stat(42, 10, 2000), value);
        assertSame(value, cache.lookup(stat(42, 10, 2000)));
        assertNull(cache.lookup(stat(42, 11, 2000)), "size changed");
        assertNull(cache.lookup(stat(42, 10, 2001)), "ctime changed");
        LinuxFs.Stat mtime = stat(42, 10, 2000);
        mtime.mtimeNsec = 6;
        assertNull(cache.lookup(mtime), "mtime changed");
        LinuxFs.Stat otherDevice = stat(42, 10, 2000);
        otherDevice.devMinor = 2;
        assertNull(cache.lookup(otherDevice), "same inode number on another device");
        assertEquals(1, cache.hits());
        assertEquals(4, cache.misses());
    }

    /** The segments share the bound out: never more than maxEntries, even when it is smaller than the segments. */
    @ParameterizedTest
    @ValueSource(ints = {1, 5, 16, 17, 100, 1000})
    void neverHoldsMoreThanMaxEntries(int maxEntries) {
        FileDigestCache cache = new FileDigestCache(maxEntries);
        for (long ino = 1; ino <= 20L * maxEntries + 50; ino++) {
            cache.store(stat(ino, 1, 2000), cached("x"));
            assertTrue(cache.size() <= maxEntries, cache.size() + " entries with maxEntries " + maxEntries);
        }
        assertTrue(cache.size() >= maxEntries / 2, "the bound is used, not just respected: " + cache.size());
        FileDigestCache.Cached last = cached("last");
        cache.store(stat(999_999, 1, 2000), last);
        assertSame(last, cache.lookup(stat(999_999, 1, 2000)), "the newest entry is kept");
        cache.clear();
        assertEquals(0, cache.size());
    }

    @Test
    void zeroDisablesAndNegativeIsRefused() {
        FileDigestCache cache = new FileDigestCache(0);
        cache.store(stat(1, 1, 2000), cached("x"));
        assertNull(cache.lookup(stat(1, 1, 2000)));
        assertEquals(0, cache.size());
        assertThrows(IllegalArgumentException.class, () -> new FileDigestCache(-1));
    }

    @Test
    void concurrentStoresAndLookupsStayConsistent() throws Exception {
        FileDigestCache cache = new FileDigestCache(1_000_000);
        ExecutorService threads = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> done = new java.util.ArrayList<>();
            for (int t = 0; t < 4; t++) {
                long base = t * 100_000L;
                done.add(threads.submit(() -> {
                    for (long ino = base; ino < base + 20_000; ino++) {
                        cache.store(stat(ino, ino, 2000), cached(Long.toString(ino)));
                        assertNotNull(cache.lookup(stat(ino, ino, 2000)));
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            threads.shutdownNow();
        }
        assertEquals(80_000, cache.size());
        assertEquals(80_000, cache.hits());
        assertEquals(DigestAlgorithm.SHA256.digest("312345".getBytes(StandardCharsets.UTF_8)),
            cache.lookup(stat(312_345, 312_345, 2000)).digest());
    }
}
