package org.carapace.cli.events;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.carapace.api.monitoring.EventKeyFile;
import org.carapace.cli.Main;
import org.carapace.monitoring.internal.MosquittoBroker;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code carapace events subscribe} against a real Mosquitto, fed by a test publisher. */
class SubscribeCommandTest {

    @TempDir
    Path temp;

    private final ObjectMapper mapper = new ObjectMapper();

    record Run(int exitCode, List<JsonNode> lines, String err) {
        List<JsonNode> kind(String kind) {
            return lines.stream().filter(l -> kind.equals(l.get("kind").asText())).toList();
        }
    }

    private CompletableFuture<Run> subscribe(String... args) {
        return CompletableFuture.supplyAsync(() -> {
            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            int code = Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
            List<JsonNode> lines = new ArrayList<>();
            for (String line : out.toString().split("\n")) {
                if (!line.isBlank()) {
                    try {
                        lines.add(mapper.readTree(line));
                    } catch (Exception e) {
                        throw new AssertionError("not a JSON line: " + line, e);
                    }
                }
            }
            return new Run(code, lines, err.toString());
        });
    }

    private Path masterKey() throws Exception {
        Path file = temp.resolve("master.key");
        if (!java.nio.file.Files.exists(file)) {
            EventStreamCheckerTest.MASTER.write(file);
        }
        return file;
    }

    private static MqttClient publisher(MosquittoBroker broker) throws Exception {
        MqttClient client = new MqttClient(broker.url("tcp"), "test-device-" + System.nanoTime(), new MemoryPersistence());
        MqttConnectOptions options = new MqttConnectOptions();
        // this synchronous QoS 1 loop once reached Paho's default limit of 10 messages in flight under load ("Too
        // many publishes in progress" in CI): raised, as the other test publishers do
        options.setMaxInflight(1000);
        client.connect(options);
        return client;
    }

    private static void publish(MqttClient client, String topic, byte[] payload) throws Exception {
        MqttMessage message = new MqttMessage(payload);
        message.setQos(1);
        client.publish(topic, message);
    }

