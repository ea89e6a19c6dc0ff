package org.carapace.imagehash.internal;

import com.sun.jna.Pointer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.RecursiveAction;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.carapace.api.image.Digest;
import org.carapace.api.image.DigestAlgorithm;
import org.carapace.api.image.FileEntry;
import org.carapace.api.image.FileType;
import org.carapace.api.image.ImageException;
import org.carapace.api.image.ImageFormatException;
import org.carapace.api.image.ImageLimitException;
import org.carapace.api.image.ImagePaths;
import org.carapace.api.image.ImageReadException;
import org.carapace.api.image.UnsafeEntryException;
import org.carapace.api.image.Xattr;

/**
 * Hashes a root file system on disk. The walk is relative to open directory descriptors ({@code openat},
 * {@code statx} with {@code AT_SYMLINK_NOFOLLOW}, every open with {@code O_NOFOLLOW}), so it never follows a
 * symbolic link and never leaves the root, even when the tree changes underneath; a file or directory that is
 * replaced between being listed and being opened, or modified while it is read, fails the walk
 * ({@link UnsafeEntryException.Reason#CHANGED_DURING_WALK}). Directories are walked in parallel (fork/join, one
 * task per directory, large files as tasks of their own); each file is read at most once, and not at all when the
 * {@link FileDigestCache} knows its version.
 */
final class DirectoryHasher {

    /** Files at least this large are hashed in a task of their own so both cores share big directories. */
    private static final long LARGE_FILE = 256 << 10;
    /** {@code d_type} of a directory in {@code linux_dirent64}. */
    private static final int DT_DIR = 4;
    /** {@code d_type} of a regular file. */
    private static final int DT_REG = 8;
    /** The largest {@code linux_dirent64} record: 19 header bytes, a 255-byte name, its NUL, 8-byte alignment. */
    private static final int MAX_DIRENT = 280;
    /**
     * Files larger than the read buffer (1 MiB, {@link LinuxFs.Scratch}) are hashed through a mapping instead of read
     * into it. Mapping smaller files cost more than the copy it saves once two threads hash: each {@code munmap} of a
     * multi-threaded process shoots down the other CPU's TLB (an interrupt, expensive in a VM). Debian minbase, 2
     * threads, interleaved: 64 KiB 98.5–103 ms, 256 KiB 95–96 ms, 1 MiB 92.7–95.6 ms, never 97–99 ms; 1 thread equal.
     */
    private static final long MAP_THRESHOLD = (1 << 20) + 1;
    /** Mapping window: bounds address space per thread. */
    private static final long MAP_WINDOW = 64L << 20;
    /** Inodes changed less than this long before a walk started are hashed but not cached. */
    static final long RACY_SECONDS = 2;

    private volatile long racySeconds = RACY_SECONDS;
    static final Digest EMPTY = DigestAlgorithm.SHA256.digest(new byte[0]);

    private final ForkJoinPool pool;
    private final ImageLimits limits;
    private final ThreadLocal<LinuxFs.Scratch> scratch;

    DirectoryHasher(ForkJoinPool pool, ImageLimits limits) {
        this.pool = pool;
        this.limits = limits;
        this.scratch = ThreadLocal.withInitial(() -> new LinuxFs.Scratch(limits.maxXattrBytes()));
    }

    /** Tests only: the racy window (negative: cache even files changed just now). */
    void racySeconds(long seconds) {
        racySeconds = seconds;
    }

    /** What the walk found, before hard-link grouping. */
    private record Raw(String path, FileType type, int mode, long uid, long gid, long size, Digest content,
                       String target, long major, long minor, List<Xattr> xattrs, long devMajor, long devMinor,
                       long ino, long nlink) {
    }

    /** The walk's outcome. */
    record Result(List<FileEntry> entries, long bytesRead, long cacheHits, long cacheMisses) {
    }

    /** Per-walk state shared by the tasks. */
    private final class Walk {
        final String location;
        final Set<String> excluded;
        final List<byte[]> xattrNames;
        final List<String> xattrNameStrings;
        final FileDigestCache cache;
        final boolean strict;
        final HashProgressMeter meter;
        final ConcurrentLinkedQueue<Raw> found = new ConcurrentLinkedQueue<>();
        final AtomicLong entriesLeft = new AtomicLong(limits.maxEntries());
        final AtomicLong bytesLeft = new AtomicLong(limits.maxImageBytes());
        final AtomicLong bytesRead = new AtomicLong();
        final AtomicLong hits = new AtomicLong();
        final AtomicLong misses = new AtomicLong();
        final AtomicBoolean failed = new AtomicBoolean();
        /** Wall-clock start of the walk, in seconds, for the racy-ctime rule of the cache. */
        final long startSeconds = System.currentTimeMillis() / 1000;
        /** Digests of multiply linked files already read in this walk: each inode is read once even in strict mode. */
        final java.util.concurrent.ConcurrentHashMap<List<Long>, java.util.concurrent.CompletableFuture<FileDigestCache.Cached>>
            linked = new java.util.concurrent.ConcurrentHashMap<>();

