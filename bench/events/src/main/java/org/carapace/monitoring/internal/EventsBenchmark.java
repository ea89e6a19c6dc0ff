package org.carapace.monitoring.internal;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.stream.Stream;
import org.carapace.api.events.SecurityEvent;
import org.carapace.api.events.SecurityEventType;
import org.carapace.api.monitoring.EventKeyFile;
import org.carapace.api.monitoring.HmacEventKeys;
import org.eclipse.paho.client.mqttv3.IMqttActionListener;
import org.eclipse.paho.client.mqttv3.IMqttToken;
import org.eclipse.paho.client.mqttv3.MqttAsyncClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;

/**
 * Security events per second to a local Mosquitto (started here on a free port):
 * <ul>
 *   <li>{@code carapace}: the monitoring pipeline as the EventAdmin handler runs it (bounding, filters, event JSON,
 *       HMAC-SHA-256 envelope, journal append with group-commit fsync) and the MQTT publisher (QoS 1, 1000 in
 *       flight, journal position moved by each PUBACK), from the first event submitted to the last acknowledged;</li>
 *   <li>{@code paho-qos1}: baseline, the same envelopes published by Paho at QoS 1 with 1000 in flight, no journal;</li>
 *   <li>{@code paho-qos0}: baseline, the same at QoS 0 (no acknowledgement, nothing durable).</li>
 * </ul>
 * After one warm-up round of each (not counted), rounds are interleaved. Then {@code offline}: a million events
 * journalled with no broker (heap, RSS, disk), and the time to deliver that backlog once a broker is there.
 *
 * <p>Arguments: {@code [events per round] [rounds] [offline events] [work dir]}.
 */
public final class EventsBenchmark {

    private static final String DEVICE = "bench-vehicle-1";
    private static final String BOOT = "6f1c2d3e-4b5a-4c3d-9e8f-7a6b5c4d3e2f";

    private EventsBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int events = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        int offline = args.length > 2 ? Integer.parseInt(args[2]) : 1_000_000;
        Path work = args.length > 3 ? Path.of(args[3]) : Files.createTempDirectory("carapace-bench-events");
        Files.createDirectories(work);
        EventKeyFile key = EventKeyFile.generateDeviceKey(DEVICE, false);
        System.out.printf("# %d events per round, %d rounds, %d offline, Java %s, %d CPUs, work %s%n", events, rounds, offline,
            Runtime.version(), Runtime.getRuntime().availableProcessors(), work);

