package org.carapace.imagehash.internal;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.carapace.api.image.Digest;
import org.carapace.api.image.Xattr;

/**
 * What was read from files already hashed, in memory, keyed the way Linux IMA keys its measurement cache: the
 * file's device and inode, valid only while its size, mtime and ctime (nanoseconds) are unchanged. Remembered per
 * inode: the content digest of a regular file, the target of a symbolic link, and the covered extended attributes
 * (with the set of names they were read under). The kernel sets ctime to the current time whenever an inode's
 * content, metadata or extended attributes change, and no system call lets a file's owner choose it, so a file
 * rewritten by an attacker is read again.
 *
 * <p>What the cache trusts: the kernel's ctime. Ways around it need more than write access to files: setting the
 * system clock back (CAP_SYS_TIME) so that a rewrite lands on exactly the old ctime, or writing the block device
 * underneath the mounted file system (root). The cache is never persisted: an offline modification of the storage
 * (where ctimes can be forged, e.g. with debugfs) always meets an empty cache after the reboot it needs. Strict mode
 * ({@link org.carapace.api.image.HashOptions#strict()}) reads everything regardless and refreshes the cache.
 *
 * <p>Bounded (least recently used entries are dropped beyond {@code maxEntries}); thread-safe.
 */
public final class FileDigestCache {

    /** What is remembered of one inode version. */
    record Cached(Digest digest, String target, List<String> xattrNames, List<Xattr> xattrs) {
    }

    private record Key(long devMajor, long devMinor, long ino) {
    }

    private record Version(long size, long mtimeSec, int mtimeNsec, long ctimeSec, int ctimeNsec, Cached value) {
    }

    private final int maxEntries;
    private final Map<Key, Version> entries;
    private final AtomicLong hits = new AtomicLong();
    private final AtomicLong misses = new AtomicLong();

    /** @param maxEntries how many inodes to remember; 0 disables the cache */
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

    /** What is remembered of this exact inode version, or null. */
    Cached lookup(LinuxFs.Stat stat) {
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
            return version.value;
        }
        misses.incrementAndGet();
        return null;
    }

    /** Remembers an inode version (the stat taken before reading, checked unchanged after reading). */
    void store(LinuxFs.Stat stat, Cached value) {
        if (maxEntries == 0) {
            return;
        }
        Version version = new Version(stat.size, stat.mtimeSec, stat.mtimeNsec, stat.ctimeSec, stat.ctimeNsec, value);
        synchronized (entries) {
            entries.put(new Key(stat.devMajor, stat.devMinor, stat.ino), version);
        }
    }

    /** Number of inodes remembered. */
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
