package org.carapace.enforcement.internal;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.Charset;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.carapace.enforcement.internal.OciBundle.BundleException;

/**
 * The root file system a container is really about to run from, pinned for the decision.
 *
 * <p>The gate learns the root file system from {@code config.json}, a file on the host that whoever can write the host
 * can change after the runtime has read it (swap {@code root.path}, rename directories, rewrite the mounts). What the
 * container will run is fixed differently: at {@code createRuntime} the runtime has already created the container's
 * mount namespace, bind-mounted the root file system onto itself there and set up every mount, and its init process
 * (the state's {@code pid}) waits, not yet pivoted. So the gate looks at the root file system <em>through that
 * namespace</em>: {@code /proc/PID/mountinfo} must show a mount at the root file system's path that the gate's own
 * (the host's) namespace does not have, the gate opens {@code /proc/PID/root/ROOTFS} as an {@code O_PATH} descriptor,
 * and that descriptor must be on exactly that mount ({@code statx} {@code STATX_MNT_ID}). The hash then walks the tree
 * below the descriptor ({@code /proc/self/fd/N}): what runc will pivot into, with the mounts the container will
 * really have (a mount that {@code config.json} no longer names is hashed as content, so it cannot hide anything),
 * however the host's paths change meanwhile.
 *
 * <p>The gate must run in the same mount namespace as the container runtime (the host's), as the runtime does.
 */
final class ContainerRootfs {

    /** Finds and pins the root file system of the container whose init process is {@code pid}. */
    interface Locator {
        Pinned pin(long pid, Path rootfs) throws BundleException;
    }

    /** A pinned root file system: {@link #path()} stays the same directory until closed. */
    interface Pinned extends AutoCloseable {
        Path path();

        @Override
        void close();
    }

    private static final int O_PATH = 010000000;
    private static final int O_CLOEXEC = 02000000;
    private static final int AT_EMPTY_PATH = 0x1000;
    private static final int STATX_TYPE = 0x1;
    private static final int STATX_MNT_ID = 0x1000;
    private static final int S_IFMT = 0170000;
    private static final int S_IFDIR = 040000;
    /** Offsets in {@code struct statx} (include/uapi/linux/stat.h), the same on every architecture. */
    private static final int STX_MASK = 0;
    private static final int STX_MODE = 28;
    private static final int STX_MNT_ID = 144;

    /** Direct-mapped libc: the three calls the pinning needs. */
    static final class Libc {
        static {
            Native.register(Libc.class, NativeLibrary.getInstance("c"));
        }

        private Libc() {
        }

        static native int open(byte[] path, int flags, int mode);

        static native int statx(int dirfd, byte[] path, int flags, int mask, Pointer buffer);

        static native int close(int fd);
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
        public Pinned pin(long pid, Path rootfs) throws BundleException {
            if (pid <= 0) {
                throw new BundleException("the container state names no init process (pid " + pid
                    + "): the gate cannot see which root file system the container will run");
            }
            Charset names = Charset.forName(System.getProperty("sun.jnu.encoding", "UTF-8"));
            byte[] target = rootfs.toString().getBytes(names);
            List<Long> theirs = mountsAt(read(proc.resolve(Long.toString(pid)).resolve("mountinfo"), pid), target);
            List<Long> ours = mountsAt(read(proc.resolve("self").resolve("mountinfo"), pid), target);
            if (theirs.size() <= ours.size()) {
                throw new BundleException("root file system " + rootfs + " is not mounted for the container (process " + pid
                    + " has no mount of its own there): the runtime is not about to run this directory, or root.path"
                    + " changed after the runtime read it");
            }
            long expected = theirs.get(theirs.size() - 1);
            byte[] through = concat(proc.resolve(Long.toString(pid)).resolve("root").toString().getBytes(names), target);
            int fd = Libc.open(through, O_PATH | O_CLOEXEC, 0);
            if (fd < 0) {
                throw new BundleException("cannot open root file system " + rootfs + " in the container's mount namespace: errno "
                    + Native.getLastError());
            }
            boolean kept = false;
            try (Memory stat = new Memory(256)) {
                stat.clear();
                if (Libc.statx(fd, new byte[] {0}, AT_EMPTY_PATH, STATX_TYPE | STATX_MNT_ID, stat) != 0) {
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
                if (actual != expected) {
                    throw new BundleException("root file system " + rootfs + " changed while the gate looked at it (mount " + actual
                        + " instead of the container's mount " + expected + ")");
                }
                kept = true;
                return new Descriptor(fd);
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
     * The mount ids of the mounts whose mount point is {@code target}, in the namespace's order (the last is on top).
     * {@code proc(5)}: "ID PARENT MAJOR:MINOR ROOT MOUNT_POINT OPTIONS ...", the mount point with space, tab, newline
     * and backslash escaped as three octal digits.
     */
    static List<Long> mountsAt(byte[] mountinfo, byte[] target) throws BundleException {
        List<Long> ids = new ArrayList<>();
        int start = 0;
        while (start < mountinfo.length) {
            int end = start;
            while (end < mountinfo.length && mountinfo[end] != '\n') {
                end++;
            }
            String[] fields = new String(mountinfo, start, end - start, java.nio.charset.StandardCharsets.ISO_8859_1).split(" ", 6);
            if (fields.length >= 5) {
                byte[] point = unescape(fields[4]);
                if (Arrays.equals(point, target)) {
                    try {
                        ids.add(Long.parseLong(fields[0]));
                    } catch (NumberFormatException e) {
                        throw new BundleException("unreadable mount table line: " + fields[0]);
                    }
                }
            }
            start = end + 1;
        }
        return ids;
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

    /** An {@code O_PATH} descriptor, seen through {@code /proc/self/fd}. */
    private static final class Descriptor implements Pinned {
        private final int fd;
        private boolean closed;

        Descriptor(int fd) {
            this.fd = fd;
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
