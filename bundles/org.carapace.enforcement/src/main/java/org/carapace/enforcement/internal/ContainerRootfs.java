package org.carapace.enforcement.internal;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.carapace.enforcement.internal.OciBundle.BundleException;

/**
 * The root file system a container is really about to run from, pinned for the decision, and the mounts it has.
 *
 * <p>The gate learns the root file system from {@code config.json}, a file on the host that whoever can write the host
 * can change after the runtime has read it (swap {@code root.path}, rename directories, rewrite the mounts). What the
 * container will run is fixed differently: at {@code createRuntime} the runtime has already created the container's
 * mount namespace, bind-mounted the root file system onto itself there and set up every mount below it, and its init
 * process (the state's {@code pid}) waits, not yet pivoted. So the gate looks <em>through that namespace</em>:
 * <ul>
 * <li>the container's own mounts are those of {@code /proc/PID/mountinfo} that the gate's (the host's) namespace does
 *     not have ({@link #ownMounts});</li>
 * <li>exactly one of them must have a parent that is not the container's own: the root file system; every other
 *     one is below it. It must be at the path {@code config.json} names, else the container is refused;</li>
 * <li>the gate opens {@code /proc/PID/root/ROOTFS} as an {@code O_PATH} descriptor, which must be on exactly that
 *     mount ({@code statx} {@code STATX_MNT_ID}), and hashes below it ({@code /proc/self/fd/N}): however the host's
 *     paths change meanwhile, the walk stays in that tree;</li>
 * <li>the mounts below the root, as the container really has them, are what the decision leaves out of the digest
 *     and checks against the allowed destinations — not the list {@code config.json} shows now.</li>
 * </ul>
 *
 * <p>Limits: the gate must run in the same mount namespace as the container runtime (the host's). Root on the host
 * can still enter the container's namespace ({@code setns}) and change its mounts after the decision; that is beyond
 * what a {@code createRuntime} hook can see (see {@code docs/gate-protocol.md}).
 */
final class ContainerRootfs {

    /** Finds and pins the root file system of the container whose init process is {@code pid}. */
    interface Locator {
        /**
         * @param rootfs             the root file system {@code config.json} names (absolute, links resolved)
         * @param configDestinations the mount destinations {@code config.json} names (for views that cannot see mounts)
         */
        Pinned pin(long pid, Path rootfs, List<String> configDestinations) throws BundleException;
    }

    /** A pinned root file system: {@link #path()} stays the same directory until closed. */
    interface Pinned extends AutoCloseable {
        Path path();

        /** Where the container has mounts below its root, as absolute paths inside the container, sorted. */
        List<String> mountPoints();

        @Override
        void close();
    }

    /** One line of {@code /proc/PID/mountinfo}. */
    record MountEntry(long id, long parent, String device, byte[] root, byte[] mountPoint) {
        /** What identifies the same mount in a copied namespace: mount ids are new in every copy, these are not. */
        String key() {
            return device + " " + new String(root, StandardCharsets.ISO_8859_1) + " " + new String(mountPoint,
                StandardCharsets.ISO_8859_1);
        }
    }

    private static final int O_PATH = 010000000;
    private static final int O_CLOEXEC = 02000000;
    private static final int O_DIRECTORY = 0200000;
    private static final int AT_EMPTY_PATH = 0x1000;
    private static final int AT_FDCWD = -100;
    private static final int STATX_TYPE = 0x1;
    private static final int STATX_MNT_ID = 0x1000;
    private static final int S_IFMT = 0170000;
    private static final int S_IFDIR = 040000;
    /** Offsets in {@code struct statx} (include/uapi/linux/stat.h), the same on every architecture. */
    private static final int STX_MASK = 0;
    private static final int STX_MODE = 28;
    private static final int STX_INO = 32;
    private static final int STX_DEV_MAJOR = 136;
    private static final int STX_DEV_MINOR = 140;
    private static final int STX_MNT_ID = 144;
    private static final int STATX_INO = 0x100;
    private static final int AT_SYMLINK_NOFOLLOW = 0x100;
    /** How often the mount tables are read before a host whose table keeps changing makes the gate give up. */
    private static final int MAX_TABLE_READS = 20;

