package org.carapace.enforcement.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real static hook binary (target/carapace-oci-hook) against a socket this test serves: every way the runtime
 * can fail must end in a refusal with one clear line on stderr.
 */
class OciHookTest {

    static final Path HOOK = Path.of(System.getProperty("carapace.hook", "target/carapace-oci-hook"));
    static final String STATE = "{\"ociVersion\":\"1.0.2\",\"id\":\"c1\",\"status\":\"creating\",\"pid\":42,"
        + "\"bundle\":\"/tmp/b\",\"annotations\":{}}";

    @TempDir
    Path tmp;

    private ServerSocketChannel server;
    private Thread thread;
    private final AtomicReference<String> received = new AtomicReference<>();

    record Result(int exit, String stderr, String stdout, long millis) {
    }

    /** Serves one connection per request with the given answer function (request bytes to answer bytes). */
    private Path serve(Function<byte[], byte[]> answer) throws IOException {
        Path socket = tmp.resolve("gate.sock");
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        thread = new Thread(() -> {
            while (server.isOpen()) {
                try (SocketChannel client = server.accept()) {
                    ByteArrayOutputStream all = new ByteArrayOutputStream();
                    ByteBuffer buffer = ByteBuffer.allocate(65536);
                    while (client.read(buffer) >= 0) {
                        all.write(buffer.array(), 0, buffer.position());
                        buffer.clear();
                    }
                    received.set(all.toString(StandardCharsets.UTF_8));
                    byte[] reply = answer.apply(all.toByteArray());
                    if (reply != null) {
                        client.write(ByteBuffer.wrap(reply));
                    }
                } catch (IOException e) {
                    return;
                }
            }
        });
        thread.setDaemon(true);
        thread.start();
        return socket;
    }

    @AfterEach
    void stop() throws IOException {
        if (server != null) {
            server.close();
        }
    }

