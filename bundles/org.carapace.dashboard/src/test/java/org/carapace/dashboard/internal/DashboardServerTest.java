package org.carapace.dashboard.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.carapace.api.events.Severity;
import org.carapace.api.monitoring.EventCodec;
import org.carapace.api.monitoring.EventKeyFile;
import org.carapace.api.monitoring.EventStreamChecker;
import org.carapace.api.monitoring.HmacEventKeys;
import org.carapace.api.monitoring.QualifiedEvent;
import org.carapace.api.monitoring.SequenceTracker;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The dashboard's ingest and HTTP API over a real H2 file database, fed with sealed events as MQTT would deliver them. */
class DashboardServerTest {

    static final EventKeyFile MASTER = EventKeyFile.generateMasterKey();

    @TempDir
    Path temp;

    private final ObjectMapper mapper = new ObjectMapper();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private Dashboard dashboard;

    static QualifiedEvent event(String device, long seq, String type, Severity severity, Map<String, Object> context) {
        return new QualifiedEvent(device, seq, "b00t", Instant.now(), 1000 + seq, 0x8002, type, "gate", "org.carapace.enforcement",
            severity, 1, "message " + seq, context, false, null);
    }

    static byte[] sealed(QualifiedEvent event, byte[] master) {
        byte[] key = HmacEventKeys.deriveDeviceKey(master, event.deviceId());
        return HmacEventKeys.authenticator(key).seal(EventCodec.PAYLOAD_TYPE, EventCodec.encode(event)).toJson();
    }

    private Dashboard start(Users users) throws Exception {
        return start(users, Dashboard.IngestLimits.defaults());
    }

    private Dashboard start(Users users, Dashboard.IngestLimits ingestLimits) throws Exception {
        return start(users, ingestLimits, 100);
    }

