package org.carapace.protection.internal;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.carapace.api.protection.ProtectionMode;
import org.carapace.api.protection.ProtectionRules;

/**
 * One protected container: its identity (init pid, mount namespace), its rules resolved to inodes, the verdict
 * cache, its fanotify group and counters. Shared by the container's responder thread, the hash workers and the
 * watchdog; mutable state is concurrent or volatile.
 */
final class ProtectedContainer {

    final String id;
    final long initPid;
    final long mountNamespace;
    final Path bundle;
    final Path rootfs;
    final Optional<String> image;
    final Optional<String> rootfsDigest;
    final ProtectionRules rules;
    final Map<String, String> imageFiles;
    final Set<String> trustedDigests;
    /** Where the rules came from ({@code configuration}, {@code policy image NAME ...}), for the log and status. */
    volatile String origin = "configuration";
    final Set<InodeKey> writeProtected;
    final Map<InodeKey, AssociationRule> associations;
    /** Whether read-only mounts cover every write-protected file (enforce mode): the kernel refuses writes. */
    final boolean readOnlyCovered;
    final ConcurrentHashMap<FileKey, FileFacts> facts = new ConcurrentHashMap<>();
    final Set<Integer> markedMounts = ConcurrentHashMap.newKeySet();

    final LatencyHistogram latency = new LatencyHistogram();
    final AtomicLong events = new AtomicLong();
    final AtomicLong denied = new AtomicLong();
    final AtomicLong audited = new AtomicLong();
    final AtomicLong cacheMisses = new AtomicLong();
    final AtomicLong deadlines = new AtomicLong();
    final AtomicInteger pendingWork = new AtomicInteger();
    final Object fdLock = new Object();

    /** Whether allowed verdicts may become kernel ignore marks (off only to measure every decision). */
    volatile boolean ignoreMarks = true;
    volatile int groupFd = -1;
    volatile boolean stopping;
    volatile long heartbeatNanos = System.nanoTime();
    volatile Thread responder;
    /** The native fast path, or {@code null} when Java answers every event. */
    volatile NativeResponder nativeResponder;

    /** Caches what is known about a content and teaches the native fast path the verdicts it may give alone. */
    void learn(FileKey key, FileFacts f, int maxEntries) {
        if (facts.size() < maxEntries || facts.containsKey(key)) {
            facts.put(key, f);
            NativeResponder n = nativeResponder;
            if (n != null) {
                n.put(key, Decider.nativeVerdict(this, key, f));
            }
        }
    }

    /** The most recent sign of life of whoever reads this container's events. */
    long heartbeat() {
        NativeResponder n = nativeResponder;
        return n == null ? heartbeatNanos : Math.min(heartbeatNanos, n.heartbeatNanos());
    }

    /** Decision latencies: Java's and, with the native fast path, the native thread's. */
    LatencyHistogram latencySnapshot() {
        LatencyHistogram all = new LatencyHistogram();
        all.add(latency);
        NativeResponder n = nativeResponder;
        if (n != null) {
            long[] s = n.stats();
            all.addCounts(s, NativeResponder.STATS);
        }
        return all;
    }

    ProtectedContainer(String id, long initPid, long mountNamespace, Path bundle, Path rootfs, Optional<String> image,
                       Optional<String> rootfsDigest, ProtectionRules rules, Map<String, String> imageFiles,
                       Set<String> trustedDigests, Set<InodeKey> writeProtected,
                       Map<InodeKey, AssociationRule> associations, boolean readOnlyCovered) {
        this.id = id;
        this.initPid = initPid;
        this.mountNamespace = mountNamespace;
        this.bundle = bundle;
        this.rootfs = rootfs;
        this.image = image;
        this.rootfsDigest = rootfsDigest;
        this.rules = rules;
        this.imageFiles = imageFiles;
        this.trustedDigests = trustedDigests;
        this.writeProtected = writeProtected;
        this.associations = associations;
        this.readOnlyCovered = readOnlyCovered;
    }

    ProtectionMode mode() {
        return rules.mode();
    }

    /** Writes to this inode must be looked at per open (they are not refused by a read-only mount). */
    boolean inspectsWrites(InodeKey inode) {
        return !readOnlyCovered && writeProtected.contains(inode);
    }

    /** This inode's content cannot change from inside the container, so a trusted verdict may be left to the kernel. */
    boolean stable(InodeKey inode) {
        return readOnlyCovered && writeProtected.contains(inode);
    }

    FileFacts trustFacts(FileFacts.Kind kind, Optional<String> digest, Optional<String> imagePath) {
        return new FileFacts(kind, digest, digest.isPresent() && trustedDigests.contains(digest.get()), imagePath);
    }
}
