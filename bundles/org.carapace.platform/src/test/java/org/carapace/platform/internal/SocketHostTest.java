package org.carapace.platform.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.annotation.Annotation;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.carapace.api.platform.PlatformInfo;
import org.carapace.api.platform.SocketEndpoint;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real Unix sockets: permissions, line protocol, and the hand-over that keeps clients served across a swap. */
class SocketHostTest {

    @TempDir
    Path tmp;

    private SocketHost host;

    record Info(Path dir) implements PlatformInfo {
        @Override public String deviceId() { return "d"; }
        @Override public String profile() { return "dev"; }
        @Override public Path dataDir() { return dir; }
        @Override public Path runDir() { return dir; }
    }

    static SocketHost.Config config(long handover) {
        return new SocketHost.Config() {
            @Override public Class<? extends Annotation> annotationType() { return SocketHost.Config.class; }
            @Override public long handoverMillis() { return handover; }
            @Override public int workers() { return 4; }
            @Override public int queue() { return 16; }
        };
    }

    private SocketHost host(long handover) {
        host = new SocketHost(new Info(tmp), AdminEndpointTest.silentLogger(), config(handover));
        return host;
    }

    @AfterEach
    void stop() {
        if (host != null) {
            host.stop();
        }
    }

    /** An endpoint that answers "<tag>:<line>". */
    static SocketEndpoint echo(String tag) {
        return connection -> connection.write((tag + ":" + new String(connection.readLine(1024), StandardCharsets.UTF_8)
            + "\n").getBytes(StandardCharsets.UTF_8));
    }

    static Map<String, Object> named(String name) {
        return Map.of(SocketEndpoint.SOCKET_NAME, name);
    }

    static String exchange(Path socket, String line) throws IOException {
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            channel.connect(UnixDomainSocketAddress.of(socket));
            channel.write(ByteBuffer.wrap((line + "\n").getBytes(StandardCharsets.UTF_8)));
            ByteBuffer answer = ByteBuffer.allocate(4096);
            try {
                while (channel.read(answer) >= 0) {
                    // until the host closes the connection
                }
            } catch (IOException reset) {
                // closed with our request unread: the peer sees a reset, which is also "no answer"
            }
            return new String(answer.array(), 0, answer.position(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void servesAnEndpointOnAPrivateSocket() throws IOException {
        SocketHost h = host(1000);
        h.addEndpoint(echo("a"), named("t.sock"));
        Path socket = tmp.resolve("t.sock");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)));
        assertEquals("a:hello\n", exchange(socket, "hello"));
    }

    @Test
    void aReplacementEndpointServesConnectionsThatArrivedDuringTheSwap() throws Exception {
        SocketHost h = host(5_000);
        SocketEndpoint first = echo("v1");
        h.addEndpoint(first, named("t.sock"));
        Path socket = tmp.resolve("t.sock");
        h.removeEndpoint(first, named("t.sock"));
        assertTrue(Files.exists(socket), "the socket must stay during the hand-over");
        CompletableFuture<String> waiting = CompletableFuture.supplyAsync(() -> {
            try {
                return exchange(socket, "during-swap");
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
        Thread.sleep(300);
        assertFalse(waiting.isDone(), "the connection must wait for the next endpoint");
        h.addEndpoint(echo("v2"), named("t.sock"));
        assertEquals("v2:during-swap\n", waiting.get(5, TimeUnit.SECONDS));
    }

    @Test
    void withoutAReplacementWaitingConnectionsAreClosedUnansweredAndTheSocketGoes() throws Exception {
        SocketHost h = host(400);
        SocketEndpoint only = echo("v1");
        h.addEndpoint(only, named("t.sock"));
        Path socket = tmp.resolve("t.sock");
        h.removeEndpoint(only, named("t.sock"));
        long start = System.nanoTime();
        assertEquals("", exchange(socket, "nobody-home"));
        assertTrue((System.nanoTime() - start) / 1_000_000 >= 300, "must have waited for the hand-over period");
        for (int i = 0; i < 50 && Files.exists(socket); i++) {
            Thread.sleep(50);
        }
        assertFalse(Files.exists(socket), "socket removed after the hand-over period");
    }

    @Test
    void invalidSocketNamesAreIgnored() {
        SocketHost h = host(100);
        h.addEndpoint(echo("x"), named("../escape.sock"));
        h.addEndpoint(echo("x"), named("noextension"));
        h.addEndpoint(echo("x"), Map.of());
        assertFalse(Files.exists(tmp.resolve("../escape.sock")));
        assertFalse(Files.exists(tmp.resolve("noextension")));
    }

    @Test
    void peersOtherThanRootOrTheRuntimeUserAreRefused() throws Exception {
        // only meaningful when the test runs as root and can run a client as another user
        if (!"root".equals(System.getProperty("user.name")) || !Files.isExecutable(Path.of("/usr/sbin/runuser"))
            || !Files.isExecutable(Path.of("/usr/bin/python3"))) {
            return;
        }
        SocketHost h = host(1000);
        h.addEndpoint(echo("a"), named("t.sock"));
        Path socket = tmp.resolve("t.sock");
        // open the layers the host relies on (directory 0700, socket 0600) to test the last one: SO_PEERCRED
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-rw-rw-"));
        Process client = new ProcessBuilder("/usr/sbin/runuser", "-u", "nobody", "--", "/usr/bin/python3", "-c",
            // the host may close the connection before the request is even sent: a broken pipe is a refusal too
            "import socket,sys\ns=socket.socket(socket.AF_UNIX)\ns.connect(sys.argv[1])\n"
                + "try:\n  s.sendall(b'hi\\n')\n  print(repr(s.recv(100)))\nexcept (ConnectionResetError, BrokenPipeError):\n"
                + "  print(repr(b''))",
            socket.toString()).redirectErrorStream(true).start();
        assertTrue(client.waitFor(10, TimeUnit.SECONDS));
        String output = new String(client.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertEquals("b''", output, "nobody must get no answer");
        assertEquals("a:root\n", exchange(socket, "root"));
    }
}
