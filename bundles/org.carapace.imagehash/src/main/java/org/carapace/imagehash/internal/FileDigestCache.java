package org.carapace.imagehash.internal;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
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
 * <p>Bounded (least recently used entries are dropped beyond {@code maxEntries}, per segment); thread-safe.
 */
public final class FileDigestCache {

    /** What is remembered of one inode version. */
    record Cached(Digest digest, String target, List<String> xattrNames, List<Xattr> xattrs) {
    }

    private record Key(long devMajor, long devMinor, long ino) {
    }

    private record Version(long size, long mtimeSec, int mtimeNsec, long ctimeSec, int ctimeNsec, Cached value) {
    }

    /**
     * Independent least-recently-used segments, chosen by inode: the walk's threads look up and store one entry per
     * file, and one lock for all of them was contended on two cores.
     */
    private static final int SEGMENTS = 16;

    private final int maxEntries;
    private final Segment[] segments;
    private final LongAdder hits = new LongAdder();
    private final LongAdder misses = new LongAdder();

    /** One segment: an access-ordered map bounded to its share of the entries, guarded by itself. */
    private static final class Segment extends LinkedHashMap<Key, Version> {
        private static final long serialVersionUID = 1L;
        private final int capacity;

        Segment(int capacity) {
            super(16, 0.75f, true);
            this.capacity = capacity;
        }

        @Override
        protected boolean removeEldestEntry(Map.Entry<Key, Version> eldest) {
            return size() > capacity;
        }
    }

    /**
     * @param maxEntries how many inodes to remember; 0 disables the cache. Up to {@value #SEGMENTS} segments share it
     *                   out and each drops its own least recently used entries beyond its share, so a working set
     *                   within a few percent of maxEntries can already overflow a segment: size it with headroom.
     */
    public FileDigestCache(int maxEntries) {
        if (maxEntries < 0) {
            throw new IllegalArgumentException("maxEntries must not be negative, was " + maxEntries);
        }
        this.maxEntries = maxEntries;
        int count = Math.max(1, Math.min(SEGMENTS, maxEntries)); // every segment holds at least one entry
        this.segments = new Segment[count];
        for (int i = 0; i < count; i++) {
            segments[i] = new Segment(maxEntries / count + (i < maxEntries % count ? 1 : 0));
        }
    }

    private Segment segment(Key key) {
        int h = key.hashCode();
        return segments[Math.floorMod(h ^ (h >>> 16), segments.length)];
    }

    /** What is remembered of this exact inode version, or null. */
    Cached lookup(LinuxFs.Stat stat) {
        if (maxEntries == 0) {
            return null;
        }
        Key key = new Key(stat.devMajor, stat.devMinor, stat.ino);
        Segment segment = segment(key);
        Version version;
        synchronized (segment) {
            version = segment.get(key);
        }
        if (version != null && version.size == stat.size && version.mtimeSec == stat.mtimeSec
            && version.mtimeNsec == stat.mtimeNsec && version.ctimeSec == stat.ctimeSec && version.ctimeNsec == stat.ctimeNsec) {
            hits.increment();
            return version.value;
        }
        misses.increment();
        return null;
    }

    /** Remembers an inode version (the stat taken before reading, checked unchanged after reading). */
    void store(LinuxFs.Stat stat, Cached value) {
        if (maxEntries == 0) {
            return;
        }
        Version version = new Version(stat.size, stat.mtimeSec, stat.mtimeNsec, stat.ctimeSec, stat.ctimeNsec, value);
        Key key = new Key(stat.devMajor, stat.devMinor, stat.ino);
        Segment segment = segment(key);
        synchronized (segment) {
            segment.put(key, version);
        }
    }

    /** Number of inodes remembered. */
    public int size() {
        int size = 0;
        for (Segment segment : segments) {
            synchronized (segment) {
                size += segment.size();
            }
        }
        return size;
    }

    public int maxEntries() {
        return maxEntries;
    }

    /** Lookups answered since creation. */
    public long hits() {
        return hits.sum();
    }

    /** Lookups not answered since creation. */
    public long misses() {
        return misses.sum();
    }

    /** Forgets everything. */
    public void clear() {
        for (Segment segment : segments) {
            synchronized (segment) {
                segment.clear();
            }
        }
    }
}
