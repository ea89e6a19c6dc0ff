package org.carapace.imagehash.internal;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.carapace.api.image.Digest;

/**
 * Content digests of files already read, in memory, keyed the way Linux IMA keys its measurement cache: the file's
 * device and inode, validated by its size, mtime and ctime (nanoseconds). A file whose content is rewritten gets a
 * new ctime from the kernel, which the writer cannot choose, so its cached digest is not used again.
 *
 * <p>What the cache trusts: the kernel's ctime. Ways around it need more than write access to files: setting the
 * system clock back (CAP_SYS_TIME) before the rewrite so the new ctime collides exactly, or writing the block
 * device underneath the file system (root). The cache is never persisted: an offline modification of the storage
 * (where ctimes can be forged with debugfs) always meets an empty cache after the reboot it needs. Strict mode
 * ({@link org.carapace.api.image.HashOptions#strict()}) reads every file regardless.
 *
 * <p>Bounded (least recently used entries are dropped beyond {@code maxEntries}); thread-safe.
 */
public final class FileDigestCache {

    private record Key(long devMajor, long devMinor, long ino) {
    }

    private record Version(long size, long mtimeSec, int mtimeNsec, long ctimeSec, int ctimeNsec, Digest digest) {
    }

    private final int maxEntries;
    private final Map<Key, Version> entries;
    private final AtomicLong hits = new AtomicLong();
    private final AtomicLong misses = new AtomicLong();

    /** @param maxEntries how many files to remember; 0 disables the cache */
    public FileDigestCache(int maxEntries) {
        if (maxEntries < 0) {
            throw new IllegalArgumentException("maxEntries must not be negative, was " + maxEntries);
        }
        this.maxEntries = maxEntries;
        this.entries = new LinkedHashMap<>(16, 0.75f, true) {
            private static final long serialVersionUID = 1L;

            @Override
            protected boolean removeEldestEntry(Map.Entry<Key, Version> eldest) {
                return size() > FileDigestCache.this.maxEntries;
            }
        };
    }

    /** The cached digest of this exact file version, or null. */
    Digest lookup(LinuxFs.Stat stat) {
        if (maxEntries == 0) {
            return null;
        }
        Version version;
        synchronized (entries) {
            version = entries.get(new Key(stat.devMajor, stat.devMinor, stat.ino));
        }
        if (version != null && version.size == stat.size && version.mtimeSec == stat.mtimeSec
            && version.mtimeNsec == stat.mtimeNsec && version.ctimeSec == stat.ctimeSec && version.ctimeNsec == stat.ctimeNsec) {
            hits.incrementAndGet();
            return version.digest;
        }
        misses.incrementAndGet();
        return null;
    }

    /** Remembers the digest of a file version (the stat taken before the content was read, checked unchanged after). */
    void store(LinuxFs.Stat stat, Digest digest) {
        if (maxEntries == 0) {
            return;
        }
        Version version = new Version(stat.size, stat.mtimeSec, stat.mtimeNsec, stat.ctimeSec, stat.ctimeNsec, digest);
        synchronized (entries) {
            entries.put(new Key(stat.devMajor, stat.devMinor, stat.ino), version);
        }
    }

    /** Number of files remembered. */
    public int size() {
        synchronized (entries) {
            return entries.size();
        }
    }

    public int maxEntries() {
        return maxEntries;
    }

    /** Lookups answered since creation. */
    public long hits() {
        return hits.get();
    }

    /** Lookups not answered since creation. */
    public long misses() {
        return misses.get();
    }

    /** Forgets everything. */
    public void clear() {
        synchronized (entries) {
            entries.clear();
        }
    }
}