    private Dashboard start(Users users, Dashboard.IngestLimits ingestLimits, int maxDevices) throws Exception {
        EventStore store = EventStore.open(TestDatabases.url("h2", temp), null, null, 2, Clock.systemUTC());
        DashboardConfig config = new DashboardConfig(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), users, null, 3600_000,
            new Limits(10, 50, 4096, 2, 16, 24 * 3600_000L, 100, maxDevices, 4));
        dashboard = Dashboard.start(store, new EventStreamChecker(MASTER.verifier(), new SequenceTracker(1024), true), config,
            ingestLimits, Clock.systemUTC());
        return dashboard;
    }

    @AfterEach
    void stop() {
        if (dashboard != null) {
            dashboard.close();
        }
    }

    private HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(dashboard.url()).resolve(path)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private JsonNode json(String path) throws Exception {
        HttpResponse<String> r = get(path);
        assertEquals(200, r.statusCode(), r.body());
        return mapper.readTree(r.body());
    }

    private void feed(String device, long seq, String type, Severity severity, Map<String, Object> context) throws Exception {
        dashboard.accept("carapace/v1/" + device + "/events/gate", sealed(event(device, seq, type, severity, context), MASTER.key()));
    }

    @Test
    void storesVerifiedEventsAndCountsTheRest() throws Exception {
        start(null);
        byte[] allowed = sealed(event("car-1", 1, "GATE_ALLOWED", Severity.INFO, Map.of("image", "busybox")), MASTER.key());
        dashboard.accept("carapace/v1/car-1/events/gate", allowed);
        dashboard.accept("carapace/v1/car-1/events/gate", allowed); // QoS 1 redelivery
        feed("car-1", 2, "GATE_REFUSED", Severity.HIGH, Map.of("image", "busybox", "paths", "/usr/bin/ping"));
        // attack: an event sealed with a guessed key
        byte[] forged = sealed(event("car-1", 3, "GATE_ALLOWED", Severity.INFO, Map.of()), EventKeyFile.generateMasterKey().key());
        dashboard.accept("carapace/v1/car-1/events/gate", forged);
        // attack: a genuine event of car-1 re-published as car-2's
        dashboard.accept("carapace/v1/car-2/events/gate", sealed(event("car-1", 4, "GATE_ALLOWED", Severity.INFO, Map.of()),
            MASTER.key()));
        dashboard.accept("carapace/v1/car-1/status", "{\"v\":1,\"device\":\"car-1\",\"state\":\"online\",\"boot\":\"b00t\",\"time\":\"x\"}"
            .getBytes(StandardCharsets.UTF_8));
        assertTrue(dashboard.ingest().drain(10_000));

        JsonNode overview = json("/api/v1/overview");
        assertEquals(2, overview.get("storedEvents").asLong());
        JsonNode car = overview.get("devices").get(0);
        assertEquals("car-1", car.get("device").asText());
        assertEquals("online", car.get("state").asText());
        assertEquals(1, car.get("severity").get("HIGH").asLong());
        assertEquals(1, car.get("severity").get("INFO").asLong());
        assertEquals(1, car.get("duplicates").asLong());
        assertEquals(1, car.get("rejected").get("unknown-key").asLong() + car.get("rejected").path("forged").asLong());
        assertEquals("GATE_REFUSED", car.get("lastEvent").get("type").asText());
        assertEquals(1, overview.get("devices").size(), "car-2 had only a rejected message: " + overview);

        JsonNode refused = json("/api/v1/events?severity=HIGH");
        assertEquals(1, refused.get("events").size());
        assertEquals("/usr/bin/ping", refused.get("events").get(0).get("context").get("paths").asText());
        assertEquals(2, json("/api/v1/events?device=car-1").get("events").size());
        assertEquals(0, json("/api/v1/events?device=car-2").get("events").size());
        assertEquals(2, json("/api/v1/devices/car-1").get("events").size());
        JsonNode timeline = json("/api/v1/timeline");
        assertEquals(1, timeline.get("series").get("GATE_REFUSED").get(0).get(1).asLong());
    }

    @Test
    void oversizedMessagesAreRejectedUnreadAndLongContextsCutToTheLimit() throws Exception {
        start(null, new Dashboard.IngestLimits(100, 10, 2048, 3));
        java.util.Map<String, Object> context = new java.util.LinkedHashMap<>();
        for (int i = 0; i < 5; i++) {
            context.put("k" + i, "v" + i);
        }
        feed("car-1", 1, "GATE_REFUSED", Severity.HIGH, context);
        // attack: a message far beyond the event size limit (never parsed, never verified)
        dashboard.accept("carapace/v1/car-1/events/gate", new byte[4096]);
        assertTrue(dashboard.ingest().drain(10_000));
        JsonNode stored = json("/api/v1/events").get("events").get(0);
        assertEquals(3, stored.get("context").size(), stored.toString());
        assertEquals("v2", stored.get("context").get("k2").asText());
        assertTrue(stored.get("truncated").asBoolean());
        JsonNode car = json("/api/v1/overview").get("devices").get(0);
        assertEquals(1, car.get("rejected").get("oversized").asLong(), car.toString());
        assertEquals(1, json("/api/v1/overview").get("ingest").get("contextTruncated").asLong());
        assertThrows(IllegalArgumentException.class, () -> new Dashboard.IngestLimits(100, 10, 2048, 65));
    }

    @Test
    void unauthenticatedStatusesCannotAddDevicesBeyondTheLimit() throws Exception {
        start(null, Dashboard.IngestLimits.defaults(), 2);
        // attack: anyone who may publish sends retained statuses of made-up devices
        for (String device : new String[] {"car-1", "ghost-1", "ghost-2", "ghost-3"}) {
            dashboard.accept("carapace/v1/" + device + "/status", ("{\"v\":1,\"device\":\"" + device + "\",\"state\":\"online\"}")
                .getBytes(StandardCharsets.UTF_8));
        }
        assertTrue(dashboard.ingest().drain(10_000));
        JsonNode overview = json("/api/v1/overview");
        assertEquals(2, overview.get("devices").size(), overview.toString());
        assertEquals(2, overview.get("unattributed").get("rejected.status-over-limit").asLong(), overview.toString());
    }

    @Test
    void refusesBadParametersWithTypedErrors() throws Exception {
        start(null);
        for (String[] c : new String[][] {{"/api/v1/events?limit=51", "limit"}, {"/api/v1/events?severity=BAD", "severity"},
            {"/api/v1/events?device=a/b", "device"}, {"/api/v1/events?from=yesterday", "from"}, {"/api/v1/events?bogus=1", "bogus"},
            {"/api/v1/timeline?from=0&to=172800000", "from"}, {"/api/v1/timeline?bucket=1&from=0&to=3600000", "bucket"}}) {
            HttpResponse<String> r = get(c[0]);
            assertEquals(400, r.statusCode(), c[0] + ": " + r.body());
            assertEquals(c[1], mapper.readTree(r.body()).get("error").get("parameter").asText(), c[0]);
        }
        assertEquals(404, get("/api/v1/devices/nobody").statusCode());
        assertEquals(404, get("/etc/passwd").statusCode());
    }

    @Test
    void everyResponseCarriesTheSecurityHeaders() throws Exception {
        start(null);
        HttpResponse<String> page = get("/");
        assertEquals(200, page.statusCode());
        assertEquals(DashboardServer.CSP, page.headers().firstValue("Content-Security-Policy").orElseThrow());
        assertTrue(DashboardServer.CSP.contains("script-src 'self'") && !DashboardServer.CSP.contains("unsafe"));
        assertEquals("nosniff", page.headers().firstValue("X-Content-Type-Options").orElseThrow());
        assertFalse(page.body().contains("<script>"), "no inline script in the page");
        assertEquals("DENY", get("/api/v1/overview").headers().firstValue("X-Frame-Options").orElseThrow());
    }

    @Test
    void answersOnlyToItsLoopbackName() throws Exception {
        start(null);
        // attack: DNS rebinding, a page of evil.example whose name now resolves to 127.0.0.1
        try (java.net.Socket s = new java.net.Socket(InetAddress.getLoopbackAddress(), URI.create(dashboard.url()).getPort())) {
            s.getOutputStream().write("GET /api/v1/overview HTTP/1.1\r\nHost: evil.example:8089\r\nConnection: close\r\n\r\n"
                .getBytes(StandardCharsets.US_ASCII));
            String status = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII)).readLine();
            assertTrue(status.contains(" 421 "), status);
        }
    }

    @Test
    void layoutIsSavedPerUserAndValidated() throws Exception {
        start(null);
        assertFalse(json("/api/v1/layout").get("saved").asBoolean());
        String layout = "{\"v\":1,\"panels\":[{\"id\":\"stream\",\"visible\":true},{\"id\":\"overview\",\"visible\":false}],"
            + "\"timelineMinutes\":15}";
        HttpResponse<String> put = http.send(HttpRequest.newBuilder(URI.create(dashboard.url() + "api/v1/layout"))
            .header("Content-Type", "application/json").PUT(HttpRequest.BodyPublishers.ofString(layout)).build(),
            HttpResponse.BodyHandlers.ofString());
        assertEquals(200, put.statusCode(), put.body());
        JsonNode saved = json("/api/v1/layout");
        assertTrue(saved.get("saved").asBoolean());
        assertEquals("local", saved.get("user").asText());
        assertEquals("stream", saved.get("layout").get("panels").get(0).get("id").asText());
        assertEquals(4, saved.get("layout").get("panels").size());
        assertEquals(15, saved.get("layout").get("timelineMinutes").asInt());
        // attack: a form post from another site (no JSON content type) cannot change it
        HttpResponse<String> form = http.send(HttpRequest.newBuilder(URI.create(dashboard.url() + "api/v1/layout"))
            .header("Content-Type", "application/x-www-form-urlencoded").PUT(HttpRequest.BodyPublishers.ofString("v=1")).build(),
            HttpResponse.BodyHandlers.ofString());
        assertEquals(415, form.statusCode());
        HttpResponse<String> bad = http.send(HttpRequest.newBuilder(URI.create(dashboard.url() + "api/v1/layout"))
            .header("Content-Type", "application/json").PUT(HttpRequest.BodyPublishers.ofString("{\"v\":1,\"panels\":[{\"id\":"
                + "\"<img src=x>\",\"visible\":true}]}")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(400, bad.statusCode());
        HttpResponse<String> big = http.send(HttpRequest.newBuilder(URI.create(dashboard.url() + "api/v1/layout"))
            .header("Content-Type", "application/json").PUT(HttpRequest.BodyPublishers.ofString("{\"x\":\"" + "a".repeat(5000) + "\"}"))
            .build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(413, big.statusCode());
    }

    @Test
    void liveStreamPushesNewEventsAndLimitsClients() throws Exception {
        start(null);
        CompletableFuture<String> first = CompletableFuture.supplyAsync(() -> {
            try {
                URI stream = URI.create(dashboard.url() + "api/v1/stream?severity=HIGH");
                HttpResponse<java.io.InputStream> r = http.send(HttpRequest.newBuilder(stream).build(),
                    HttpResponse.BodyHandlers.ofInputStream());
                BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8));
                for (String line = in.readLine(); line != null; line = in.readLine()) {
                    if (line.startsWith("data: ")) {
                        return line.substring(6);
                    }
                }
                return null;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        long deadline = System.currentTimeMillis() + 10_000;
        while (dashboard.hub().clients() < 1 && System.currentTimeMillis() < deadline) {
            Thread.sleep(10);
        }
        HttpResponse<String> second = get("/api/v1/overview");
        assertEquals(200, second.statusCode());
        feed("car-9", 1, "GATE_ALLOWED", Severity.INFO, Map.of()); // filtered out: not HIGH
        feed("car-9", 2, "SECOC_VERIFICATION_FAILED", Severity.HIGH, Map.of("pdu", 7));
        JsonNode pushed = mapper.readTree(first.get(10, TimeUnit.SECONDS));
        assertEquals("SECOC_VERIFICATION_FAILED", pushed.get("type").asText());
        assertEquals(2, pushed.get("seq").asLong());
    }

    @Test
    void loginIsRequiredWithUsersAndNonLoopbackWithoutUsersIsRefused() throws Exception {
        Path file = temp.resolve("users");
        Files.writeString(file, Users.line("alice", "correct horse battery".toCharArray(), 10_000) + "\n");
        Users users = Users.read(file);
        DashboardConfig open = new DashboardConfig(new InetSocketAddress(InetAddress.getByName("0.0.0.0"), 0), null, null, 3600_000,
            Limits.defaults());
        assertThrows(DashboardException.class, open::validate);
        start(users);
        assertEquals(401, get("/api/v1/overview").statusCode());
        assertEquals(303, get("/").statusCode());
        HttpResponse<String> wrong = login("alice", "wrong");
        assertEquals(401, wrong.statusCode());
        HttpResponse<String> ok = login("alice", "correct horse battery");
        assertEquals(200, ok.statusCode(), ok.body());
        String cookie = ok.headers().firstValue("Set-Cookie").orElseThrow();
        assertTrue(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), cookie);
        String session = cookie.substring(0, cookie.indexOf(';'));
        HttpResponse<String> overview = http.send(HttpRequest.newBuilder(URI.create(dashboard.url() + "api/v1/overview"))
            .header("Cookie", session).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, overview.statusCode());
        JsonNode layout = mapper.readTree(http.send(HttpRequest.newBuilder(URI.create(dashboard.url() + "api/v1/layout"))
            .header("Cookie", session).build(), HttpResponse.BodyHandlers.ofString()).body());
        assertEquals("alice", layout.get("user").asText());
        for (int i = 0; i < Sessions.MAX_FAILURES; i++) {
            login("alice", "guess " + i);
        }
        assertEquals(429, login("alice", "correct horse battery").statusCode());
    }

    private HttpResponse<String> login(String user, String password) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(dashboard.url() + "api/v1/login")).header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(mapper.writeValueAsString(Map.of("user", user, "password", password)))).build(),
            HttpResponse.BodyHandlers.ofString());
    }
}