        Map<String, List<Double>> rates = new LinkedHashMap<>();
        try (MosquittoBroker broker = MosquittoBroker.start(work.resolve("broker"), "max_inflight_messages 0", "max_queued_messages 0")) {
            // the baseline publishes a pool of real envelopes cyclically: holding a million of them would not fit the
            // head unit's heap this benchmark runs in
            List<byte[]> envelopes = envelopes(key, 1000);
            // warm-up (not counted): let the JIT compile every path first
            carapace(broker, key, work.resolve("warm-up"), Math.max(events / 4, 1000));
            paho(broker, envelopes, Math.max(events / 4, 1000), 1);
            paho(broker, envelopes, Math.max(events / 4, 1000), 0);
            for (int round = 1; round <= rounds; round++) {
                rates.computeIfAbsent("carapace", k -> new ArrayList<>()).add(carapace(broker, key, work.resolve("round-" + round),
                    events));
                rates.computeIfAbsent("paho-qos1", k -> new ArrayList<>()).add(paho(broker, envelopes, events, 1));
                rates.computeIfAbsent("paho-qos0", k -> new ArrayList<>()).add(paho(broker, envelopes, events, 0));
                System.out.printf("round %d: %s%n", round, last(rates));
            }
            System.out.println("| variant | events/s, median of " + rounds + " | min | max |");
            System.out.println("|---|---|---|---|");
            for (Map.Entry<String, List<Double>> entry : rates.entrySet()) {
                List<Double> sorted = entry.getValue().stream().sorted().toList();
                System.out.printf("| %s | %,.0f | %,.0f | %,.0f |%n", entry.getKey(), sorted.get(sorted.size() / 2), sorted.get(0),
                    sorted.get(sorted.size() - 1));
            }
            envelopes = null;
            if (offline > 0) {
                offline(broker, key, work.resolve("offline"), offline);
            }
        }
        deleteTree(work);
    }

    private static String last(Map<String, List<Double>> rates) {
        StringBuilder text = new StringBuilder();
        rates.forEach((name, values) -> text.append(String.format("%s %,.0f/s  ", name, values.get(values.size() - 1))));
        return text.toString();
    }

    /**
     * Events as EventAdmin hands them to the monitoring handler. Building them is the reporting bundle's work, not
     * monitoring's: like the Paho baseline's envelopes, a pool of distinct ones is reused.
     */
    private static final List<Map<String, Object>> POOL = new ArrayList<>();

    static {
        for (int i = 0; i < 1000; i++) {
            POOL.add(Collections.unmodifiableMap(properties(i)));
        }
    }

    private static Map<String, Object> event(int i) {
        return POOL.get(i % POOL.size());
    }

    private static Map<String, Object> properties(int i) {
        Map<String, Object> context = new LinkedHashMap<>();
        context.put("container", "infotainment-" + (i % 7));
        context.put("image", "registry.example/oem/infotainment@sha256:9f2c1e0b7d4a5c3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e");
        context.put("reason", "digest not in policy");
        context.put("policyVersion", 42);
        return SecurityEvent.of(SecurityEventType.GATE_REFUSED, "org.carapace.enforcement", "refused container image", context)
            .toProperties(System.currentTimeMillis());
    }

    private static EventPipeline pipeline(EventJournal journal, EventKeyFile key) {
        return new EventPipeline(DEVICE, BOOT, journal, HmacEventKeys.authenticator(key.key()),
            new FilterChain(MonotonicClock.INSTANCE, DeviceLimits.none()), new ContextBounds(256, 16, 256, 16), null,
            Clock.systemUTC(), System::nanoTime, System.err::println);
    }

    private static MqttPublisher publisher(MosquittoBroker broker, EventJournal journal) {
        MqttPublisher.Settings settings = new MqttPublisher.Settings(broker.url("tcp"), "carapace-" + DEVICE, DEVICE, null, null, null,
            30, 10, 100, 1_000, 1000, 500);
        return new MqttPublisher(settings, journal, BOOT, Clock.systemUTC(), m -> { }, System.err::println);
    }

    private static EventJournal.Limits limits(long maxBytes) {
        return new EventJournal.Limits(maxBytes, 64L * 1024 * 1024, 64 * 1024, 200);
    }

    /** The monitoring pipeline and publisher, first submit to last acknowledgement. */
    private static double carapace(MosquittoBroker broker, EventKeyFile key, Path dir, int events) throws Exception {
        try (EventJournal journal = EventJournal.open(dir, limits(4L * 1024 * 1024 * 1024));
             MqttPublisher publisher = publisher(broker, journal)) {
            EventPipeline pipeline = pipeline(journal, key);
            publisher.start();
            String topic = SecurityEventType.GATE_REFUSED.topic();
            long start = System.nanoTime();
            for (int i = 0; i < events; i++) {
                pipeline.submit(topic, event(i));
            }
            while (journal.stats().ackedSeq() < events) {
                Thread.sleep(2);
            }
            return events / ((System.nanoTime() - start) / 1e9);
        } finally {
            deleteTree(dir);
        }
    }

    private static List<byte[]> envelopes(EventKeyFile key, int events) throws Exception {
        Path dir = Files.createTempDirectory("carapace-bench-envelopes");
        List<byte[]> out = new ArrayList<>(events);
        try (EventJournal journal = EventJournal.open(dir, limits(4L * 1024 * 1024 * 1024))) {
            EventPipeline pipeline = pipeline(journal, key);
            for (int i = 0; i < events; i++) {
                pipeline.submit(SecurityEventType.GATE_REFUSED.topic(), event(i));
            }
            journal.awaitDurable(events, 60_000);
            long from = 1;
            while (out.size() < events) {
                for (JournalRecord record : journal.read(from, 10_000, 64L << 20)) {
                    out.add(SealedEvent.decode(record.payload()).toJson());
                    from = record.sequence() + 1;
                }
            }
        } finally {
            deleteTree(dir);
        }
        System.out.printf("# envelope size: %d bytes (event JSON %d bytes)%n", out.get(0).length,
            org.carapace.api.monitoring.EventEnvelope.fromJson(out.get(0)).payload().length);
        return out;
    }

    /** Baseline: Paho alone, envelopes like the journal's, 1000 in flight at QoS 1 (or QoS 0), no journal. */
    private static double paho(MosquittoBroker broker, List<byte[]> envelopes, int events, int qos) throws Exception {
        MqttAsyncClient client = new MqttAsyncClient(broker.url("tcp"), "bench-paho-" + qos, new MemoryPersistence());
        MqttConnectOptions options = new MqttConnectOptions();
        options.setCleanSession(true);
        options.setMaxInflight(1000);
        client.connect(options).waitForCompletion(10_000);
        Semaphore inflight = new Semaphore(1000);
        IMqttActionListener done = new IMqttActionListener() {
            @Override
            public void onSuccess(IMqttToken token) {
                inflight.release();
            }

            @Override
            public void onFailure(IMqttToken token, Throwable failure) {
                inflight.release();
            }
        };
        String topic = "carapace/v1/" + DEVICE + "/events/gate";
        long start = System.nanoTime();
        for (int i = 0; i < events; i++) {
            inflight.acquire();
            client.publish(topic, envelopes.get(i % envelopes.size()), qos, false, null, done);
        }
        inflight.acquire(1000);
        double rate = events / ((System.nanoTime() - start) / 1e9);
        client.disconnect().waitForCompletion(5_000);
        client.close();
        return rate;
    }

    /** A million events journalled with no broker; then delivered once the broker is there. */
    private static void offline(MosquittoBroker broker, EventKeyFile key, Path dir, int events) throws Exception {
        System.gc();
        long heapBefore = usedHeap();
        long rssBefore = rssKiB();
        try (EventJournal journal = EventJournal.open(dir, limits(8L * 1024 * 1024 * 1024))) {
            EventPipeline pipeline = pipeline(journal, key);
            String topic = SecurityEventType.GATE_REFUSED.topic();
            long start = System.nanoTime();
            for (int i = 0; i < events; i++) {
                pipeline.submit(topic, event(i));
            }
            journal.awaitDurable(events, 600_000);
            double appendSeconds = (System.nanoTime() - start) / 1e9;
            System.gc();
            EventJournal.Stats stats = journal.stats();
            long onDisk;
            try (Stream<Path> files = Files.list(dir)) {
                onDisk = files.mapToLong(f -> f.toFile().length()).sum();
            }
            System.out.printf("| offline: %,d events journalled | %.1f s (%,.0f events/s) | journal %,d bytes on disk"
                + " (%d segments, %.0f bytes/event) | heap used %,d KiB (before %,d KiB) | RSS %,d KiB (before %,d KiB)"
                + " | max heap %,d MiB |%n", events, appendSeconds, events / appendSeconds, onDisk, stats.segments(),
                onDisk / (double) events, usedHeap() / 1024, heapBefore / 1024, rssKiB(), rssBefore,
                Runtime.getRuntime().maxMemory() >> 20);
            try (MqttPublisher publisher = publisher(broker, journal)) {
                long drainStart = System.nanoTime();
                publisher.start();
                while (journal.stats().ackedSeq() < events) {
                    Thread.sleep(5);
                }
                double drainSeconds = (System.nanoTime() - drainStart) / 1e9;
                System.out.printf("| offline backlog delivered | %.1f s (%,.0f events/s) | RSS %,d KiB |%n", drainSeconds,
                    events / drainSeconds, rssKiB());
            }
        } finally {
            deleteTree(dir);
        }
    }

    private static long usedHeap() {
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    private static long rssKiB() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return -1;
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path path : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }
}
