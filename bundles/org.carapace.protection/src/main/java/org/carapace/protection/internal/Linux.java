package org.carapace.protection.internal;

import com.sun.jna.Function;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;

/**
 * The few Linux calls the protection engine makes, through JNA direct mapping (a JNI call each, no reflection on
 * the hot path). Structures are read from off-heap {@link Memory} at fixed offsets: {@code statx} is used instead of
 * {@code fstat} because its layout is the same on every architecture.
 *
 * <p>Error handling follows the C calls: a negative result and {@link #errno()}; callers on the responder path
 * return result codes, setup code turns them into exceptions.
 */
final class Linux {

    // fanotify_init(2), fanotify_mark(2): include/uapi/linux/fanotify.h
    static final int FAN_CLOEXEC = 0x1;
    static final int FAN_NONBLOCK = 0x2;
    static final int FAN_CLASS_CONTENT = 0x4;
    static final int FAN_UNLIMITED_QUEUE = 0x10;
    static final int FAN_MARK_ADD = 0x1;
    static final int FAN_MARK_REMOVE = 0x2;
    static final int FAN_MARK_MOUNT = 0x10;
    static final int FAN_MARK_IGNORED_MASK = 0x20;
    static final int FAN_MARK_EVICTABLE = 0x200;
    static final long FAN_OPEN_PERM = 0x00010000L;
    static final long FAN_OPEN_EXEC_PERM = 0x00040000L;
    static final int FAN_ALLOW = 0x01;
    static final int FAN_DENY = 0x02;
    static final int FAN_NOFD = -1;
    static final int FAN_EVENT_METADATA_LEN = 24;

    static final int O_RDONLY = 0;
    static final int O_WRONLY = 1;
    static final int O_RDWR = 2;
    static final int O_ACCMODE = 3;
    static final int O_CREAT = 0100;
    static final int O_TRUNC = 01000;
    static final int O_DIRECTORY = 0200000;
    static final int O_CLOEXEC = 02000000;
    static final int O_LARGEFILE = 0100000;
    static final int O_NONBLOCK = 04000;
    static final int F_SETPIPE_SZ = 1031;

    static final int AT_FDCWD = -100;
    static final int AT_SYMLINK_NOFOLLOW = 0x100;
    static final int AT_EMPTY_PATH = 0x1000;
    static final int STATX_BASIC_STATS = 0x7ff;
    static final int STATX_SIZE = 256;

    static final int POLLIN = 0x1;
    static final int EINTR = 4;
    static final int EAGAIN = 11;
    static final int ENOENT = 2;

    static final int CLONE_FS = 0x00000200;
    static final int CLONE_NEWNS = 0x00020000;
    static final long MS_BIND = 4096;
    static final long MS_REC = 16384;
    static final long MOUNT_ATTR_RDONLY = 0x1;
    /** mount_setattr(2) has the same number on x86-64 and arm64 (generic syscall table). */
    static final long SYS_MOUNT_SETATTR = 442;

    static {
        Native.register(Linux.class, NativeLibrary.getInstance("c", Linux.class.getClassLoader()));
    }

    private Linux() {
    }

    static native int fanotify_init(int flags, int eventFlags);

    static native int fanotify_mark(int fd, int flags, long mask, int dirfd, String path);

    static native long read(int fd, Pointer buf, long count);

    static native long write(int fd, Pointer buf, long count);

    static native long pread(int fd, Pointer buf, long count, long offset);

    static native int open(String path, int flags);

    static native int close(int fd);

    static native int poll(Pointer fds, long nfds, int timeoutMillis);

    static native int statx(int dirfd, String path, int flags, int mask, Pointer buf);

    static native int setns(int fd, int nstype);

    static native int unshare(int flags);

    static native int mount(String source, String target, String fstype, long flags, Pointer data);

    static native long readlink(String path, Pointer buf, long size);

    static native int pipe2(int[] fds, int flags);

    static native int fcntl(int fd, int cmd, int arg);

    static int errno() {
        return Native.getLastError();
    }

    static String strerror(int errno) {
        return Function.getFunction("c", "strerror").invokeString(new Object[] {errno}, false) + " (errno " + errno + ")";
    }

    /** mount_setattr(dirfd, path, flags, &attr, sizeof attr): set {@code attrSet} on one mount (not recursive). */
    static int mountSetattr(String path, long attrSet) {
        // struct mount_attr { __u64 attr_set, attr_clr, propagation, userns_fd; }
        Memory attr = new Memory(32);
        attr.clear();
        attr.setLong(0, attrSet);
        Function syscall = Function.getFunction("c", "syscall");
        return syscall.invokeInt(new Object[] {SYS_MOUNT_SETATTR, AT_FDCWD, path, 0, attr, 32L});
    }

    /** Fields of a {@code struct statx} buffer (include/uapi/linux/stat.h). */
    static int statxMode(Pointer buf) {
        return buf.getShort(28) & 0xffff;
    }

    static long statxIno(Pointer buf) {
        return buf.getLong(32);
    }

    static long statxSize(Pointer buf) {
        return buf.getLong(40);
    }

    static long statxCtimeSec(Pointer buf) {
        return buf.getLong(96);
    }

    static int statxCtimeNsec(Pointer buf) {
        return buf.getInt(104);
    }

    /** The device as one number, {@code major << 32 | minor}: a key, not the kernel's dev_t encoding. */
    static long statxDev(Pointer buf) {
        return ((long) buf.getInt(136) << 32) | (buf.getInt(140) & 0xffffffffL);
    }

    static boolean isRegular(int mode) {
        return (mode & 0170000) == 0100000;
    }

    static boolean isDirectory(int mode) {
        return (mode & 0170000) == 0040000;
    }
}
