package org.carapace.cli.dashboard;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.carapace.api.events.Severity;
import org.carapace.api.monitoring.EventCodec;
import org.carapace.api.monitoring.EventKeyFile;
import org.carapace.api.monitoring.HmacEventKeys;
import org.carapace.api.monitoring.QualifiedEvent;
import org.carapace.monitoring.internal.MosquittoBroker;
import org.eclipse.paho.client.mqttv3.MqttAsyncClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;

/**
 * {@code bench/dashboard.sh}: for H2 and PostgreSQL in one run, the real {@code carapace dashboard} (in this JVM)
 * subscribed to a local Mosquitto; N sealed events of D devices published at QoS 1; the ingest rate is N over the time
 * from the first publish to the API counting N stored events (verification, de-duplication, batching and commits
 * included). Then, with those N events stored, the page's load time in headless Chromium (navigation to the page
 * usable: overview, first 100 events, timeline of the last hour over all N events) and the API calls it makes.
 */
public final class DashboardBenchmark {

    private DashboardBenchmark() {
    }

    record Result(String database, int events, double seconds, double perSecond, List<Long> pageMs, Map<String, Long> apiMs) {
    }

    public static void main(String[] args) throws Exception {
        int events = Integer.parseInt(args[0]);
        int devices = Integer.parseInt(args[1]);
        int pageLoads = Integer.parseInt(args[2]);
        Path work = Path.of(args[3]);
        String postgres = args.length > 4 ? args[4] : null;
        EventKeyFile master = EventKeyFile.generateMasterKey();
        Path key = work.resolve("master.key");
        master.write(key);
        System.out.printf("sealing %,d events of %d devices%n", events, devices);
        List<String> topics = new ArrayList<>(events);
        List<byte[]> payloads = new ArrayList<>(events);
        seal(master, events, devices, topics, payloads);
        List<Result> results = new ArrayList<>();
        results.add(run("H2 (embedded file)", "jdbc:h2:file:" + work.resolve("h2/dashboard").toAbsolutePath() + ";DB_CLOSE_ON_EXIT=FALSE",
            work, key, topics, payloads, pageLoads));
        if (postgres != null) {
            String schema = "bench_" + UUID.randomUUID().toString().replace("-", "");
            try (Connection c = DriverManager.getConnection(postgres); Statement s = c.createStatement()) {
                s.execute("CREATE SCHEMA " + schema);
            }
            results.add(run("PostgreSQL 15", postgres + (postgres.contains("?") ? "&" : "?") + "currentSchema=" + schema, work, key,
                topics, payloads, pageLoads));
        }
        System.out.println();
        System.out.println("| database | events | ingest time | events/s | page load, median (min–max) of " + pageLoads
            + " | GET overview | GET events?limit=100 | GET timeline (1 h) |");
        System.out.println("|---|---|---|---|---|---|---|---|");
        for (Result r : results) {
            long[] sorted = r.pageMs().stream().mapToLong(Long::longValue).sorted().toArray();
            System.out.printf("| %s | %,d | %.1f s | %,.0f | %d ms (%d–%d) | %d ms | %d ms | %d ms |%n", r.database(), r.events(),
                r.seconds(), r.perSecond(), sorted[sorted.length / 2], sorted[0], sorted[sorted.length - 1], r.apiMs().get("overview"),
                r.apiMs().get("events"), r.apiMs().get("timeline"));
        }
    }

    /** Events as a gate reports them: mostly allowed containers, some refused, a few SecOC failures; 4 context entries. */
    private static void seal(EventKeyFile master, int events, int devices, List<String> topics, List<byte[]> payloads) {
        long[] seq = new long[devices];
        byte[][] keys = new byte[devices][];
        for (int d = 0; d < devices; d++) {
            keys[d] = HmacEventKeys.deriveDeviceKey(master.key(), device(d));
        }
        Instant now = Instant.now();
        for (int i = 0; i < events; i++) {
            int d = i % devices;
            boolean refused = i % 10 == 0;
            boolean secoc = i % 50 == 1;
            String type = secoc ? "SECOC_VERIFICATION_FAILED" : refused ? "GATE_REFUSED" : "GATE_ALLOWED";
            String category = secoc ? "secoc" : "gate";
            Map<String, Object> context = new LinkedHashMap<>();
            context.put("containerId", "c" + i);
            context.put("bundle", "/run/containers/c" + i);
            context.put("image", "busybox-demo");
            context.put("mode", "enforce");
            QualifiedEvent e = new QualifiedEvent(device(d), ++seq[d], "b00t", now, 1000 + seq[d], 0x8001, type, category,
                "org.carapace.enforcement", refused || secoc ? Severity.HIGH : Severity.INFO, 1, type.toLowerCase() + " c" + i, context,
                false, null);
            topics.add("carapace/v1/" + device(d) + "/events/" + category);
            payloads.add(HmacEventKeys.authenticator(keys[d]).seal(EventCodec.PAYLOAD_TYPE, EventCodec.encode(e)).toJson());
        }
    }

