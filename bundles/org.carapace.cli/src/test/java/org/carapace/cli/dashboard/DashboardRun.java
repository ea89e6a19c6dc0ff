package org.carapace.cli.dashboard;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.carapace.api.events.Severity;
import org.carapace.api.monitoring.EventCodec;
import org.carapace.api.monitoring.EventKeyFile;
import org.carapace.api.monitoring.HmacEventKeys;
import org.carapace.api.monitoring.QualifiedEvent;
import org.carapace.cli.Main;
import org.carapace.monitoring.internal.MosquittoBroker;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;

/** {@code carapace dashboard} running in a thread of the test, and a device that publishes sealed events to the broker. */
final class DashboardRun implements AutoCloseable {

    private static final Pattern URL = Pattern.compile("carapace dashboard: (https?://\\S+/) ");

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();
    private final Thread thread;
    private final ObjectMapper mapper = new ObjectMapper();
    private final HttpClient http = HttpClient.newHttpClient();
    private volatile int exitCode = -1;
    private String url;

    DashboardRun(String... args) {
        thread = new Thread(() -> exitCode = Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true)),
            "dashboard-under-test");
        thread.start();
    }

    /** The page's address once the command printed it (it prints it after subscribing). */
    String url() throws InterruptedException {
        long deadline = System.currentTimeMillis() + 30_000;
        while (url == null && System.currentTimeMillis() < deadline) {
            Matcher m = URL.matcher(out.toString());
            if (m.find()) {
                url = m.group(1);
                return url;
            }
            if (!thread.isAlive()) {
                throw new AssertionError("carapace dashboard exited with " + exitCode + ": " + out + err);
            }
            Thread.sleep(20);
        }
        if (url == null) {
            throw new AssertionError("carapace dashboard did not start: " + out + err);
        }
        return url;
    }

    JsonNode get(String path) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url()).resolve(path)).build(),
            HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new AssertionError(path + ": " + r.statusCode() + " " + r.body());
        }
        return mapper.readTree(r.body());
    }

    /** Polls an API path until the condition holds (ingestion is asynchronous). */
    JsonNode await(String path, Predicate<JsonNode> condition) throws Exception {
        long deadline = System.currentTimeMillis() + 20_000;
        JsonNode last = null;
        while (System.currentTimeMillis() < deadline) {
            last = get(path);
            if (condition.test(last)) {
                return last;
            }
            Thread.sleep(50);
        }
        throw new AssertionError(path + " never satisfied the condition; last: " + last + "\n" + err);
    }

    String err() {
        return err.toString();
    }

    @Override
    public void close() throws InterruptedException {
        thread.interrupt();
        thread.join(15_000);
    }

    int exitCode() {
        return exitCode;
    }

    /** A vehicle: publishes events sealed with its key derived from the fleet master key, and its retained status. */
    static final class Device implements AutoCloseable {
        private final MqttClient client;
        private final String id;
        private final byte[] key;
        private long seq;

        Device(MosquittoBroker broker, String id, EventKeyFile master) throws Exception {
            this.id = id;
            this.key = HmacEventKeys.deriveDeviceKey(master.key(), id);
            client = new MqttClient(broker.url("tcp"), "test-" + id + "-" + System.nanoTime(), new MemoryPersistence());
            MqttConnectOptions options = new MqttConnectOptions();
            options.setMaxInflight(1000); // the tests publish bursts at QoS 1 without waiting for each
            client.connect(options);
        }

        void online() throws Exception {
            status("online");
        }

        /** The retained status the device's monitoring publishes (online, or offline as its last will / clean stop). */
        void status(String state) throws Exception {
            MqttMessage m = new MqttMessage(("{\"v\":1,\"device\":\"" + id + "\",\"state\":\"" + state + "\",\"boot\":\"b00t\","
                + "\"time\":\"" + Instant.now() + "\"}").getBytes(StandardCharsets.UTF_8));
            m.setQos(1);
            m.setRetained(true);
            client.publish("carapace/v1/" + id + "/status", m);
        }

        long publish(String type, String category, Severity severity, Map<String, Object> context) throws Exception {
            return publish(type, category, severity, context, type.toLowerCase(java.util.Locale.ROOT) + " #" + (seq + 1));
        }

        long publish(String type, String category, Severity severity, Map<String, Object> context, String message) throws Exception {
            QualifiedEvent e = new QualifiedEvent(id, ++seq, "b00t", Instant.now(), 1000 + seq, 0x8001, type, category,
                "org.carapace.enforcement", severity, 1, message, context, false, null);
            raw("carapace/v1/" + id + "/events/" + category, HmacEventKeys.authenticator(key).seal(EventCodec.PAYLOAD_TYPE,
                EventCodec.encode(e)).toJson());
            return seq;
        }

        void raw(String topic, byte[] payload) throws Exception {
            MqttMessage m = new MqttMessage(payload);
            m.setQos(1);
            client.publish(topic, m);
        }

        @Override
        public void close() throws Exception {
            client.disconnect();
            client.close();
        }
    }

    static List<String> args(MosquittoBroker broker, java.nio.file.Path key, java.nio.file.Path dataDir, String... extra) {
        List<String> a = new ArrayList<>(List.of("dashboard", "--broker", broker.url("tcp"), "--key", key.toString(), "--listen",
            "127.0.0.1:0", "--data-dir", dataDir.toString(), "--timeout", "120"));
        a.addAll(List.of(extra));
        return a;
    }
}
