package org.carapace.it;

import static org.junit.Assert.assertEquals;
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
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.carapace.monitoring.internal.MosquittoBroker;
import org.junit.After;
import org.junit.Test;

/**
 * Store and forward for real: the dev runtime as its own process (what {@code bin/carapace-runtime} starts), a real
 * Mosquitto, and {@code bin/carapace events subscribe} as the back end. Events are produced while the broker is
 * down, the runtime is killed with SIGKILL (before and in the middle of a burst), both are restarted, and the
 * subscriber must report every sequence number exactly once, with no gap and nothing rejected.
 */
public class StoreAndForwardIT {

    static final String DEVICE = "it-saf-1";

    private final ObjectMapper mapper = new ObjectMapper();
    private final List<Process> processes = new ArrayList<>();
    private MosquittoBroker broker;

    @After
    public void stopEverything() {
        for (Process process : processes) {
            process.destroyForcibly();
        }
        if (broker != null) {
            broker.close();
        }
    }

    /** A process whose output lines are collected. */
    private final class Running {
        final Process process;
        final List<String> lines = new CopyOnWriteArrayList<>();

        Running(List<String> command, Path log) throws IOException {
            process = new ProcessBuilder(command).redirectErrorStream(true).start();
            processes.add(process);
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

    private Running startRuntime(Path data, Path run, Path log) throws Exception {
        Path home = RuntimeBundles.home();
        List<String> command = new ArrayList<>(List.of(home.resolve("bin/carapace-runtime").toString(), "--profile", "dev",
            "--data-dir", data.toString(), "--run-dir", run.toString(), "--device-id", DEVICE,
            "--set", "monitoring.broker=" + broker.url("tcp"),
            // this test floods on purpose: the device-wide limits are for vehicles, not for this check
            "--set", "monitoring.rateLimitEvents=0", "--set", "monitoring.trafficLimitBytes=0"));
        command.addAll(RuntimeBundles.devPortArguments());
        Running runtime = new Running(command, log);
        await("the runtime's ready line (" + log + ")", 60_000, () -> runtime.printed("Carapace runtime ready")
            || runtime.printed("NOT ready") || !runtime.process.isAlive());
        assertTrue("runtime not ready, see " + log, runtime.printed("Carapace runtime ready"));
        return runtime;
    }

    private void cli(Path work, String... arguments) throws Exception {
        List<String> command = new ArrayList<>(List.of(RuntimeBundles.home().resolve("bin/carapace").toString(), "events"));
        command.addAll(List.of(arguments));
        Process process = new ProcessBuilder(command).redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(work.resolve("cli.log").toFile())).start();
        assertEquals("carapace events " + String.join(" ", arguments) + " (see cli.log)", 0, process.waitFor());
    }

    private JsonNode admin(Path run, String command, Map<String, Object> arguments) throws IOException {
        Map<String, Object> request = new HashMap<>();
        request.put("command", command);
        request.put("arguments", arguments);
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            channel.connect(UnixDomainSocketAddress.of(run.resolve("admin.sock")));
            channel.write(ByteBuffer.wrap((mapper.writeValueAsString(request) + "\n").getBytes(StandardCharsets.UTF_8)));
            ByteBuffer buffer = ByteBuffer.allocate(1 << 20);
            while (channel.read(buffer) >= 0) {
                if (buffer.position() > 0 && buffer.get(buffer.position() - 1) == '\n') {
                    break;
                }
            }
            JsonNode answer = mapper.readTree(new String(buffer.array(), 0, buffer.position(), StandardCharsets.UTF_8));
            assertTrue(answer.toString(), answer.get("ok").asBoolean());
            return answer.get("result");
        }
    }

    private JsonNode journal(Path run) throws IOException {
        return admin(run, "events.status", Map.of()).get("journal");
    }

    /** Emits n synthetic events and waits until the journal holds them durably; answers the last number. */
    private long emitDurably(Path run, int n) throws Exception {
        long before = journal(run).get("nextSeq").asLong();
        admin(run, "events.emit", Map.of("type", "GATE_REFUSED", "count", n));
        await(n + " events journalled", 30_000, () -> {
            try {
                JsonNode j = journal(run);
                return j.get("nextSeq").asLong() >= before + n && j.get("durableSeq").asLong() >= j.get("nextSeq").asLong() - 1;
            } catch (IOException e) {
                return false;
            }
        });
        return journal(run).get("nextSeq").asLong() - 1;
    }

    private List<JsonNode> parsed(Running subscriber, String kind) {
        List<JsonNode> out = new ArrayList<>();
        for (String line : subscriber.lines) {
            if (line.startsWith("{")) {
                try {
                    JsonNode node = mapper.readTree(line);
                    if (kind.equals(node.path("kind").asText())) {
                        out.add(node);
                    }
                } catch (IOException e) {
                    throw new AssertionError("subscriber printed a line that is not JSON: " + line, e);
                }
            }
        }
        return out;
    }

