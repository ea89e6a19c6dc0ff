package org.carapace.it;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.carapace.monitoring.internal.MosquittoBroker;
import org.junit.Test;

/**
 * Store and forward for real: the dev runtime as its own process (what {@code bin/carapace-runtime} starts), a real
 * Mosquitto, and {@code bin/carapace events subscribe} as the back end. Events are produced while the broker is
 * down, the runtime is killed with SIGKILL (before and in the middle of a burst), both are restarted, and the
 * subscriber must report every sequence number exactly once, with no gap and nothing rejected.
 */
public class StoreAndForwardIT extends RealRuntimeTest {

    static final String DEVICE = "it-saf-1";

    private RuntimeProcess startRuntime(Path data, Path run, Path log) throws Exception {
        // this test floods on purpose: the device-wide limits are for vehicles, not for this check
        return RuntimeProcess.startDevRuntime(data, run, log, processes, DEVICE, "monitoring.broker=" + broker.url("tcp"),
            "monitoring.rateLimitEvents=0", "monitoring.trafficLimitBytes=0");
    }

    private void cli(Path work, String... arguments) throws Exception {
        List<String> command = new ArrayList<>(List.of(RuntimeBundles.home().resolve("bin/carapace").toString(), "events"));
        command.addAll(List.of(arguments));
        Process process = new ProcessBuilder(command).redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(work.resolve("cli.log").toFile())).start();
        assertEquals("carapace events " + String.join(" ", arguments) + " (see cli.log)", 0, process.waitFor());
    }

    private JsonNode admin(Path run, String command, Map<String, Object> arguments) throws IOException {
        return RuntimeProcess.admin(run, command, arguments);
    }

    private JsonNode journal(Path run) throws IOException {
        return admin(run, "events.status", Map.of()).get("journal");
    }

    /** Emits n synthetic events and waits until the journal holds them durably; answers the last number. */
    private long emitDurably(Path run, int n) throws Exception {
        long before = journal(run).get("nextSeq").asLong();
        admin(run, "events.emit", Map.of("type", "GATE_REFUSED", "count", n));
        RuntimeProcess.await(n + " events journalled", 30_000, () -> {
            try {
                JsonNode j = journal(run);
                return j.get("nextSeq").asLong() >= before + n && j.get("durableSeq").asLong() >= j.get("nextSeq").asLong() - 1;
            } catch (IOException e) {
                return false;
            }
        });
        return journal(run).get("nextSeq").asLong() - 1;
    }

    private TreeSet<Long> received(RuntimeProcess subscriber) {
        TreeSet<Long> seqs = new TreeSet<>();
        for (JsonNode event : subscriber.parsed("event")) {
            seqs.add(event.get("seq").asLong());
        }
        return seqs;
    }

    private void awaitAllDelivered(RuntimeProcess subscriber, long last) throws InterruptedException {
        RuntimeProcess.await("the subscriber to report every number up to " + last, 90_000, () -> {
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
        RuntimeProcess subscriber = new RuntimeProcess(List.of(RuntimeBundles.home().resolve("bin/carapace").toString(), "events",
            "subscribe",
            "--broker", broker.url("tcp"), "--device", DEVICE, "--key", master.toString(), "--json", "--client-id", "it-backend"),
            work.resolve("subscriber.log"), processes);
        RuntimeProcess.await("the subscriber to subscribe", 30_000, () -> !subscriber.parsed("subscribed").isEmpty());
        RuntimeProcess runtime = startRuntime(data, run, work.resolve("runtime-1.log"));

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
        RuntimeProcess.await("the burst to be journalling", 30_000, () -> {
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
        RuntimeProcess.await("the last will", 30_000, () -> subscriber.parsed("status").stream()
            .anyMatch(s -> "offline".equals(s.path("status").path("state").asText())
                && "connection-lost".equals(s.path("status").path("reason").asText())));

        List<JsonNode> events = subscriber.parsed("event");
        TreeSet<Long> seqs = received(subscriber);
        assertEquals("every number from 1 to " + last + " exactly once", last, seqs.size());
        assertEquals(1L, (long) seqs.first());
        assertEquals(last, (long) seqs.last());
        assertEquals("no number reported twice as a new event", seqs.size(), events.size());
        assertTrue("no gap: " + subscriber.parsed("gap"), subscriber.parsed("gap").isEmpty());
        assertTrue("nothing rejected: " + subscriber.parsed("rejected"), subscriber.parsed("rejected").isEmpty());
        for (JsonNode event : events) {
            assertEquals(DEVICE, event.get("event").get("device").asText());
            assertTrue(event.get("verified").asBoolean());
        }
        System.out.printf("store-and-forward: %d events, %d duplicates dropped by the subscriber, recovery %s%n", seqs.size(),
            subscriber.parsed("duplicate").size(), recovered.get("recovery"));
    }
}