    /** Direct-mapped libc: the calls the pinning needs (and the warm-up's priority). */
    static final class Libc {
        static {
            Native.register(Libc.class, NativeLibrary.getInstance("c"));
        }

        private Libc() {
        }

        static native int open(byte[] path, int flags, int mode);

        static native int statx(int dirfd, byte[] path, int flags, int mask, Pointer buffer);

        static native int close(int fd);

        /** On Linux the nice value is per thread: {@code setpriority(PRIO_PROCESS, 0, n)} sets the calling thread's. */
        static native int setpriority(int which, int who, int prio);
    }

    /** Through the container's mount namespace, as described above. */
    static final class MountNamespace implements Locator {
        private final Path proc;
        private final int maxMountinfoBytes;

        MountNamespace(Path proc, int maxMountinfoBytes) {
            this.proc = proc;
            this.maxMountinfoBytes = maxMountinfoBytes;
        }

        @Override
        public Pinned pin(long pid, Path rootfs, List<String> configDestinations) throws BundleException {
            if (pid <= 0) {
                throw new BundleException("the container state names no init process (pid " + pid
                    + "): the gate cannot see which root file system the container will run");
            }
            Charset names = Charset.forName(System.getProperty("sun.jnu.encoding", "UTF-8"));
            byte[] target = rootfs.toString().getBytes(names);
            // the host's table is read before and after the container's, until both agree: a host mount that comes or
            // goes in between (and propagates into the container's namespace) would otherwise look like its own
            Path hostTable = proc.resolve("self").resolve("mountinfo");
            byte[] before = read(hostTable, pid);
            byte[] theirBytes;
            byte[] after;
            int attempts = 0;
            while (true) {
                theirBytes = read(proc.resolve(Long.toString(pid)).resolve("mountinfo"), pid);
                after = read(hostTable, pid);
                if (Arrays.equals(before, after)) {
                    break;
                }
                if (++attempts >= MAX_TABLE_READS) {
                    throw new BundleException("the host's mount table kept changing while the gate read the container's ("
                        + MAX_TABLE_READS + " attempts)");
                }
                before = after;
            }
            List<MountEntry> theirs = parse(theirBytes);
            List<MountEntry> ours = parse(after);
            List<MountEntry> own = ownMounts(theirs, ours);
            Set<Long> ownIds = new HashSet<>();
            for (MountEntry entry : own) {
                ownIds.add(entry.id());
            }
            // the root file system is the one mount the runtime made whose parent it did not make: every other mount
            // of the container's own is below it
            List<MountEntry> outermost = new ArrayList<>();
            for (MountEntry entry : own) {
                if (!ownIds.contains(entry.parent())) {
                    outermost.add(entry);
                }
            }
            if (outermost.isEmpty()) {
                throw new BundleException("root file system " + rootfs + " is not mounted for the container (process " + pid
                    + " has no mount of its own): the state's process is not a container being created");
            }
            if (outermost.size() > 1) {
                List<String> where = new ArrayList<>();
                for (MountEntry entry : outermost) {
                    where.add(new String(entry.mountPoint(), names));
                }
                throw new BundleException("the container's mount namespace (process " + pid + ") has more than one tree of its"
                    + " own, at " + where + ": cannot tell which one it will run");
            }
            MountEntry root = outermost.get(0);
            if (!Arrays.equals(root.mountPoint(), target)) {
                throw new BundleException("root file system " + rootfs + " is not mounted for the container: it runs "
                    + new String(root.mountPoint(), names) + " (root.path changed, or the directory was renamed, after the"
                    + " runtime read it)");
            }
            List<String> mountPoints = new ArrayList<>();
            for (MountEntry entry : own) {
                if (entry != root) {
                    byte[] point = entry.mountPoint();
                    if (Arrays.equals(point, target)) {
                        throw new BundleException("something is mounted over the container's root file system " + rootfs
                            + " in its mount namespace (mount " + entry.id() + ")");
                    }
                    // below the root by construction (its parent chain leads to the root); the path inside the container
                    if (point.length <= target.length + 1 || point[target.length] != '/'
                        || !Arrays.equals(Arrays.copyOf(point, target.length), target)) {
                        throw new BundleException("the container has a mount at " + new String(point, names)
                            + ", outside its root file system " + rootfs);
                    }
                    mountPoints.add(new String(point, target.length, point.length - target.length, names));
                }
            }
            mountPoints.sort(null);
            byte[] through = concat(proc.resolve(Long.toString(pid)).resolve("root").toString().getBytes(names), target);
            int fd = Libc.open(through, O_PATH | O_CLOEXEC, 0);
            if (fd < 0) {
                throw new BundleException("cannot open root file system " + rootfs + " in the container's mount namespace: errno "
                    + Native.getLastError());
            }
            boolean kept = false;
            try (Memory stat = new Memory(256)) {
                stat.clear();
                if (Libc.statx(fd, new byte[] {0}, AT_EMPTY_PATH, STATX_TYPE | STATX_INO | STATX_MNT_ID, stat) != 0) {
                    throw new BundleException("cannot stat root file system " + rootfs + ": errno " + Native.getLastError());
                }
                if ((stat.getInt(STX_MASK) & STATX_MNT_ID) == 0) {
                    throw new BundleException("the kernel does not report mount ids (STATX_MNT_ID, Linux 5.8): cannot pin"
                        + " the container's root file system");
                }
                if (((stat.getShort(STX_MODE) & 0xffff) & S_IFMT) != S_IFDIR) {
                    throw new BundleException("root file system " + rootfs + " is not a directory in the container's mount namespace");
                }
                long actual = stat.getLong(STX_MNT_ID);
                // ...and the tree at that mount is the directory config.json names, as the host has it: not another
                // tree the runtime was led to mount there
                long inode = stat.getLong(STX_INO);
                long major = stat.getInt(STX_DEV_MAJOR) & 0xffffffffL;
                long minor = stat.getInt(STX_DEV_MINOR) & 0xffffffffL;
                stat.clear();
                if (Libc.statx(AT_FDCWD, concat(new byte[0], target), AT_SYMLINK_NOFOLLOW, STATX_TYPE | STATX_INO, stat) != 0) {
                    throw new BundleException("cannot stat root file system " + rootfs + ": errno " + Native.getLastError());
                }
                if (stat.getLong(STX_INO) != inode || (stat.getInt(STX_DEV_MAJOR) & 0xffffffffL) != major
                    || (stat.getInt(STX_DEV_MINOR) & 0xffffffffL) != minor) {
                    throw new BundleException("the container's root file system is not the directory " + rootfs
                        + " (device or inode differ): the runtime was led to mount another tree there");
                }
                if (actual != root.id()) {
                    throw new BundleException("root file system " + rootfs + " changed while the gate looked at it (mount " + actual
                        + " instead of the container's mount " + root.id() + ")");
                }
                kept = true;
                return new Descriptor(fd, List.copyOf(mountPoints));
            } finally {
                if (!kept) {
                    Libc.close(fd);
                }
            }
        }

