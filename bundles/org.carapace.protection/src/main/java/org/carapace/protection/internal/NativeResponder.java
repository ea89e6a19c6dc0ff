package org.carapace.protection.internal;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import java.util.Map;

/**
 * The native fast path ({@code src/main/c/carapace-responder.c}, shipped in the bundle as
 * {@code <jna-platform>/libcarapace-responder.so}): one POSIX thread per container, never attached to the JVM,
 * answers every permission event whose verdict Java has put in its table, and forwards the rest to Java through a
 * pipe. Garbage collection pauses therefore delay only forwarded events (unknown files, per-process rules,
 * violations), never a cached decision.
 */
final class NativeResponder {

    static final int V_EXEC_OK = 0x1;
    static final int V_OPEN_OK = 0x2;
    static final int V_EXEC_IGNORE_EXEC = 0x100;
    static final int V_EXEC_IGNORE_OPEN = 0x200;
    static final int V_OPEN_IGNORE_EXEC = 0x400;
    static final int V_OPEN_IGNORE_OPEN = 0x800;
    /** One forwarded event on the pipe: struct forward in the C source. */
    static final int FORWARD_SIZE = 64;
    static final int STATS = 5;
    static final int HISTOGRAM = 2048 + 28;

    private static final Throwable LOAD_FAILURE;

    static {
        Throwable failure = null;
        try {
            Native.register(NativeResponder.class, NativeLibrary.getInstance("carapace-responder",
                Map.of(Library.OPTION_CLASSLOADER, NativeResponder.class.getClassLoader())));
        } catch (UnsatisfiedLinkError | RuntimeException e) {
            failure = e;
        }
        LOAD_FAILURE = failure;
    }

    private final Pointer handle;
    private final int forwardRead;
    private final int forwardWrite;

    /** Why the library could not be loaded, or {@code null} when it is available. */
    static Throwable loadFailure() {
        return LOAD_FAILURE;
    }

    NativeResponder(int fanotifyFd, int ownPid, int capacityLog2, boolean ignoreMarks, boolean defaultAllow,
                    int realtimePriority) {
        if (LOAD_FAILURE != null) {
            throw new IllegalStateException("the native responder is not available: " + LOAD_FAILURE);
        }
        int[] fds = new int[2];
        if (Linux.pipe2(fds, Linux.O_NONBLOCK | Linux.O_CLOEXEC) != 0) {
            throw new IllegalStateException("pipe2: " + Linux.strerror(Linux.errno()));
        }
        // room for thousands of forwarded events while Java is paused; a full pipe gets the default answer
        Linux.fcntl(fds[1], Linux.F_SETPIPE_SZ, 1 << 20);
        forwardRead = fds[0];
        forwardWrite = fds[1];
        handle = cr_create(fanotifyFd, ownPid, forwardWrite, capacityLog2, ignoreMarks ? 1 : 0, defaultAllow ? 1 : 0,
            realtimePriority);
        if (handle == null) {
            Linux.close(forwardRead);
            Linux.close(forwardWrite);
            throw new IllegalStateException("cannot create the native responder (capacity 2^" + capacityLog2 + ")");
        }
    }

    int forwardFd() {
        return forwardRead;
    }

    boolean put(FileKey key, int verdict) {
        return cr_put(handle, key.dev(), key.ino(), key.ctimeSec(), key.ctimeNsec(), verdict) == 0;
    }

    void start() {
        int rc = cr_start(handle);
        if (rc != 0) {
            throw new IllegalStateException("pthread_create: " + Linux.strerror(rc));
        }
    }

    long heartbeatNanos() {
        return cr_heartbeat(handle);
    }

    /** events, answered natively, forwarded, forward pipe full, errors; then the latency histogram. */
    long[] stats() {
        long[] out = new long[STATS + HISTOGRAM];
        cr_stats(handle, out, out.length);
        return out;
    }

    /** Stops the native thread (within about 100 ms) and frees it; closes the pipe. The fanotify fd stays open. */
    void destroy() {
        cr_stop(handle);
        // events forwarded but not yet read hold open fds: close them (the group is closed next, the kernel then
        // allows whatever is still pending)
        com.sun.jna.Memory buf = new com.sun.jna.Memory(FORWARD_SIZE * 64L);
        long n;
        while ((n = Linux.read(forwardRead, buf, buf.size())) > 0) {
            for (long off = 0; off + FORWARD_SIZE <= n; off += FORWARD_SIZE) {
                int fd = buf.getInt(off);
                if (fd >= 0) {
                    Linux.close(fd);
                }
            }
        }
        cr_destroy(handle);
        Linux.close(forwardRead);
        Linux.close(forwardWrite);
    }

    /**
     * Sets {@code vm.memfd_noexec=2} in the pid namespace of {@code pid} without starting a program.
     *
     * @return 0, or the helper's error code
     */
    static int forbidMemfdExec(long pid) {
        return cr_forbid_memfd_exec((int) pid);
    }

    private static native int cr_forbid_memfd_exec(int pid);

    private static native Pointer cr_create(int fanotifyFd, int ownPid, int forwardFd, int capacityLog2,
                                            int ignoreMarks, int defaultAllow, int realtimePriority);

    private static native int cr_put(Pointer handle, long dev, long ino, long ctimeSec, int ctimeNsec, int verdict);

    private static native int cr_start(Pointer handle);

    private static native void cr_stop(Pointer handle);

    private static native void cr_destroy(Pointer handle);

    private static native long cr_heartbeat(Pointer handle);

    private static native int cr_stats(Pointer handle, long[] out, int n);
}