    private TreeSet<Long> received(Running subscriber) {
        TreeSet<Long> seqs = new TreeSet<>();
        for (JsonNode event : parsed(subscriber, "event")) {
            seqs.add(event.get("seq").asLong());
        }
        return seqs;
    }

    private void awaitAllDelivered(Running subscriber, long last) throws InterruptedException {
        await("the subscriber to report every number up to " + last, 90_000, () -> {
            TreeSet<Long> seqs = received(subscriber);
            return seqs.size() >= last && seqs.last() >= last;
        });
    }

    @Test
    public void nothingIsLostAcrossBrokerOutagesAndKillMinus9() throws Exception {
        Path work = RuntimeBundles.work().resolve("store-and-forward-" + System.nanoTime());
        Path data = work.resolve("data");
        Path run = work.resolve("run");
        Files.createDirectories(work);
        // persistence keeps the back end's session (its subscription and queued events) across broker restarts
        broker = MosquittoBroker.start(work.resolve("broker"), "persistence true", "persistence_location {dir}/",
            "autosave_interval 1");
        // provisioning as for a fleet: a master key for the back end, the device key it derives for the vehicle
        Path master = work.resolve("fleet-master.key");
        Path key = data.resolve("event-auth.key");
        Files.createDirectories(data);
        cli(work, "keygen", "--master", "--out", master.toString());
        cli(work, "keygen", "--device", DEVICE, "--from-master", master.toString(), "--out", key.toString());

        // the back end subscribes first, with a persistent session: it sees the runtime's very first event
        Running subscriber = new Running(List.of(RuntimeBundles.home().resolve("bin/carapace").toString(), "events", "subscribe",
            "--broker", broker.url("tcp"), "--device", DEVICE, "--key", master.toString(), "--json", "--client-id", "it-backend"),
            work.resolve("subscriber.log"));
        await("the subscriber to subscribe", 30_000, () -> !parsed(subscriber, "subscribed").isEmpty());
        Running runtime = startRuntime(data, run, work.resolve("runtime-1.log"));

        // online: delivered at once (the first number is the runtime's PLATFORM_STARTED)
        long last = emitDurably(run, 20);
        awaitAllDelivered(subscriber, last);

        // broker down, runtime alive: events wait in the journal, then go out in order
        broker.stop();
        last = emitDurably(run, 150);
        assertTrue(journal(run).get("pending").asLong() >= 150);
        broker.restart();
        awaitAllDelivered(subscriber, last);

        // broker down, runtime killed with SIGKILL after its events were journalled, and once more in the middle of a burst
        broker.stop();
        long beforeBurst = emitDurably(run, 200);
        admin(run, "events.emit", Map.of("type", "GATE_ALLOWED", "count", 2000));
        await("the burst to be journalling", 30_000, () -> {
            try {
                return journal(run).get("nextSeq").asLong() > beforeBurst + 50;
            } catch (IOException e) {
                return false;
            }
        });
        runtime.process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        assertTrue(!runtime.process.isAlive());
        broker.restart();
        runtime = startRuntime(data, run, work.resolve("runtime-2.log"));
        JsonNode recovered = journal(run);
        last = recovered.get("nextSeq").asLong() - 1;
        assertTrue("everything journalled before the kill survives: " + recovered, last > beforeBurst + 50);
        awaitAllDelivered(subscriber, last);

        // killed while connected: the broker publishes the retained last will
        runtime.process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        await("the last will", 30_000, () -> parsed(subscriber, "status").stream()
            .anyMatch(s -> "offline".equals(s.path("status").path("state").asText())
                && "connection-lost".equals(s.path("status").path("reason").asText())));

        List<JsonNode> events = parsed(subscriber, "event");
        TreeSet<Long> seqs = received(subscriber);
        assertEquals("every number from 1 to " + last + " exactly once", last, seqs.size());
        assertEquals(1L, (long) seqs.first());
        assertEquals(last, (long) seqs.last());
        assertEquals("no number reported twice as a new event", seqs.size(), events.size());
        assertTrue("no gap: " + parsed(subscriber, "gap"), parsed(subscriber, "gap").isEmpty());
        assertTrue("nothing rejected: " + parsed(subscriber, "rejected"), parsed(subscriber, "rejected").isEmpty());
        for (JsonNode event : events) {
            assertEquals(DEVICE, event.get("event").get("device").asText());
            assertTrue(event.get("verified").asBoolean());
        }
        System.out.printf("store-and-forward: %d events, %d duplicates dropped by the subscriber, recovery %s%n", seqs.size(),
            parsed(subscriber, "duplicate").size(), recovered.get("recovery"));
    }
}