        Walk(String location, Set<String> excluded, Collection<String> xattrNames, FileDigestCache cache, boolean strict,
             HashProgressMeter meter) {
            this.location = location;
            this.excluded = excluded;
            this.xattrNameStrings = List.copyOf(xattrNames);
            this.xattrNames = xattrNames.stream().map(LinuxFs::cString).toList();
            this.cache = cache;
            this.strict = strict;
            this.meter = meter;
        }
    }

    /** Carries a checked failure out of a fork/join task. */
    private static final class TaskFailure extends RuntimeException {
        private static final long serialVersionUID = 1L;

        TaskFailure(Exception cause) {
            super(cause);
        }
    }

    /**
     * Hashes the tree below {@code root} (the root's own metadata is not part of the digest).
     *
     * @param exclusions canonical paths to leave out with their subtrees; each is also resolved through the tree's
     *                   symbolic links, confined to the root
     */
    Result hash(Path root, Collection<String> exclusions, Collection<String> xattrNames, FileDigestCache cache,
                boolean strict, HashProgressMeter meter) throws ImageException {
        String unsupported = LinuxFs.unsupportedReason();
        if (unsupported != null) {
            throw new ImageReadException(root.toString(), unsupported);
        }
        String location = root.toString();
        int rootFd = LinuxFs.Libc.openat(LinuxFs.AT_FDCWD, LinuxFs.cString(root.toString()),
            LinuxFs.O_RDONLY | LinuxFs.O_DIRECTORY | LinuxFs.O_CLOEXEC, 0);
        if (rootFd < 0) {
            throw new ImageReadException(location, LinuxFs.failure("open", location, LinuxFs.errno()));
        }
        boolean handedOver = false;
        try {
            Set<String> excluded = resolveExclusions(rootFd, exclusions, location);
            Walk walk = new Walk(location, excluded, xattrNames, cache, strict, meter);
            handedOver = true;
            try {
                pool.invoke(new DirectoryTask(walk, rootFd, "", 0));
            } catch (TaskFailure failure) {
                if (failure.getCause() instanceof ImageException e) {
                    throw e;
                }
                throw new ImageReadException(location, (IOException) failure.getCause());
            }
            return new Result(group(walk.found), walk.bytesRead.get(), walk.hits.get(), walk.misses.get());
        } finally {
            if (!handedOver) {
                LinuxFs.Libc.close(rootFd);
            }
        }
    }