    static Result run(Path socket, byte[] stdin, String... extra) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of(HOOK.toString(), "--socket", socket.toString()));
        command.addAll(List.of(extra));
        long start = System.nanoTime();
        Process process = new ProcessBuilder(command).start();
        try (var in = process.getOutputStream()) {
            in.write(stdin);
        } catch (IOException ignored) {
            // the hook may refuse before reading everything
        }
        byte[] err = readAll(process.getErrorStream());
        byte[] out = readAll(process.getInputStream());
        assertTrue(process.waitFor(20, TimeUnit.SECONDS), "hook did not exit");
        return new Result(process.exitValue(), new String(err, StandardCharsets.UTF_8).trim(),
            new String(out, StandardCharsets.UTF_8), (System.nanoTime() - start) / 1_000_000);
    }

    static byte[] readAll(InputStream in) throws IOException {
        return in.readAllBytes();
    }

    static byte[] state() {
        return STATE.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void allowExitsZeroSilentlyAndForwardsHeaderAndState() throws Exception {
        Path socket = serve(request -> "ALLOW image busybox: rootfs digest in policy\n".getBytes(StandardCharsets.US_ASCII));
        Result result = run(socket, state());
        assertEquals(0, result.exit(), result.stderr());
        assertEquals("", result.stderr());
        assertEquals("", result.stdout());
        assertEquals("CARAPACE-GATE 1 createRuntime\n" + STATE, received.get());
    }

    @Test
    void refuseExitsOneWithTheReasonOnOneLine() throws Exception {
        Path socket = serve(request -> "REFUSE image busybox: digest not in policy; differs at /bin/sh (content)\n"
            .getBytes(StandardCharsets.US_ASCII));
        Result result = run(socket, state());
        assertEquals(1, result.exit());
        assertEquals("carapace: refused: image busybox: digest not in policy; differs at /bin/sh (content)", result.stderr());
    }

    @Test
    void auditExitsZeroAndSaysSo() throws Exception {
        Path socket = serve(request -> "AUDIT would refuse: not in policy\n".getBytes(StandardCharsets.US_ASCII));
        Result result = run(socket, state());
        assertEquals(0, result.exit());
        assertEquals("carapace: audit: would refuse: not in policy", result.stderr());
    }

    @Test
    void gate_runtimeNotRunningIsRefused() throws Exception {
        Result result = run(tmp.resolve("absent.sock"), state());
        assertEquals(1, result.exit());
        assertTrue(result.stderr().startsWith("carapace: refused: the Carapace runtime is not running"), result.stderr());
    }

    @Test
    void gate_silentRuntimeIsRefusedAtTheTimeout() throws Exception {
        Path socket = serve(request -> {
            try {
                Thread.sleep(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return null;
        });
        Result result = run(socket, state(), "--timeout-ms", "400");
        assertEquals(1, result.exit());
        assertEquals("carapace: refused: no answer from the Carapace runtime within 400 ms", result.stderr());
        assertTrue(result.millis() < 3_000, "took " + result.millis() + " ms");
    }

    @Test
    void gate_runtimeDyingMidDecisionIsRefused() throws Exception {
        Path socket = serve(request -> null); // accepts, reads, closes without a word: a killed runtime
        Result result = run(socket, state());
        assertEquals(1, result.exit());
        assertTrue(result.stderr().contains("closed the connection without an answer"), result.stderr());
    }

    @Test
    void gate_malformedAnswerIsRefused() throws Exception {
        for (String answer : List.of("MAYBE\n", "ALLOWED\n", "allow\n", "ALLOW", "\n", "REFUSEX no\n")) {
            stop();
            Files.deleteIfExists(tmp.resolve("gate.sock"));
            Path socket = serve(request -> answer.getBytes(StandardCharsets.US_ASCII));
            Result result = run(socket, state());
            assertEquals(1, result.exit(), "answer " + answer.trim() + " -> " + result.stderr());
            assertTrue(result.stderr().startsWith("carapace: refused:"), result.stderr());
        }
    }

    @Test
    void gate_controlCharactersFromTheRuntimeAreNeutralised() throws Exception {
        Path socket = serve(request -> "REFUSE evil\u001b[2J\u0007name\n".getBytes(StandardCharsets.ISO_8859_1));
        Result result = run(socket, state());
        assertEquals(1, result.exit());
        assertEquals("carapace: refused: evil?[2J?name", result.stderr());
    }

    @Test
    void gate_oversizedOrEmptyStateIsRefusedWithoutAsking() throws Exception {
        Path socket = serve(request -> "ALLOW\n".getBytes(StandardCharsets.US_ASCII));
        Result big = run(socket, new byte[300 * 1024]);
        assertEquals(1, big.exit());
        assertTrue(big.stderr().contains("larger than 262144 bytes"), big.stderr());
        Result empty = run(socket, new byte[0]);
        assertEquals(1, empty.exit());
        assertTrue(empty.stderr().contains("no container state"), empty.stderr());
    }

    @Test
    void badArgumentsAreRefused() throws Exception {
        Path socket = serve(request -> "ALLOW\n".getBytes(StandardCharsets.US_ASCII));
        assertEquals(1, run(socket, state(), "--timeout-ms", "0").exit());
        assertEquals(1, run(socket, state(), "--timeout-ms", "12x").exit());
        assertEquals(1, run(socket, state(), "--bogus").exit());
        assertEquals(1, run(socket, state(), "--stage", "create;rm").exit());
    }

    @Test
    void poststopNeverFailsTeardownEvenWithoutARuntime() throws Exception {
        Result result = run(tmp.resolve("absent.sock"), state(), "--stage", "poststop");
        assertEquals(0, result.exit());
        assertTrue(result.stderr().startsWith("carapace: not notified:"), result.stderr());
    }

    @Test
    void aLeadingProgramNameArgumentFromHooksDIsAccepted() throws Exception {
        Path socket = serve(request -> "ALLOW\n".getBytes(StandardCharsets.US_ASCII));
        List<String> command = List.of(HOOK.toString(), "carapace-oci-hook", "--socket", socket.toString());
        Process process = new ProcessBuilder(command).start();
        try (var in = process.getOutputStream()) {
            in.write(state());
        }
        assertTrue(process.waitFor(10, TimeUnit.SECONDS));
        assertEquals(0, process.exitValue(), new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
    }

    @Test
    void gate_aServerNotRunByRootIsNotBelieved() throws Exception {
        // a fake gate run by nobody, in a directory anyone may write: it would answer ALLOW to everything
        Path dir = Files.createTempDirectory("carapace-fake-gate");
        Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwxrwx"));
        Path socket = dir.resolve("gate.sock");
        String server = "import socket,os\n"
            + "s=socket.socket(socket.AF_UNIX,socket.SOCK_STREAM); s.bind('" + socket + "'); os.chmod('" + socket + "',0o777)\n"
            + "s.listen(1); print('ready',flush=True); c,_=s.accept()\n"
            + "while c.recv(65536): pass\n"
            + "c.sendall(b'ALLOW fake gate\\n'); c.close()\n";
        Process fake = new ProcessBuilder("runuser", "-u", "nobody", "--", "python3", "-c", server).redirectErrorStream(true).start();
        try {
            assertEquals("ready", new java.io.BufferedReader(new java.io.InputStreamReader(fake.getInputStream(),
                StandardCharsets.US_ASCII)).readLine());
            Result result = run(socket, state());
            assertEquals(1, result.exit(), result.stderr());
            assertTrue(result.stderr().contains("is served by uid 65534, neither root nor this hook's user"), result.stderr());
        } finally {
            fake.destroyForcibly().waitFor();
            Files.deleteIfExists(socket);
            Files.delete(dir);
        }
    }
}
