package org.carapace.it;

import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;

/**
 * Processes the real-runtime tests start (the runtime as {@code bin/carapace-runtime} runs it, the CLI, a back end):
 * their output lines collected and logged, and the runtime's admin socket spoken to directly.
 */
final class RuntimeProcess {

    static final ObjectMapper MAPPER = new ObjectMapper();

    final Process process;
    final List<String> lines = new CopyOnWriteArrayList<>();

    RuntimeProcess(List<String> command, Path log, List<Process> started) throws IOException {
        process = new ProcessBuilder(command).redirectErrorStream(true).start();
        started.add(process);
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    lines.add(line);
                    Files.writeString(log, line + "\n", StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.CREATE,
                        java.nio.file.StandardOpenOption.APPEND);
                }
            } catch (IOException e) {
                // the process ended
            }
        }, "it-output-" + command.get(0));
        reader.setDaemon(true);
        reader.start();
    }

    boolean printed(String text) {
        return lines.stream().anyMatch(l -> l.contains(text));
    }

    /** The JSON objects the process printed, one a line, whose {@code kind} is this. */
    List<JsonNode> parsed(String kind) {
        List<JsonNode> out = new ArrayList<>();
        for (String line : lines) {
            if (line.startsWith("{")) {
                try {
                    JsonNode node = MAPPER.readTree(line);
                    if (kind.equals(node.path("kind").asText())) {
                        out.add(node);
                    }
                } catch (IOException e) {
                    throw new AssertionError("the process printed a line that is not JSON: " + line, e);
                }
            }
        }
        return out;
    }

    /** Starts the dev runtime and waits for its ready line. */
    static RuntimeProcess startDevRuntime(Path data, Path run, Path log, List<Process> started, String device, String... settings)
        throws Exception {
        List<String> command = new ArrayList<>(List.of(RuntimeBundles.home().resolve("bin/carapace-runtime").toString(), "--profile",
            "dev", "--data-dir", data.toString(), "--run-dir", run.toString(), "--device-id", device));
        for (String setting : settings) {
            command.add("--set");
            command.add(setting);
        }
        command.addAll(RuntimeBundles.devPortArguments());
        RuntimeProcess runtime = new RuntimeProcess(command, log, started);
        await("the runtime's ready line (" + log + ")", 60_000, () -> runtime.printed("Carapace runtime ready")
            || runtime.printed("NOT ready") || !runtime.process.isAlive());
        assertTrue("runtime not ready, see " + log, runtime.printed("Carapace runtime ready"));
        return runtime;
    }

    /** The security events journalled by monitoring under a data directory (its segment files, read as text). */
    static String journal(Path data) throws IOException {
        StringBuilder text = new StringBuilder();
        try (var files = Files.list(data.resolve("events"))) {
            for (Path segment : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".seg")).sorted()::iterator) {
                text.append(new String(Files.readAllBytes(segment), StandardCharsets.ISO_8859_1));
            }
        }
        return text.toString();
    }

    static void await(String what, long timeoutMillis, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMillis;
        while (!condition.getAsBoolean()) {
            if (System.currentTimeMillis() > deadline) {
                throw new AssertionError("timed out after " + timeoutMillis + " ms waiting for " + what);
            }
            Thread.sleep(50);
        }
    }

    /** One admin command over {@code <run>/admin.sock}; fails the test unless the answer is ok. */
    static JsonNode admin(Path run, String command, Map<String, Object> arguments) throws IOException {
        Map<String, Object> request = new HashMap<>();
        request.put("command", command);
        request.put("arguments", arguments);
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            channel.connect(UnixDomainSocketAddress.of(run.resolve("admin.sock")));
            channel.write(ByteBuffer.wrap((MAPPER.writeValueAsString(request) + "\n").getBytes(StandardCharsets.UTF_8)));
            ByteBuffer buffer = ByteBuffer.allocate(1 << 20);
            while (channel.read(buffer) >= 0) {
                if (buffer.position() > 0 && buffer.get(buffer.position() - 1) == '\n') {
                    break;
                }
            }
            JsonNode answer = MAPPER.readTree(new String(buffer.array(), 0, buffer.position(), StandardCharsets.UTF_8));
            assertTrue(answer.toString(), answer.get("ok").asBoolean());
            return answer.get("result");
        }
    }
}
