package org.carapace.protection.internal;

import com.sun.jna.Function;
import com.sun.jna.Memory;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Tells, the moment it happens, that a protected container's init process has exited, so its protection is released
 * without an OCI {@code poststop} hook (one process start less per container). One thread waits in {@code poll(2)} on
 * a process file descriptor ({@code pidfd_open(2)}, Linux 5.3) per watched process plus a wake-up pipe; a pidfd
 * becomes readable when its process exits, and it names that process, never a later one that reuses its pid.
 *
 * <p>The caller checks, after {@link #watch} returned, that the pid is still the process it means (mount namespace,
 * start time): a pid reused between that check and the open would otherwise be watched instead.
 */
final class ExitWatcher implements AutoCloseable {

    /** pidfd_open(2) has the same number on x86-64 and arm64 (generic syscall table). */
    static final long SYS_PIDFD_OPEN = 434;
    static final int ESRCH = 3;
    private static final int POLLFD_BYTES = 8; // struct pollfd { int fd; short events; short revents; }

    private final Consumer<ProtectedContainer> onExit;
    private final Map<ProtectedContainer, Integer> watched = new IdentityHashMap<>();
    private final int[] wake = new int[2];
    private final Thread thread;
    private volatile boolean running = true;

    /**
     * @param onExit called on the watcher's thread, once per watched container whose init process exited
     */
    ExitWatcher(Consumer<ProtectedContainer> onExit) {
        this.onExit = onExit;
        if (Linux.pipe2(wake, Linux.O_NONBLOCK | Linux.O_CLOEXEC) != 0) {
            throw new IllegalStateException("pipe2: " + Linux.strerror(Linux.errno()));
        }
        this.thread = new Thread(this::run, "carapace-protection-exits");
        thread.setDaemon(true);
        thread.start();
    }

    /**
     * Starts watching a container's init process.
     *
     * @return false when the process is already gone (the caller releases the container itself)
     * @throws IllegalStateException when the kernel has no pidfd_open (before Linux 5.3) or the call fails otherwise;
     *                               the watchdog's periodic check still releases the container then
     */
    boolean watch(ProtectedContainer c) {
        Function syscall = Function.getFunction("c", "syscall");
        int fd = syscall.invokeInt(new Object[] {SYS_PIDFD_OPEN, (int) c.initPid, 0});
        if (fd < 0) {
            int errno = Linux.errno();
            if (errno == ESRCH) {
                return false;
            }
            throw new IllegalStateException("pidfd_open(" + c.initPid + "): " + Linux.strerror(errno));
        }
        Integer old;
        synchronized (watched) {
            old = watched.put(c, fd);
        }
        if (old != null) {
            Linux.close(old);
        }
        wakeUp();
        return true;
    }

    /** Stops watching (the container was released another way); its pidfd is closed by the watcher's thread. */
    void forget(ProtectedContainer c) {
        Integer fd;
        synchronized (watched) {
            fd = watched.remove(c);
        }
        if (fd != null) {
            wakeUp();
            Linux.close(fd);
        }
    }

    int watching() {
        synchronized (watched) {
            return watched.size();
        }
    }

    private void wakeUp() {
        Memory one = new Memory(1);
        one.setByte(0, (byte) 1);
        Linux.write(wake[1], one, 1); // a full pipe already means "wake up": EAGAIN is fine
    }

    private void run() {
        Memory drain = new Memory(64);
        while (running) {
            List<ProtectedContainer> order = new ArrayList<>();
            Memory fds;
            synchronized (watched) {
                fds = new Memory((long) (watched.size() + 1) * POLLFD_BYTES);
                fds.clear();
                fds.setInt(0, wake[0]);
                fds.setShort(4, (short) Linux.POLLIN);
                int i = 1;
                for (Map.Entry<ProtectedContainer, Integer> e : watched.entrySet()) {
                    order.add(e.getKey());
                    fds.setInt((long) i * POLLFD_BYTES, e.getValue());
                    fds.setShort((long) i * POLLFD_BYTES + 4, (short) Linux.POLLIN);
                    i++;
                }
            }
            int n = Linux.poll(fds, order.size() + 1, -1);
            if (n < 0) {
                continue; // EINTR; a descriptor closed meanwhile shows as POLLNVAL below, not as an error here
            }
            while (Linux.read(wake[0], drain, drain.size()) > 0) {
                // emptied: the next round polls the current set
            }
            for (int i = 0; i < order.size(); i++) {
                short revents = fds.getShort((long) (i + 1) * POLLFD_BYTES + 6);
                if ((revents & Linux.POLLIN) == 0) {
                    continue; // still running, or POLLNVAL: forgotten and closed meanwhile
                }
                ProtectedContainer c = order.get(i);
                Integer fd;
                synchronized (watched) {
                    fd = watched.get(c);
                    if (fd == null || fd != fds.getInt((long) (i + 1) * POLLFD_BYTES)) {
                        continue; // forgotten (and perhaps watched again) since this round began
                    }
                    watched.remove(c);
                }
                Linux.close(fd);
                try {
                    onExit.accept(c);
                } catch (RuntimeException e) {
                    // the engine logs its own failures; the watcher keeps watching the others
                }
            }
        }
    }

    @Override
    public void close() {
        running = false;
        wakeUp();
        try {
            thread.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        synchronized (watched) {
            for (int fd : watched.values()) {
                Linux.close(fd);
            }
            watched.clear();
        }
        Linux.close(wake[0]);
        Linux.close(wake[1]);
    }
}