    private static String device(int d) {
        return String.format("vehicle-%04d", d);
    }

    private static Result run(String name, String db, Path work, Path key, List<String> topics, List<byte[]> payloads, int pageLoads)
        throws Exception {
        System.out.println("== " + name);
        Path dir = work.resolve(UUID.randomUUID().toString());
        Files.createDirectories(dir);
        // Mosquitto queues at most 1,000 messages for a subscriber by default and drops the rest: a back end receiving a
        // fleet's bursts needs the limit lifted (docs/dashboard.md, "Broker")
        try (MosquittoBroker broker = MosquittoBroker.start(dir.resolve("broker"), "max_queued_messages 0", "max_inflight_messages 1000");
             DashboardRun dashboard = new DashboardRun("dashboard", "--broker", broker.url("tcp"), "--key", key.toString(), "--listen",
                 "127.0.0.1:0", "--data-dir", dir.resolve("data").toString(), "--db", db, "--timeout", "3600")) {
            dashboard.url();
            MqttAsyncClient publisher = new MqttAsyncClient(broker.url("tcp"), "bench-publisher", new MemoryPersistence());
            MqttConnectOptions options = new MqttConnectOptions();
            options.setMaxInflight(1000);
            publisher.connect(options).waitForCompletion(10_000);
            long start = System.nanoTime();
            for (int i = 0; i < payloads.size(); i++) {
                MqttMessage m = new MqttMessage(payloads.get(i));
                m.setQos(1);
                while (true) {
                    try {
                        publisher.publish(topics.get(i), m);
                        break;
                    } catch (org.eclipse.paho.client.mqttv3.MqttException e) {
                        if (e.getReasonCode() != org.eclipse.paho.client.mqttv3.MqttException.REASON_CODE_MAX_INFLIGHT) {
                            throw e;
                        }
                        Thread.sleep(1);
                    }
                }
            }
            double published = (System.nanoTime() - start) / 1e9;
            long stored = 0;
            long deadline = System.currentTimeMillis() + 1_800_000;
            while (stored < payloads.size() && System.currentTimeMillis() < deadline) {
                Thread.sleep(100);
                stored = dashboard.get("/api/v1/overview").get("storedEvents").asLong();
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            publisher.disconnect().waitForCompletion(5_000);
            publisher.close();
            if (stored != payloads.size()) {
                throw new IllegalStateException(name + ": " + stored + " of " + payloads.size() + " stored; " + dashboard.err());
            }
            System.out.printf("published in %.1f s; %,d stored in %.1f s: %,.0f events/s%n", published, stored, seconds,
                stored / seconds);
            List<Long> pageMs = new ArrayList<>();
            Files.createDirectories(dir.resolve("chromium"));
            try (WebDriver browser = new WebDriver(dir.resolve("chromium"), dir.resolve("chromedriver.log"))) {
                for (int i = 0; i < pageLoads + 1; i++) {
                    long t0 = System.nanoTime();
                    browser.open(dashboard.url());
                    browser.await("the page ready", "return document.body.getAttribute('data-ready');", v -> "true".equals(v.asText()));
                    long wall = (System.nanoTime() - t0) / 1_000_000;
                    JsonNode shown = browser.script("return [document.body.getAttribute('data-ready-ms'), "
                        + "document.querySelectorAll('#events li').length, document.getElementById('overview-summary').textContent];");
                    if (i == 0) {
                        System.out.println("first load (not counted): " + wall + " ms; " + shown);
                        continue;
                    }
                    pageMs.add(shown.get(0).asLong());
                    System.out.println("page usable after " + shown.get(0).asText() + " ms (navigation start; " + wall
                        + " ms as the test driver saw it); " + shown.get(1).asInt() + " events listed");
                }
            }
            Map<String, Long> api = new LinkedHashMap<>();
            // parameters differ per request where the API has any, so no database answers from a result cache
            String base = dashboard.url();
            api.put("overview", median(i -> base + "api/v1/overview"));
            api.put("events", median(i -> base + "api/v1/events?limit=" + (100 - i % 2)));
            long to = System.currentTimeMillis();
            api.put("timeline", median(i -> base + "api/v1/timeline?from=" + (to - 3600_000 + i) + "&to=" + (to + i)
                + "&bucket=60"));
            return new Result(name, payloads.size(), seconds, stored / seconds, pageMs, api);
        }
    }

    /** Median wall time in ms of 21 GETs (the first of 22 is a warm-up). */
    private static long median(java.util.function.IntFunction<String> urls) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        long[] ms = new long[21];
        for (int i = -1; i < ms.length; i++) {
            String url = urls.apply(i + 1);
            long t0 = System.nanoTime();
            HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofByteArray());
            if (r.statusCode() != 200) {
                throw new IllegalStateException(url + ": " + r.statusCode());
            }
            if (i >= 0) {
                ms[i] = (System.nanoTime() - t0) / 1_000_000;
            }
        }
        Arrays.sort(ms);
        return ms[ms.length / 2];
    }
}