    /** Waits until the subscribers' subscriptions are acknowledged (a clean session keeps nothing before that). */
    private static void awaitSubscribed(MosquittoBroker broker, int subscribers) throws Exception {
        long deadline = System.currentTimeMillis() + 20_000;
        while (System.currentTimeMillis() < deadline) {
            // "log_type all" makes Mosquitto log each SUBACK it sends
            long n = broker.log().lines().filter(l -> l.contains("Sending SUBACK to carapace-backend")).count();
            if (n >= subscribers) {
                return;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("subscriber did not subscribe: " + broker.log());
    }

    @Test
    void verifiesDeduplicatesAndRejects() throws Exception {
        try (MosquittoBroker broker = MosquittoBroker.start(temp.resolve("broker"), "connection_messages true", "log_type all")) {
            CompletableFuture<Run> run = subscribe("events", "subscribe", "--broker", broker.url("tcp"), "--key", masterKey().toString(),
                "--json", "--count", "3", "--timeout", "30");
            awaitSubscribed(broker, 1);
            MqttClient device = publisher(broker);
            byte[] first = EventStreamCheckerTest.sealed(EventStreamCheckerTest.event("car-1", 1, "GATE_ALLOWED", "gate", Map.of()));
            publish(device, "carapace/v1/car-1/events/gate", first);
            publish(device, "carapace/v1/car-1/events/gate", first); // QoS 1 redelivery
            // attack: a well-formed envelope whose authenticator was made with a guessed key
            EventKeyFile guess = EventKeyFile.generateDeviceKey("car-1", false);
            byte[] forged = org.carapace.api.monitoring.HmacEventKeys.authenticator(guess.key()).seal(
                org.carapace.api.monitoring.EventCodec.PAYLOAD_TYPE, org.carapace.api.monitoring.EventCodec.encode(
                    EventStreamCheckerTest.event("car-1", 2, "GATE_ALLOWED", "gate", Map.of()))).toJson();
            publish(device, "carapace/v1/car-1/events/gate", forged);
            publish(device, "carapace/v1/car-1/events/gate",
                EventStreamCheckerTest.sealed(EventStreamCheckerTest.event("car-1", 2, "GATE_ALLOWED", "gate", Map.of())));
            publish(device, "carapace/v1/car-1/events/gate",
                EventStreamCheckerTest.sealed(EventStreamCheckerTest.event("car-1", 3, "GATE_REFUSED", "gate", Map.of("image", "x"))));
            device.disconnect();
            device.close();
            Run result = run.get(40, TimeUnit.SECONDS);
            assertEquals(List.of(1L, 2L, 3L), result.kind("event").stream().map(e -> e.get("seq").asLong()).toList(), result.err());
            assertEquals(1, result.kind("duplicate").size());
            assertEquals("unknown-key", result.kind("rejected").get(0).get("reason").asText());
            assertEquals("GATE_REFUSED", result.kind("event").get(2).get("event").get("type").asText());
            JsonNode summary = result.kind("summary").get(0);
            assertEquals(3, summary.get("accepted").asInt());
            assertEquals(1, summary.get("rejected").asInt());
            assertEquals(1, result.exitCode(), "a rejected event is a failed check");
        }
    }

    @Test
    void cleanStreamExitsZeroAndMissedCountExitsOne() throws Exception {
        try (MosquittoBroker broker = MosquittoBroker.start(temp.resolve("broker"), "connection_messages true", "log_type all")) {
            CompletableFuture<Run> run = subscribe("events", "subscribe", "--broker", broker.url("tcp"), "--key", masterKey().toString(),
                "--json", "--count", "2", "--timeout", "30");
            awaitSubscribed(broker, 1);
            MqttClient device = publisher(broker);
            for (long seq = 1; seq <= 2; seq++) {
                publish(device, "carapace/v1/car-9/events/gate",
                    EventStreamCheckerTest.sealed(EventStreamCheckerTest.event("car-9", seq, "GATE_ALLOWED", "gate", Map.of())));
            }
            device.disconnect();
            device.close();
            assertEquals(0, run.get(40, TimeUnit.SECONDS).exitCode());
            Run short1 = subscribe("events", "subscribe", "--broker", broker.url("tcp"), "--key", masterKey().toString(),
                "--json", "--count", "5", "--timeout", "1").get(20, TimeUnit.SECONDS);
            assertEquals(1, short1.exitCode(), "timed out before --count events");
        }
    }

    @Test
    void sharedSubscriptionSplitsTheStreamBetweenConsumers() throws Exception {
        // Mosquitto 2.0 honours $share/ for MQTT 3.1.1 clients too
        try (MosquittoBroker broker = MosquittoBroker.start(temp.resolve("broker"), "connection_messages true", "log_type all")) {
            Path key = masterKey();
            CompletableFuture<Run> a = subscribe("events", "subscribe", "--broker", broker.url("tcp"), "--key", key.toString(),
                "--json", "--share", "soc", "--no-status", "--timeout", "6");
            CompletableFuture<Run> b = subscribe("events", "subscribe", "--broker", broker.url("tcp"), "--key", key.toString(),
                "--json", "--share", "soc", "--no-status", "--timeout", "6");
            awaitSubscribed(broker, 2);
            MqttClient device = publisher(broker);
            for (long seq = 1; seq <= 40; seq++) {
                publish(device, "carapace/v1/car-3/events/gate",
                    EventStreamCheckerTest.sealed(EventStreamCheckerTest.event("car-3", seq, "GATE_ALLOWED", "gate", Map.of())));
            }
            device.disconnect();
            device.close();
            Run ra = a.get(30, TimeUnit.SECONDS);
            Run rb = b.get(30, TimeUnit.SECONDS);
            Set<Long> seen = new HashSet<>();
            int total = 0;
            for (Run r : List.of(ra, rb)) {
                assertTrue(r.kind("event").size() > 0, "each consumer gets a share: " + r.lines());
                assertTrue(r.kind("gap").isEmpty(), "no gap alarms in a shared subscription");
                assertEquals(0, r.exitCode(), r.err());
                for (JsonNode e : r.kind("event")) {
                    seen.add(e.get("seq").asLong());
                    total++;
                }
            }
            assertEquals(40, seen.size());
            assertEquals(40, total, "each event went to exactly one consumer");
        }
    }

    @Test
    void usageErrorsExitTwo() throws Exception {
        Path key = masterKey();
        StringWriter err = new StringWriter();
        assertEquals(2, Main.run(new String[] {"events", "subscribe", "--broker", "http://x", "--key", key.toString()},
            new PrintWriter(new StringWriter()), new PrintWriter(err)));
        assertEquals(2, Main.run(new String[] {"events", "subscribe", "--broker", "ssl://x:1", "--key", key.toString()},
            new PrintWriter(new StringWriter()), new PrintWriter(err)));
        assertEquals(2, Main.run(new String[] {"events", "subscribe", "--broker", "tcp://127.0.0.1:1", "--key",
            temp.resolve("none").toString()},
            new PrintWriter(new StringWriter()), new PrintWriter(err)));
        assertEquals(2, Main.run(new String[] {"events", "subscribe", "--broker", "tcp://127.0.0.1:" + MosquittoBroker.freePort(),
            "--key", key.toString()}, new PrintWriter(new StringWriter()), new PrintWriter(err)));
        assertTrue(err.toString().contains("cannot connect"), err.toString());
    }

    @Test
    void keygenDerivesTheKeyTheDeviceNeeds() throws Exception {
        Path master = temp.resolve("m.key");
        Path device = temp.resolve("d.key");
        StringWriter out = new StringWriter();
        assertEquals(0, Main.run(new String[] {"events", "keygen", "--master", "--out", master.toString()}, new PrintWriter(out),
            new PrintWriter(out)));
        assertEquals(0, Main.run(new String[] {"events", "keygen", "--device", "car-5", "--from-master", master.toString(), "--out",
            device.toString()},
            new PrintWriter(out), new PrintWriter(out)));
        EventKeyFile m = EventKeyFile.read(master);
        EventKeyFile d = EventKeyFile.read(device);
        byte[] derived = org.carapace.api.monitoring.HmacEventKeys.deriveDeviceKey(m.key(), "car-5");
        assertEquals(org.carapace.api.monitoring.HmacEventKeys.keyId(derived), d.keyId());
        assertEquals(2, Main.run(new String[] {"events", "keygen", "--master", "--out", master.toString()}, new PrintWriter(out),
            new PrintWriter(out)),
            "keys are never overwritten");
    }
}
