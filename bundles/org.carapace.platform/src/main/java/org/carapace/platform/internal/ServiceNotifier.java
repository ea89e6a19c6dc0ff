package org.carapace.platform.internal;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * The service manager's notification protocol ({@code sd_notify(3)}): one Unix datagram per message to the socket
 * named by {@code NOTIFY_SOCKET} ({@code READY=1}, {@code WATCHDOG=1}, {@code STOPPING=1}, {@code STATUS=...}), the
 * watchdog interval from {@code WATCHDOG_USEC}. Spoken to systemd ({@code Type=notify}, {@code WatchdogSec=}) and to
 * {@code carapace-supervisor} alike. Java has no Unix datagram sockets, so the three calls go through JNA.
 */
final class ServiceNotifier {

    private static final int AF_UNIX = 1;
    private static final int SOCK_DGRAM = 2;
    private static final int SOCK_CLOEXEC = 02000000;
    private static final int MSG_NOSIGNAL = 0x4000;
    private static final int SUN_PATH = 108;

    /** Direct-mapped libc. */
    static final class Libc {
        static {
            Native.register(Libc.class, NativeLibrary.getInstance("c"));
        }

        private Libc() {
        }

        static native int socket(int domain, int type, int protocol);

        static native long sendto(int fd, byte[] buf, long len, int flags, byte[] addr, int addrLen);

        static native int close(int fd);
    }

    private final String socket;
    private final long watchdogMillis;

    private ServiceNotifier(String socket, long watchdogMillis) {
        this.socket = socket;
        this.watchdogMillis = watchdogMillis;
    }

    /**
     * From the environment the service manager set; disabled (every call a no-op) without {@code NOTIFY_SOCKET}.
     *
     * @throws IllegalArgumentException when a variable is malformed (a misconfigured service should not start quietly)
     */
    static ServiceNotifier fromEnvironment(Map<String, String> env, long ownPid) {
        String socket = env.get("NOTIFY_SOCKET");
        if (socket == null || socket.isEmpty()) {
            return new ServiceNotifier(null, 0);
        }
        if (!(socket.startsWith("/") || socket.startsWith("@")) || socket.getBytes(StandardCharsets.UTF_8).length >= SUN_PATH) {
            throw new IllegalArgumentException("NOTIFY_SOCKET must be an absolute path or @abstract name of at most "
                + (SUN_PATH - 1) + " bytes, was '" + socket + "'");
        }
        long watchdog = 0;
        String usec = env.get("WATCHDOG_USEC");
        String pid = env.get("WATCHDOG_PID");
        if (usec != null && !usec.isEmpty() && (pid == null || pid.isEmpty() || pid.equals(Long.toString(ownPid)))) {
            try {
                watchdog = Long.parseLong(usec) / 1000;
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("WATCHDOG_USEC must be microseconds, was '" + usec + "'");
            }
            if (watchdog <= 0) {
                throw new IllegalArgumentException("WATCHDOG_USEC must be at least 1000, was '" + usec + "'");
            }
        }
        return new ServiceNotifier(socket, watchdog);
    }

    boolean enabled() {
        return socket != null;
    }

    /** The interval within which the manager expects {@code WATCHDOG=1}; 0 when it watches nothing. */
    long watchdogMillis() {
        return watchdogMillis;
    }

    /** Sends one message (lines {@code KEY=VALUE}); nothing when disabled. */
    void send(String message) throws IOException {
        if (socket == null) {
            return;
        }
        byte[] path = socket.getBytes(StandardCharsets.UTF_8);
        byte[] addr = new byte[2 + path.length + 1];
        // sa_family_t: a native-endian short
        addr[java.nio.ByteOrder.nativeOrder() == java.nio.ByteOrder.LITTLE_ENDIAN ? 0 : 1] = (byte) AF_UNIX;
        System.arraycopy(path, 0, addr, 2, path.length);
        int addrLen = addr.length;
        if (path[0] == '@') {
            addr[2] = 0; // abstract namespace: no terminating NUL counts
            addrLen = 2 + path.length;
        }
        byte[] body = message.getBytes(StandardCharsets.UTF_8);
        int fd = Libc.socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            throw new IOException("socket(AF_UNIX, SOCK_DGRAM): errno " + Native.getLastError());
        }
        try {
            if (Libc.sendto(fd, body, body.length, MSG_NOSIGNAL, addr, addrLen) != body.length) {
                throw new IOException("cannot notify " + socket + ": errno " + Native.getLastError());
            }
        } finally {
            Libc.close(fd);
        }
    }

    @Override
    public String toString() {
        return socket == null ? "no service manager" : socket + (watchdogMillis > 0 ? " (watchdog " + watchdogMillis + " ms)" : "");
    }
}
