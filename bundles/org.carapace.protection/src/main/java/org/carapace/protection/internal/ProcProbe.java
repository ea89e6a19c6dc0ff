package org.carapace.protection.internal;

import com.sun.jna.Memory;
import java.nio.charset.StandardCharsets;

/**
 * {@link ProcessProbe} on procfs through JNA, with per-thread buffers.
 *
 * <p>The pending system call's open flags come from {@code /proc/<pid>/syscall} (proc(5)): the process is blocked in
 * {@code open}/{@code openat}/{@code creat}/{@code openat2} while the kernel waits for the fanotify answer, so its
 * arguments are stable. For {@code openat2} the flags live in the caller's {@code struct open_how}, read from
 * {@code /proc/<pid>/mem}. Anything else (an io_uring open, an {@code execve}) is {@link WriteIntent#UNKNOWN} or
 * {@link WriteIntent#READ}.
 */
final class ProcProbe implements ProcessProbe {

    private final int[] openNumbers;
    private final int openatNumber;
    private final int creatNumber;
    private final int openat2Number;
    private final int[] execNumbers;
    private final ThreadLocal<Memory> buffers = ThreadLocal.withInitial(() -> new Memory(4096));

    ProcProbe() {
        String arch = System.getProperty("os.arch");
        if ("amd64".equals(arch) || "x86_64".equals(arch)) {
            openNumbers = new int[] {2};
            openatNumber = 257;
            creatNumber = 85;
            openat2Number = 437;
            execNumbers = new int[] {59, 322};
        } else if ("aarch64".equals(arch)) {
            openNumbers = new int[0];
            openatNumber = 56;
            creatNumber = -1;
            openat2Number = 437;
            execNumbers = new int[] {221, 281};
        } else {
            throw new IllegalStateException("unsupported architecture for write inspection: " + arch);
        }
    }

    @Override
    public WriteIntent writeIntent(int pid) {
        String line = readSmall("/proc/" + pid + "/syscall");
        if (line == null || line.startsWith("running")) {
            return WriteIntent.UNKNOWN;
        }
        String[] f = line.trim().split(" ");
        int nr;
        try {
            nr = Integer.parseInt(f[0]);
        } catch (NumberFormatException e) {
            return WriteIntent.UNKNOWN;
        }
        if (nr == creatNumber) {
            return WriteIntent.WRITE;
        }
        long flags;
        if (contains(openNumbers, nr) && f.length > 2) {
            flags = hex(f[2]);
        } else if (nr == openatNumber && f.length > 3) {
            flags = hex(f[3]);
        } else if (nr == openat2Number && f.length > 3) {
            flags = openHowFlags(pid, hex(f[3]));
        } else if (contains(execNumbers, nr)) {
            return WriteIntent.READ;
        } else {
            return WriteIntent.UNKNOWN;
        }
        if (flags < 0) {
            return WriteIntent.UNKNOWN;
        }
        int acc = (int) (flags & Linux.O_ACCMODE);
        return acc != Linux.O_RDONLY || (flags & Linux.O_TRUNC) != 0 ? WriteIntent.WRITE : WriteIntent.READ;
    }

    /** openat2(dirfd, path, struct open_how *how, size): the first field of open_how is the u64 flags. */
    private long openHowFlags(int pid, long address) {
        if (address <= 0) {
            return -1;
        }
        int fd = Linux.open("/proc/" + pid + "/mem", Linux.O_RDONLY | Linux.O_CLOEXEC);
        if (fd < 0) {
            return -1;
        }
        try {
            Memory buf = buffers.get();
            return Linux.pread(fd, buf, 8, address) == 8 ? buf.getLong(0) : -1;
        } finally {
            Linux.close(fd);
        }
    }

    @Override
    public long mountNamespace(int pid) {
        Memory buf = buffers.get();
        return Linux.statx(Linux.AT_FDCWD, "/proc/" + pid + "/ns/mnt", 0, Linux.STATX_BASIC_STATS, buf) == 0
            ? Linux.statxIno(buf) : -1;
    }

    @Override
    public FileKey executable(int pid) {
        Memory buf = buffers.get();
        if (Linux.statx(Linux.AT_FDCWD, "/proc/" + pid + "/exe", 0, Linux.STATX_BASIC_STATS, buf) != 0) {
            return null;
        }
        return new FileKey(Linux.statxDev(buf), Linux.statxIno(buf), Linux.statxCtimeSec(buf), Linux.statxCtimeNsec(buf));
    }

    @Override
    public String executablePath(int pid) {
        return readLink("/proc/" + pid + "/exe");
    }

    @Override
    public String fdPath(int fd) {
        return readLink("/proc/self/fd/" + fd);
    }

    private String readLink(String link) {
        Memory buf = buffers.get();
        long n = Linux.readlink(link, buf, buf.size());
        return n > 0 ? new String(buf.getByteArray(0, (int) n), StandardCharsets.UTF_8) : "?";
    }

    private String readSmall(String path) {
        int fd = Linux.open(path, Linux.O_RDONLY | Linux.O_CLOEXEC);
        if (fd < 0) {
            return null;
        }
        try {
            Memory buf = buffers.get();
            long n = Linux.read(fd, buf, buf.size());
            return n > 0 ? new String(buf.getByteArray(0, (int) n), StandardCharsets.US_ASCII) : null;
        } finally {
            Linux.close(fd);
        }
    }

    private static long hex(String s) {
        try {
            return s.startsWith("0x") ? Long.parseUnsignedLong(s.substring(2), 16) : Long.parseLong(s);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static boolean contains(int[] values, int v) {
        for (int x : values) {
            if (x == v) {
                return true;
            }
        }
        return false;
    }
}