        private byte[] read(Path mountinfo, long pid) throws BundleException {
            try (InputStream in = Files.newInputStream(mountinfo)) {
                ByteArrayOutputStream out = new ByteArrayOutputStream(16 << 10);
                byte[] buffer = new byte[16 << 10];
                for (int n; (n = in.read(buffer)) > 0;) {
                    if (out.size() + n > maxMountinfoBytes) {
                        throw new BundleException(mountinfo + " is larger than " + maxMountinfoBytes + " bytes (maxMountinfoBytes)");
                    }
                    out.write(buffer, 0, n);
                }
                return out.toByteArray();
            } catch (NoSuchFileException e) {
                throw new BundleException("the container's init process " + pid + " is not running");
            } catch (IOException e) {
                throw new BundleException("cannot read " + mountinfo + ": " + e.getMessage());
            }
        }
    }

    private ContainerRootfs() {
    }

    /**
     * {@code proc(5)}: "ID PARENT MAJOR:MINOR ROOT MOUNT_POINT OPTIONS ...", root and mount point with space, tab,
     * newline and backslash escaped as three octal digits; in the namespace's order (a mount comes after its parent,
     * and the last of several at one point is on top).
     */
    static List<MountEntry> parse(byte[] mountinfo) throws BundleException {
        List<MountEntry> entries = new ArrayList<>();
        int start = 0;
        while (start < mountinfo.length) {
            int end = start;
            while (end < mountinfo.length && mountinfo[end] != '\n') {
                end++;
            }
            if (end > start) {
                String line = new String(mountinfo, start, end - start, StandardCharsets.ISO_8859_1);
                String[] fields = line.split(" ", 6);
                if (fields.length < 6) {
                    throw new BundleException("unreadable mount table line: " + line);
                }
                try {
                    entries.add(new MountEntry(Long.parseLong(fields[0]), Long.parseLong(fields[1]), fields[2],
                        unescape(fields[3]), unescape(fields[4])));
                } catch (NumberFormatException e) {
                    throw new BundleException("unreadable mount table line: " + line);
                }
            }
            start = end + 1;
        }
        return entries;
    }