    private Set<String> resolveExclusions(int rootFd, Collection<String> exclusions, String location) throws ImageException {
        Set<String> excluded = new TreeSet<>(ImagePaths.ORDER);
        LinuxFs.Scratch buffers = scratch.get();
        SymlinkResolver.Lookup lookup = new SymlinkResolver.Lookup() {
            @Override
            public SymlinkResolver.Kind kind(String path) throws IOException {
                // only asked about paths whose parents are real directories: following them is not following a link
                byte[] relative = LinuxFs.cString(path.substring(1));
                if (LinuxFs.Libc.statx(rootFd, relative, LinuxFs.AT_SYMLINK_NOFOLLOW, LinuxFs.STATX_BASIC_STATS,
                    buffers.stat) != 0) {
                    int errno = LinuxFs.errno();
                    if (errno == LinuxFs.ENOENT || errno == LinuxFs.ENOTDIR) {
                        return SymlinkResolver.Kind.MISSING;
                    }
                    throw LinuxFs.failure("stat", location + path, errno);
                }
                int type = (buffers.stat.getShort(28) & 0xffff) & LinuxFs.S_IFMT;
                return type == LinuxFs.S_IFDIR ? SymlinkResolver.Kind.DIRECTORY
                    : type == LinuxFs.S_IFLNK ? SymlinkResolver.Kind.SYMLINK : SymlinkResolver.Kind.OTHER;
            }

            @Override
            public String readlink(String path) throws IOException {
                return readLink(rootFd, LinuxFs.cString(path.substring(1)), location + path, buffers);
            }
        };
        for (String exclusion : exclusions) {
            excluded.add(exclusion);
            try {
                excluded.add(SymlinkResolver.resolve(exclusion, lookup, exclusions));
            } catch (IOException e) {
                throw new ImageReadException(location + exclusion, e);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
        return excluded;
    }

    private static boolean isExcluded(Set<String> excluded, String path) {
        if (excluded.isEmpty()) {
            return false;
        }
        if (excluded.contains(path)) {
            return true;
        }
        for (int slash = path.lastIndexOf('/'); slash > 0; slash = path.lastIndexOf('/', slash - 1)) {
            if (excluded.contains(path.substring(0, slash))) {
                return true;
            }
        }
        return excluded.contains("/");
    }

    /** Lists one directory; forks its subdirectories and large files; closes its descriptor. */
    private final class DirectoryTask extends RecursiveAction {
        private static final long serialVersionUID = 1L;
        private final transient Walk walk;
        private final int fd;
        private final String path;
        private final int depth;

        DirectoryTask(Walk walk, int fd, String path, int depth) {
            this.walk = walk;
            this.fd = fd;
            this.path = path;
            this.depth = depth;
        }

        @Override
        protected void compute() {
            List<RecursiveAction> forked = new ArrayList<>();
            try {
                if (!walk.failed.get()) {
                    list(forked);
                }
            } catch (ImageException | IOException e) {
                walk.failed.set(true);
                throw new TaskFailure(e);
            } catch (RuntimeException e) {
                walk.failed.set(true);
                throw e;
            } finally {
                // file tasks read through this descriptor: close it only after every forked task is done. Joined
                // newest first: those not stolen are still on top of this worker's queue and run here; joining the
                // oldest first blocked the worker on a stolen task with its own queue still full (Debian minbase, 2
                // cores: 1.78 cores busy that way, 1.91 this way)
                RuntimeException first = null;
                for (int i = forked.size() - 1; i >= 0; i--) {
                    try {
                        forked.get(i).join();
                    } catch (RuntimeException e) {
                        first = first == null ? e : first;
                    }
                }
                LinuxFs.Libc.close(fd);
                if (first != null) {
                    throw first;
                }
            }
        }

        private void list(List<RecursiveAction> forked) throws ImageException, IOException {
            LinuxFs.Scratch buffers = scratch.get();
            byte[] procPrefix = ("/proc/self/fd/" + fd + "/").getBytes(StandardCharsets.US_ASCII);
            List<byte[]> names = new ArrayList<>();
            List<Integer> types = new ArrayList<>();
            readDirectory(buffers, names, types);
            for (int i = 0; i < names.size(); i++) {
                byte[] name = names.get(i);
                String childPath = path + "/" + decodeName(name);
                if (isExcluded(walk.excluded, childPath)) {
                    continue;
                }
                if (walk.entriesLeft.decrementAndGet() < 0) {
                    throw new ImageLimitException("maxEntries", limits.maxEntries(), limits.maxEntries() + 1L, walk.location);
                }
                byte[] cName = LinuxFs.cString(name);
                if (types.get(i) == DT_DIR && directory(cName, childPath, null, forked, buffers)) {
                    continue;
                }
                if (types.get(i) == DT_REG && walk.strict && strictFile(cName, childPath, forked, buffers)) {
                    continue; // strict mode reads every file anyway: its descriptor's stat is the entry's metadata
                }
                LinuxFs.Stat stat = new LinuxFs.Stat();
                if (LinuxFs.Libc.statx(fd, cName, LinuxFs.AT_SYMLINK_NOFOLLOW, LinuxFs.STATX_BASIC_STATS, buffers.stat) != 0) {
                    int errno = LinuxFs.errno();
                    if (errno == LinuxFs.ENOENT) {
                        throw changed(childPath, "disappeared while the directory was read");
                    }
                    throw LinuxFs.failure("stat", walk.location + childPath, errno);
                }
                stat.read(buffers.stat);
                int mode = stat.mode & 07777;
                FileDigestCache.Cached cached = walk.strict ? null : walk.cache.lookup(stat);
                if (cached != null && !cached.xattrNames().equals(walk.xattrNameStrings)) {
                    cached = null;
                }
                switch (stat.type()) {
                    case LinuxFs.S_IFDIR -> {
                        if (!directory(cName, childPath, stat, forked, buffers)) {
                            throw changed(childPath, "was replaced while the directory was read");
                        }
                    }
                    case LinuxFs.S_IFREG -> {
                        ImageLimits.check("maxEntryBytes", limits.maxEntryBytes(), stat.size, walk.location + childPath);
                        if (cached == null && stat.nlink > 1) {
                            var read = walk.linked.get(versionKey(stat));
                            if (read != null && read.isDone() && !read.isCompletedExceptionally()) {
                                cached = read.join();
                            }
                        }
                        if (cached != null && cached.digest() != null) {
                            walk.hits.incrementAndGet();
                            add(childPath, FileType.FILE, mode, stat, stat.size, cached.digest(), null, cached.xattrs());
                        } else if (stat.size == 0) {
                            List<Xattr> xattrs = xattrs(-1, path(procPrefix, cName), childPath, FileType.FILE, mode, walk, buffers);
                            store(walk, stat, new FileDigestCache.Cached(EMPTY, null, walk.xattrNameStrings, xattrs));
                            add(childPath, FileType.FILE, mode, stat, 0, EMPTY, null, xattrs);
                        } else if (stat.size >= LARGE_FILE) {
                            FileTask task = new FileTask(walk, fd, cName, stat, childPath);
                            task.fork();
                            forked.add(task);
                        } else {
                            hashFile(walk, fd, cName, stat, childPath, buffers);
                        }
                    }
                    case LinuxFs.S_IFLNK -> {
                        if (cached == null || cached.target() == null) {
                            String target = readLink(fd, cName, walk.location + childPath, buffers);
                            cached = new FileDigestCache.Cached(null, target, walk.xattrNameStrings,
                                xattrs(-1, path(procPrefix, cName), childPath, FileType.SYMLINK, 0777, walk, buffers));
                            store(walk, stat, cached);
                        }
                        add(childPath, FileType.SYMLINK, 0777, stat, 0, null, cached.target(), cached.xattrs());
                    }
                    case LinuxFs.S_IFCHR, LinuxFs.S_IFBLK, LinuxFs.S_IFIFO, LinuxFs.S_IFSOCK -> {
                        FileType type = switch (stat.type()) {
                            case LinuxFs.S_IFCHR -> FileType.CHAR_DEVICE;
                            case LinuxFs.S_IFBLK -> FileType.BLOCK_DEVICE;
                            case LinuxFs.S_IFIFO -> FileType.FIFO;
                            default -> FileType.SOCKET;
                        };
                        if (cached == null) {
                            cached = new FileDigestCache.Cached(null, null, walk.xattrNameStrings,
                                xattrs(-1, path(procPrefix, cName), childPath, type, mode, walk, buffers));
                            store(walk, stat, cached);
                        }
                        add(childPath, type, mode, stat, 0, null, null, cached.xattrs());
                    }
                    default -> throw new ImageFormatException(walk.location + childPath,
                        "unknown file type " + Integer.toOctalString(stat.type()));
                }
            }
        }

        /** Strict mode: opens a regular file without a stat by name; false when the name is no longer a regular file. */
        private boolean strictFile(byte[] cName, String childPath, List<RecursiveAction> forked, LinuxFs.Scratch buffers)
            throws ImageException, IOException {
            int file = LinuxFs.Libc.openat(fd, cName, LinuxFs.O_RDONLY | LinuxFs.O_NOFOLLOW | LinuxFs.O_NONBLOCK
                | LinuxFs.O_CLOEXEC, 0);
            if (file < 0) {
                int errno = LinuxFs.errno();
                if (errno == LinuxFs.ELOOP || errno == LinuxFs.ENOENT || errno == LinuxFs.ENXIO) {
                    return false;
                }
                throw LinuxFs.failure("open", walk.location + childPath, errno);
            }
            LinuxFs.Stat stat;
            try {
                stat = stat(file, childPath, walk, buffers);
            } catch (IOException | RuntimeException e) {
                LinuxFs.Libc.close(file);
                throw e;
            }
            if (stat.type() != LinuxFs.S_IFREG) {
                LinuxFs.Libc.close(file);
                return false;
            }
            ImageLimits.check("maxEntryBytes", limits.maxEntryBytes(), stat.size, walk.location + childPath);
            if (stat.nlink > 1 || stat.size >= LARGE_FILE) {
                // hard links need the shared read; large files their own task: both reopen by name
                LinuxFs.Libc.close(file);
                if (stat.size >= LARGE_FILE && stat.nlink <= 1) {
                    FileTask task = new FileTask(walk, fd, cName, stat, childPath);
                    task.fork();
                    forked.add(task);
                } else {
                    hashFile(walk, fd, cName, stat, childPath, buffers);
                }
                return true;
            }
            readOpened(walk, file, stat, stat, childPath, buffers);
            return true;
        }

        /**
         * Opens a subdirectory without following links, records it and forks its walk. When {@code listed} is null
         * (the directory entry said "directory"), the opened descriptor's stat is the entry's metadata.
         *
         * @return false when the name is no longer a directory (and listed was null: the caller stats it afresh)
         */
        private boolean directory(byte[] cName, String childPath, LinuxFs.Stat listed, List<RecursiveAction> forked,
                                  LinuxFs.Scratch buffers) throws ImageException, IOException {
            if (depth + 1 >= limits.maxPathDepth()) {
                throw new ImageLimitException("maxPathDepth", limits.maxPathDepth(), depth + 2L, walk.location + childPath);
            }
            int child = LinuxFs.Libc.openat(fd, cName, LinuxFs.O_RDONLY | LinuxFs.O_DIRECTORY | LinuxFs.O_NOFOLLOW
                | LinuxFs.O_CLOEXEC, 0);
            if (child < 0) {
                int errno = LinuxFs.errno();
                if (errno == LinuxFs.ELOOP || errno == LinuxFs.ENOTDIR || errno == LinuxFs.ENOENT) {
                    return false;
                }
                throw LinuxFs.failure("open", walk.location + childPath, errno);
            }
            try {
                LinuxFs.Stat stat = stat(child, childPath, walk, buffers);
                if (listed != null && !stat.sameFile(listed)) {
                    LinuxFs.Libc.close(child);
                    return false;
                }
                FileDigestCache.Cached cached = walk.strict ? null : walk.cache.lookup(stat);
                if (cached == null || !cached.xattrNames().equals(walk.xattrNameStrings)) {
                    cached = new FileDigestCache.Cached(null, null, walk.xattrNameStrings,
                        xattrs(child, null, childPath, FileType.DIRECTORY, stat.mode & 07777, walk, buffers));
                    store(walk, stat, cached);
                }
                add(childPath, FileType.DIRECTORY, stat.mode & 07777, stat, 0, null, null, cached.xattrs());
            } catch (ImageException | IOException | RuntimeException e) {
                LinuxFs.Libc.close(child);
                throw e;
            }
            DirectoryTask task = new DirectoryTask(walk, child, childPath, depth + 1);
            task.fork();
            forked.add(task);
            return true;
        }

        private void add(String childPath, FileType type, int mode, LinuxFs.Stat stat, long size, Digest content,
                         String target, List<Xattr> xattrs) {
            boolean device = type.isDevice();
            walk.found.add(new Raw(childPath, type, mode, stat.uid, stat.gid, size, content, target,
                device ? stat.rdevMajor : 0, device ? stat.rdevMinor : 0, xattrs, stat.devMajor, stat.devMinor, stat.ino,
                stat.nlink));
        }

        private void readDirectory(LinuxFs.Scratch buffers, List<byte[]> names, List<Integer> types) throws IOException {
            Pointer buffer = buffers.dirents;
            while (true) {
                long n = LinuxFs.Libc.getdents64(fd, buffer, buffers.dirents.size());
                if (n < 0) {
                    throw LinuxFs.failure("getdents64", walk.location + path, LinuxFs.errno());
                }
                if (n == 0) {
                    return;
                }
                // struct linux_dirent64 { u64 d_ino; s64 d_off; u16 d_reclen; u8 d_type; char d_name[]; }
                byte[] records = buffer.getByteArray(0, (int) n);
                int offset = 0;
                while (offset < n) {
                    int length = (records[offset + 16] & 0xff) | (records[offset + 17] & 0xff) << 8;
                    int type = records[offset + 18] & 0xff;
                    int nameStart = offset + 19;
                    int nameEnd = nameStart;
                    while (nameEnd < offset + length && records[nameEnd] != 0) {
                        nameEnd++;
                    }
                    int nameLength = nameEnd - nameStart;
                    boolean dot = nameLength == 1 && records[nameStart] == '.';
                    boolean dotDot = nameLength == 2 && records[nameStart] == '.' && records[nameStart + 1] == '.';
                    if (!dot && !dotDot) {
                        names.add(java.util.Arrays.copyOfRange(records, nameStart, nameEnd));
                        types.add(type);
                    }
                    offset += length;
                }
                if (n + MAX_DIRENT <= buffers.dirents.size()) {
                    return; // the kernel stops filling only at the end or when the next record does not fit
                }
            }
        }

        private String decodeName(byte[] name) throws ImageFormatException {
            try {
                return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(name)).toString();
            } catch (CharacterCodingException e) {
                throw new ImageFormatException(walk.location + path, "file name is not valid UTF-8 (hex "
                    + HexFormat.of().formatHex(name) + ")");
            }
        }
    }

    /** Hashes one large file in its own task. */
    private final class FileTask extends RecursiveAction {
        private static final long serialVersionUID = 1L;
        private final transient Walk walk;
        private final int dirFd;
        private final byte[] cName;
        private final transient LinuxFs.Stat stat;
        private final String path;

        FileTask(Walk walk, int dirFd, byte[] cName, LinuxFs.Stat stat, String path) {
            this.walk = walk;
            this.dirFd = dirFd;
            this.cName = cName;
            this.stat = stat;
            this.path = path;
        }

        @Override
        protected void compute() {
            if (walk.failed.get()) {
                return;
            }
            try {
                hashFile(walk, dirFd, cName, stat, path, scratch.get());
            } catch (ImageException | IOException e) {
                walk.failed.set(true);
                throw new TaskFailure(e);
            }
        }
    }

    private void checkEntrySize(long size, String path) throws ImageLimitException {
        ImageLimits.check("maxEntryBytes", limits.maxEntryBytes(), size, path);
    }

    /** Reads and hashes one regular file, which must still be the file that was listed, and stays unchanged. */
    private void hashFile(Walk walk, int dirFd, byte[] cName, LinuxFs.Stat listed, String path, LinuxFs.Scratch buffers)
        throws ImageException, IOException {
        if (listed.nlink <= 1) {
            readFile(walk, dirFd, cName, listed, path, buffers);
            return;
        }
        // a multiply linked inode is read by the first path that gets here; its other paths wait for that read
        var mine = new java.util.concurrent.CompletableFuture<FileDigestCache.Cached>();
        var first = walk.linked.putIfAbsent(versionKey(listed), mine);
        if (first != null) {
            FileDigestCache.Cached cached;
            try {
                cached = first.join();
            } catch (java.util.concurrent.CompletionException e) {
                throw new ImageReadException(walk.location + path, "its hard link failed: " + e.getCause().getMessage());
            }
            walk.hits.incrementAndGet();
            walk.found.add(new Raw(path, FileType.FILE, listed.mode & 07777, listed.uid, listed.gid, listed.size, cached.digest(),
                null, 0, 0, cached.xattrs(), listed.devMajor, listed.devMinor, listed.ino, listed.nlink));
            return;
        }
        try {
            mine.complete(readFile(walk, dirFd, cName, listed, path, buffers));
        } catch (ImageException | IOException | RuntimeException e) {
            mine.completeExceptionally(e);
            throw e;
        }
    }

    private FileDigestCache.Cached readFile(Walk walk, int dirFd, byte[] cName, LinuxFs.Stat listed, String path,
                                            LinuxFs.Scratch buffers) throws ImageException, IOException {
        int fd = LinuxFs.Libc.openat(dirFd, cName, LinuxFs.O_RDONLY | LinuxFs.O_NOFOLLOW | LinuxFs.O_NONBLOCK
            | LinuxFs.O_CLOEXEC, 0);
        if (fd < 0) {
            int errno = LinuxFs.errno();
            if (errno == LinuxFs.ELOOP || errno == LinuxFs.ENOENT || errno == LinuxFs.ENXIO) {
                throw new UnsafeEntryException(walk.location, path, UnsafeEntryException.Reason.CHANGED_DURING_WALK,
                    "was replaced while the directory was read");
            }
            throw LinuxFs.failure("open", walk.location + path, errno);
        }
        LinuxFs.Stat before;
        try {
            before = stat(fd, path, walk, buffers);
        } catch (IOException | RuntimeException e) {
            LinuxFs.Libc.close(fd);
            throw e;
        }
        return readOpened(walk, fd, listed, before, path, buffers);
    }

    /**
     * Reads and hashes an open regular file and closes it. {@code before} is the descriptor's stat, taken before
     * reading: it must still be the file that was listed. Only a file whose ctime is older than the walk's start
     * minus {@link #RACY_SECONDS} goes into the cache: a change in the same timestamp tick as the stat would not
     * move ctime (the "racy" case git also guards against).
     */
    private FileDigestCache.Cached readOpened(Walk walk, int fd, LinuxFs.Stat listed, LinuxFs.Stat before, String path,
                                              LinuxFs.Scratch buffers) throws ImageException, IOException {
        try {
            if (!before.sameFile(listed) || before.type() != LinuxFs.S_IFREG) {
                throw new UnsafeEntryException(walk.location, path, UnsafeEntryException.Reason.CHANGED_DURING_WALK,
                    "was replaced while the directory was read");
            }
            if (walk.bytesLeft.addAndGet(-before.size) < 0) {
                throw new ImageLimitException("maxImageBytes", limits.maxImageBytes(),
                    limits.maxImageBytes() - walk.bytesLeft.get(), walk.location + path);
            }
            MessageDigest sha256 = DigestAlgorithm.SHA256.newMessageDigest();
            long total = before.size >= MAP_THRESHOLD ? mapped(walk, fd, before.size, sha256, path) : 0;
            while (total < before.size) {
                long n = LinuxFs.Libc.read(fd, buffers.data, buffers.data.size());
                if (n < 0) {
                    int errno = LinuxFs.errno();
                    if (errno == LinuxFs.EINTR) {
                        continue;
                    }
                    throw LinuxFs.failure("read", walk.location + path, errno);
                }
                if (n == 0) {
                    break;
                }
                buffers.data.read(0, buffers.heap, 0, (int) n);
                sha256.update(buffers.heap, 0, (int) n);
                total += n;
                if (walk.meter != null) {
                    walk.meter.add(n);
                }
            }
            if (total != before.size) {
                throw new UnsafeEntryException(walk.location, path, UnsafeEntryException.Reason.CHANGED_DURING_WALK,
                    "changed size while it was read (" + before.size + " bytes listed, " + total + " read)");
            }
            Digest digest = new Digest(DigestAlgorithm.SHA256, sha256.digest());
            walk.bytesRead.addAndGet(total);
            walk.misses.incrementAndGet();
            List<Xattr> xattrs = xattrs(fd, null, path, FileType.FILE, before.mode & 07777, walk, buffers);
            FileDigestCache.Cached cached = new FileDigestCache.Cached(digest, null, walk.xattrNameStrings, xattrs);
            store(walk, before, cached);
            walk.found.add(new Raw(path, FileType.FILE, before.mode & 07777, before.uid, before.gid, before.size, digest, null,
                0, 0, xattrs, before.devMajor, before.devMinor, before.ino, before.nlink));
            return cached;
        } finally {
            LinuxFs.Libc.close(fd);
        }
    }

    /**
     * Hashes a file through a read-only mapping, one window at a time: on a page-cached file this saves the copy
     * {@code read} makes (measured: about half the CPU time). A file truncated under the mapping makes the JVM
     * raise an InternalError for the faulting access (never a crash), reported as a change during the walk.
     */
    private long mapped(Walk walk, int fd, long size, MessageDigest sha256, String path) throws ImageException, IOException {
        long offset = 0;
        while (offset < size) {
            long length = Math.min(MAP_WINDOW, size - offset);
            Pointer map = LinuxFs.Libc.mmap(null, length, LinuxFs.PROT_READ, LinuxFs.MAP_PRIVATE, fd, offset);
            if (map == null || Pointer.nativeValue(map) == LinuxFs.MAP_FAILED) {
                throw LinuxFs.failure("mmap", walk.location + path, LinuxFs.errno());
            }
            try {
                sha256.update(map.getByteBuffer(0, length));
            } catch (InternalError e) {
                throw new UnsafeEntryException(walk.location, path, UnsafeEntryException.Reason.CHANGED_DURING_WALK,
                    "was truncated while it was read");
            } finally {
                LinuxFs.Libc.munmap(map, length);
            }
            offset += length;
            if (walk.meter != null) {
                walk.meter.add(length);
            }
        }
        return offset;
    }

    /** Caches what was read of an inode unless its last change is too recent to be told apart from the next. */
    private void store(Walk walk, LinuxFs.Stat stat, FileDigestCache.Cached cached) {
        if (stat.ctimeSec < walk.startSeconds - racySeconds) {
            walk.cache.store(stat, cached);
        }
    }

    private LinuxFs.Stat stat(int fd, String path, Walk walk, LinuxFs.Scratch buffers) throws IOException {
        if (LinuxFs.Libc.statx(fd, new byte[] {0}, LinuxFs.AT_EMPTY_PATH, LinuxFs.STATX_BASIC_STATS, buffers.stat) != 0) {
            throw LinuxFs.failure("fstat", walk.location + path, LinuxFs.errno());
        }
        LinuxFs.Stat stat = new LinuxFs.Stat();
        stat.read(buffers.stat);
        return stat;
    }

    private static List<Long> versionKey(LinuxFs.Stat stat) {
        return List.of(stat.devMajor, stat.devMinor, stat.ino, stat.size, stat.mtimeSec, (long) stat.mtimeNsec,
            stat.ctimeSec, (long) stat.ctimeNsec);
    }

    private static byte[] path(byte[] prefix, byte[] cName) {
        byte[] full = new byte[prefix.length + cName.length];
        System.arraycopy(prefix, 0, full, 0, prefix.length);
        System.arraycopy(cName, 0, full, prefix.length, cName.length);
        return full;
    }

    /** Reads the covered extended attributes through an open descriptor or, when fd is -1, a no-follow path. */
    private List<Xattr> xattrs(int fd, byte[] procPath, String path, FileType type, int mode, Walk walk,
                               LinuxFs.Scratch buffers) throws ImageException, IOException {
        if (walk.xattrNames.isEmpty()) {
            return List.of();
        }
        List<Xattr> result = null;
        for (int i = 0; i < walk.xattrNames.size(); i++) {
            if (!CanonicalEncoding.covers(walk.xattrNameStrings.get(i), type, mode)) {
                continue;
            }
            byte[] name = walk.xattrNames.get(i);
            long n = fd >= 0 ? LinuxFs.Libc.fgetxattr(fd, name, buffers.xattr, buffers.xattr.size())
                : LinuxFs.Libc.lgetxattr(procPath, name, buffers.xattr, buffers.xattr.size());
            if (n < 0) {
                int errno = LinuxFs.errno();
                if (errno == LinuxFs.ENODATA || errno == LinuxFs.ENOTSUP) {
                    continue;
                }
                if (errno == LinuxFs.ERANGE) {
                    throw new ImageLimitException("maxXattrBytes", limits.maxXattrBytes(), limits.maxXattrBytes() + 1L,
                        walk.location + path + " xattr " + walk.xattrNameStrings.get(i));
                }
                throw LinuxFs.failure("getxattr " + walk.xattrNameStrings.get(i), walk.location + path, errno);
            }
            if (n > limits.maxXattrBytes()) {
                throw new ImageLimitException("maxXattrBytes", limits.maxXattrBytes(), n,
                    walk.location + path + " xattr " + walk.xattrNameStrings.get(i));
            }
            if (result == null) {
                result = new ArrayList<>(2);
            }
            result.add(new Xattr(walk.xattrNameStrings.get(i), buffers.xattr.getByteArray(0, (int) n)));
        }
        return result == null ? List.of() : result;
    }

    private String readLink(int dirFd, byte[] cName, String where, LinuxFs.Scratch buffers) throws IOException {
        long n = LinuxFs.Libc.readlinkat(dirFd, cName, buffers.link, buffers.link.size());
        if (n < 0) {
            throw LinuxFs.failure("readlink", where, LinuxFs.errno());
        }
        if (n >= buffers.link.size() || n > limits.maxPathBytes()) {
            throw new IOException("readlink " + where + ": target longer than maxPathBytes " + limits.maxPathBytes());
        }
        byte[] target = buffers.link.getByteArray(0, (int) n);
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(target)).toString();
        } catch (CharacterCodingException e) {
            throw new IOException("readlink " + where + ": target is not valid UTF-8 (hex " + HexFormat.of().formatHex(target) + ")");
        }
    }

    private UnsafeEntryException changed(String path, String detail) {
        return new UnsafeEntryException("directory", path, UnsafeEntryException.Reason.CHANGED_DURING_WALK, detail);
    }

    /** Sorts the walk's findings and groups hard links within the tree. */
    private static List<FileEntry> group(Collection<Raw> found) {
        List<Raw> raws = PathOrder.sorted(new ArrayList<>(found), Raw::path);
        Map<List<Long>, String> firstPath = new HashMap<>();
        Map<List<Long>, Integer> count = new HashMap<>();
        for (Raw raw : raws) {
            if (raw.type != FileType.DIRECTORY && raw.nlink > 1) {
                count.merge(List.of(raw.devMajor, raw.devMinor, raw.ino), 1, Integer::sum);
            }
        }
        List<FileEntry> entries = new ArrayList<>(raws.size());
        for (Raw raw : raws) {
            Optional<String> hardlinkTo = Optional.empty();
            if (raw.type != FileType.DIRECTORY && raw.nlink > 1) {
                List<Long> key = List.of(raw.devMajor, raw.devMinor, raw.ino);
                if (count.get(key) > 1) {
                    hardlinkTo = Optional.ofNullable(firstPath.putIfAbsent(key, raw.path));
                }
            }
            entries.add(new FileEntry(raw.path, raw.type, raw.mode, raw.uid, raw.gid, raw.size,
                Optional.ofNullable(raw.content), Optional.ofNullable(raw.target), hardlinkTo, raw.major, raw.minor,
                raw.xattrs));
        }
        return entries;
    }
}
