package org.carapace.protection.internal;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.carapace.api.enforcement.ContainerState;
import org.carapace.api.enforcement.GateDecision;
import org.carapace.api.enforcement.GuardException;
import org.carapace.api.enforcement.Verdict;

/**
 * Real runc containers for the protection tests: the busybox test image, bundles unpacked with umoci, and a
 * stand-in gate that serves the real OCI hook binary ({@code carapace-oci-hook}) on a Unix socket, exactly as the
 * gate endpoint does, and lets a guard protect the container at {@code createRuntime}. The stand-in allows every
 * container: the gate's decision component is not part of this bundle.
 */
final class ContainerHarness implements AutoCloseable {

    /** Sets up protection for a container that the stand-in gate allows. */
    interface Guard {
        void allowed(GateDecision decision, ContainerState state) throws GuardException;

        void stopped(ContainerState state);
    }

    record Result(int exitCode, String output) {
    }

    static final ObjectMapper MAPPER = new ObjectMapper();
    static final Path WORK = Path.of(System.getProperty("carapace.work", "target/protection-work")).toAbsolutePath();
    static final Path HOOK = Path.of(System.getProperty("carapace.hook", "")).toAbsolutePath();
    static final Path CTPROBE = Path.of(System.getProperty("carapace.ctprobe", "")).toAbsolutePath();
    static final Path IMAGE_SCRIPT = Path.of(System.getProperty("carapace.imageScript", "")).toAbsolutePath();
    static final Path LAYOUT = WORK.resolve("layout");

    private final Path socket;
    private final ServerSocketChannel server;
    private final Thread acceptor;
    private volatile Guard guard;
    private volatile String lastRefusal;
    private volatile Optional<String> policyDigest = Optional.empty();

    /** Skips (does not pass) when the machine cannot run the tests: they need root, runc, umoci and the hook. */
    static void assumeMachine() {
        assumeTrue("root".equals(System.getProperty("user.name")), "protection tests run as root");
        assumeTrue(Files.isExecutable(Path.of("/usr/sbin/runc")) || Files.isExecutable(Path.of("/usr/bin/runc")),
            "runc is installed");
        assumeTrue(Files.isExecutable(HOOK), "the OCI hook was built: " + HOOK);
    }

    private static boolean imageBuilt;

    /** Builds the test image once per test JVM (from the ctprobe this build compiled). */
    static synchronized void buildImage() throws Exception {
        if (imageBuilt) {
            return;
        }
        imageBuilt = true;
        Files.createDirectories(WORK);
        exec(Duration.ofSeconds(60), "sh", IMAGE_SCRIPT.toString(), LAYOUT.toString(), CTPROBE.toString());
    }