    /**
     * The container's own mounts: those of its namespace that the gate's (the host's) namespace does not have. A
     * namespace copy keeps each mount's device, root and mount point (not its id) and the order; so, per key, the
     * first as many as the host has are copies, and the rest are the container's own.
     */
    static List<MountEntry> ownMounts(List<MountEntry> theirs, List<MountEntry> ours) {
        Map<String, Integer> copies = new HashMap<>();
        for (MountEntry entry : ours) {
            copies.merge(entry.key(), 1, Integer::sum);
        }
        List<MountEntry> own = new ArrayList<>();
        for (MountEntry entry : theirs) {
            Integer left = copies.get(entry.key());
            if (left != null && left > 0) {
                copies.put(entry.key(), left - 1);
            } else {
                own.add(entry);
            }
        }
        return own;
    }

    private static byte[] unescape(String field) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(field.length());
        for (int i = 0; i < field.length(); i++) {
            char c = field.charAt(i);
            if (c == '\\' && isOctal(field, i + 1)) {
                out.write(Integer.parseInt(field.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                out.write((byte) c); // ISO-8859-1: one char per byte
            }
        }
        return out.toByteArray();
    }

    private static boolean isOctal(String s, int from) {
        if (from + 3 > s.length()) {
            return false;
        }
        for (int i = from; i < from + 3; i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '7') {
                return false;
            }
        }
        return true;
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] joined = Arrays.copyOf(a, a.length + b.length + 1); // NUL-terminated
        System.arraycopy(b, 0, joined, a.length, b.length);
        return joined;
    }

    /**
     * A directory as the runtime's own mount namespace has it, pinned the same way (for the gate's warm-up, which
     * decides on a synthetic root file system that no container runs).
     */
    static Pinned hostDirectory(Path directory) throws BundleException {
        byte[] path = directory.toString().getBytes(Charset.forName(System.getProperty("sun.jnu.encoding", "UTF-8")));
        int fd = Libc.open(Arrays.copyOf(path, path.length + 1), O_PATH | O_CLOEXEC | O_DIRECTORY, 0);
        if (fd < 0) {
            throw new BundleException("cannot open directory " + directory + ": errno " + Native.getLastError());
        }
        return new Descriptor(fd, List.of());
    }

    /** An {@code O_PATH} descriptor, seen through {@code /proc/self/fd}. */
    private static final class Descriptor implements Pinned {
        private final int fd;
        private final List<String> mountPoints;
        private boolean closed;

        Descriptor(int fd, List<String> mountPoints) {
            this.fd = fd;
            this.mountPoints = mountPoints;
        }

        @Override
        public List<String> mountPoints() {
            return mountPoints;
        }

        @Override
        public Path path() {
            return Path.of("/proc/self/fd/" + fd);
        }

        @Override
        public synchronized void close() {
            if (!closed) {
                closed = true;
                Libc.close(fd);
            }
        }
    }
}
