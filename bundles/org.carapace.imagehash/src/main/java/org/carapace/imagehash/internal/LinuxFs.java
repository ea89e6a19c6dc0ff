package org.carapace.imagehash.internal;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * The few Linux system calls the directory walker needs, through JNA direct mapping (the fastest JNA call path):
 * {@code openat}, {@code statx}, {@code getdents64}, {@code readlinkat}, {@code read}, {@code fgetxattr},
 * {@code lgetxattr}. Names are raw bytes throughout, so file names are never passed through the JVM's file-name
 * encoding (which, under a POSIX locale, would turn every non-ASCII name into '?').
 *
 * <p>{@code statx} and {@code linux_dirent64} have the same layout on every architecture; the {@code open} flags
 * differ between x86-64 and aarch64, the two architectures supported (64-bit only: {@code size_t} is mapped to
 * {@code long}). Needs glibc 2.30 or later ({@code getdents64}).
 */
final class LinuxFs {

    static final int AT_FDCWD = -100;
    static final int AT_SYMLINK_NOFOLLOW = 0x100;
    static final int AT_EMPTY_PATH = 0x1000;
    static final int STATX_BASIC_STATS = 0x7ff;
    static final int O_RDONLY = 0;
    static final int O_NONBLOCK = 0x800;
    static final int O_CLOEXEC = 0x80000;
    static final int O_DIRECTORY;
    static final int O_NOFOLLOW;

    static final int ENOENT = 2;
    static final int EINTR = 4;
    static final int EACCES = 13;
    static final int ENXIO = 6;
    static final int ENOTDIR = 20;
    static final int ERANGE = 34;
    static final int ELOOP = 40;
    static final int ENODATA = 61;
    static final int ENOTSUP = 95;

    static final int S_IFMT = 0170000;
    static final int S_IFSOCK = 0140000;
    static final int S_IFLNK = 0120000;
    static final int S_IFREG = 0100000;
    static final int S_IFBLK = 060000;
    static final int S_IFDIR = 040000;
    static final int S_IFCHR = 020000;
    static final int S_IFIFO = 010000;

    private static final String UNSUPPORTED;

    static {
        String arch = System.getProperty("os.arch", "");
        String os = System.getProperty("os.name", "");
        if (!os.startsWith("Linux")) {
            UNSUPPORTED = "directory hashing needs Linux, this is " + os;
            O_DIRECTORY = 0;
            O_NOFOLLOW = 0;
        } else if (arch.equals("amd64") || arch.equals("x86_64")) {
            UNSUPPORTED = null;
            O_DIRECTORY = 0200000;
            O_NOFOLLOW = 0400000;
        } else if (arch.equals("aarch64") || arch.equals("arm64")) {
            UNSUPPORTED = null;
            O_DIRECTORY = 040000;
            O_NOFOLLOW = 0100000;
        } else {
            UNSUPPORTED = "directory hashing supports x86-64 and aarch64, this is " + arch;
            O_DIRECTORY = 0;
            O_NOFOLLOW = 0;
        }
    }

    private LinuxFs() {
    }

    /** Why directory hashing cannot work here, or null when it can. */
    static String unsupportedReason() {
        return UNSUPPORTED;
    }

    /** Direct-mapped libc. Loaded on first use only, so layered sources never need native code. */
    static final class Libc {
        static {
            Native.register(Libc.class, NativeLibrary.getInstance("c"));
        }

        private Libc() {
        }

        static native int openat(int dirfd, byte[] path, int flags, int mode);

        static native int close(int fd);

        static native int statx(int dirfd, byte[] path, int flags, int mask, Pointer buffer);

        static native long getdents64(int fd, Pointer buffer, long count);

        static native long readlinkat(int dirfd, byte[] path, Pointer buffer, long size);

        static native long read(int fd, Pointer buffer, long count);

        static native long fgetxattr(int fd, byte[] name, Pointer value, long size);

        static native long lgetxattr(byte[] path, byte[] name, Pointer value, long size);

        static native Pointer mmap(Pointer address, long length, int protection, int flags, int fd, long offset);

        static native int munmap(Pointer address, long length);
    }

    static final int PROT_READ = 1;
    static final int MAP_PRIVATE = 2;
    /** {@code MAP_FAILED}, {@code (void *) -1}. */
    static final long MAP_FAILED = -1L;

    /** The fields of {@code struct statx} the walker uses. */
    static final class Stat {
        int mode;
        long uid;
        long gid;
        long ino;
        long size;
        long nlink;
        long mtimeSec;
        int mtimeNsec;
        long ctimeSec;
        int ctimeNsec;
        long rdevMajor;
        long rdevMinor;
        long devMajor;
        long devMinor;

        int type() {
            return mode & S_IFMT;
        }

        /** Reads {@code struct statx} (include/uapi/linux/stat.h), identical on every architecture. */
        void read(Pointer p) {
            nlink = p.getInt(16) & 0xffffffffL;
            uid = p.getInt(20) & 0xffffffffL;
            gid = p.getInt(24) & 0xffffffffL;
            mode = p.getShort(28) & 0xffff;
            ino = p.getLong(32);
            size = p.getLong(40);
            ctimeSec = p.getLong(96);
            ctimeNsec = p.getInt(104);
            mtimeSec = p.getLong(112);
            mtimeNsec = p.getInt(120);
            rdevMajor = p.getInt(128) & 0xffffffffL;
            rdevMinor = p.getInt(132) & 0xffffffffL;
            devMajor = p.getInt(136) & 0xffffffffL;
            devMinor = p.getInt(140) & 0xffffffffL;
        }

        boolean sameFile(Stat other) {
            return ino == other.ino && devMajor == other.devMajor && devMinor == other.devMinor && type() == other.type();
        }

        boolean sameVersion(Stat other) {
            return sameFile(other) && size == other.size && mtimeSec == other.mtimeSec && mtimeNsec == other.mtimeNsec
                && ctimeSec == other.ctimeSec && ctimeNsec == other.ctimeNsec;
        }
    }

    /** Per-thread native buffers. */
    static final class Scratch {
        final Memory stat = new Memory(256);
        final Memory dirents = new Memory(1 << 16);
        final Memory data = new Memory(1 << 20);
        final Memory link = new Memory(4097);
        final Memory xattr;
        final byte[] heap = new byte[1 << 20];

        Scratch(int maxXattrBytes) {
            xattr = new Memory(maxXattrBytes + 1L);
        }
    }

    /** A NUL-terminated copy of a name. */
    static byte[] cString(byte[] name) {
        byte[] c = new byte[name.length + 1];
        System.arraycopy(name, 0, c, 0, name.length);
        return c;
    }

    static byte[] cString(String text) {
        return cString(text.getBytes(StandardCharsets.UTF_8));
    }

    static int errno() {
        return Native.getLastError();
    }

    /** An IOException naming the call, the path and the errno. */
    static IOException failure(String call, String path, int errno) {
        return new IOException(call + " " + path + ": errno " + errno + " (" + describe(errno) + ")");
    }

    static String describe(int errno) {
        return switch (errno) {
            case ENOENT -> "no such file or directory";
            case EACCES -> "permission denied";
            case ENOTDIR -> "not a directory";
            case ELOOP -> "symbolic link (not followed)";
            case ENODATA -> "no such attribute";
            case ENOTSUP -> "not supported";
            case ERANGE -> "value too large";
            default -> "see errno(3)";
        };
    }
}