    ContainerHarness() throws IOException {
        Files.createDirectories(WORK);
        // sun_path holds 108 bytes: the socket lives in a short temporary directory
        socket = Files.createTempDirectory("carapace-gate").resolve("gate.sock");
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        acceptor = new Thread(this::accept, "test-gate");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    void guard(Guard g) {
        this.guard = g;
    }

    /** Decisions from now on name this image of the policy ({@link GateDecision#policyDigest()}). */
    void policyDigest(String digest) {
        this.policyDigest = Optional.of(digest);
    }

    String lastRefusal() {
        return lastRefusal;
    }

    private void accept() {
        while (server.isOpen()) {
            try (SocketChannel ch = server.accept()) {
                ByteArrayOutputStream in = new ByteArrayOutputStream();
                ByteBuffer buf = ByteBuffer.allocate(8192);
                while (ch.read(buf) > 0) {
                    in.write(buf.array(), 0, buf.position());
                    buf.clear();
                }
                String request = in.toString(StandardCharsets.UTF_8);
                int nl = request.indexOf('\n');
                String stage = request.substring(0, nl).substring("CARAPACE-GATE 1 ".length());
                ContainerState state = state(MAPPER.readTree(request.substring(nl + 1)));
                String answer = answer(stage, state);
                ch.write(ByteBuffer.wrap(answer.getBytes(StandardCharsets.US_ASCII)));
            } catch (IOException | RuntimeException e) {
                if (!server.isOpen()) {
                    return;
                }
            }
        }
    }

    private String answer(String stage, ContainerState state) {
        Guard g = guard;
        if (!"createRuntime".equals(stage)) {
            if (g != null) {
                g.stopped(state);
            }
            return "ALLOW " + stage + " noted\n";
        }
        GateDecision decision = new GateDecision(Verdict.ALLOW, state.id(), state.bundle(),
            Optional.of(state.bundle().resolve("rootfs")), Optional.empty(), Optional.of("busybox-test"), "enforce",
            "test gate allows", List.of(), 0, policyDigest);
        try {
            if (g != null) {
                g.allowed(decision, state);
            }
            return "ALLOW protected\n";
        } catch (GuardException | RuntimeException e) {
            lastRefusal = e.getMessage();
            return "REFUSE protection could not be set up: " + e.getMessage().replaceAll("[^ -~]", "?") + "\n";
        }
    }

    private static ContainerState state(JsonNode n) {
        Map<String, String> annotations = new HashMap<>();
        n.path("annotations").fields().forEachRemaining(e -> annotations.put(e.getKey(), e.getValue().asText()));
        return new ContainerState(n.path("ociVersion").asText(), n.path("id").asText(), n.path("status").asText(),
            n.path("pid").asLong(), Path.of(n.path("bundle").asText()), annotations);
    }

    /** A fresh bundle of the test image whose process runs {@code sh -c command} with the hooks pointing here. */
    Path bundle(String name, String command) throws Exception {
        Path dir = WORK.resolve("bundles").resolve(name);
        exec(Duration.ofSeconds(60), "rm", "-rf", dir.toString());
        Files.createDirectories(dir.getParent());
        exec(Duration.ofSeconds(60), "umoci", "unpack", "--image", LAYOUT + ":busybox", dir.toString());
        ObjectNode config = (ObjectNode) MAPPER.readTree(dir.resolve("config.json").toFile());
        ObjectNode process = (ObjectNode) config.get("process");
        process.put("terminal", false);
        ArrayNode args = process.putArray("args");
        args.add("/bin/sh").add("-c").add(command);
        ObjectNode hooks = config.putObject("hooks");
        // as installed (runtime-configs/hooks): the gate only; protection notices the container's exit itself
        hooks.putArray("createRuntime").add(hook("createRuntime", 10));
        MAPPER.writerWithDefaultPrettyPrinter().writeValue(dir.resolve("config.json").toFile(), config);
        return dir;
    }

    private ObjectNode hook(String stage, int timeout) {
        ObjectNode h = MAPPER.createObjectNode();
        h.put("path", HOOK.toString());
        h.putArray("args").add("carapace-oci-hook").add("--stage").add(stage).add("--timeout-ms").add("8000")
            .add("--socket").add(socket.toString());
        h.put("timeout", timeout);
        return h;
    }

    /** {@code runc run} in the foreground; the container is deleted afterwards whatever happened. */
    static Result run(String id, Path bundle, Duration timeout) throws Exception {
        try {
            return exec(timeout, "runc", "run", "--bundle", bundle.toString(), id);
        } finally {
            exec(Duration.ofSeconds(30), "runc", "delete", "-f", id);
        }
    }

    static Process start(String id, Path bundle) throws IOException {
        return new ProcessBuilder("runc", "run", "--bundle", bundle.toString(), id).redirectErrorStream(true).start();
    }

    static Result exec(Duration timeout, String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        p.getOutputStream().close();
        byte[][] out = new byte[1][];
        Thread reader = new Thread(() -> {
            try {
                out[0] = p.getInputStream().readAllBytes();
            } catch (IOException e) {
                out[0] = new byte[0];
            }
        });
        reader.start();
        if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            p.destroyForcibly();
            reader.join(5000);
            throw new AssertionError("timed out after " + timeout + ": " + String.join(" ", command));
        }
        reader.join(5000);
        return new Result(p.exitValue(), out[0] == null ? "" : new String(out[0], StandardCharsets.UTF_8));
    }

    @Override
    public void close() throws IOException {
        server.close();
        Files.deleteIfExists(socket);
        Files.deleteIfExists(socket.getParent());
    }
}
