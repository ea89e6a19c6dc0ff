package org.carapace.cli.dashboard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.carapace.api.events.Severity;
import org.carapace.api.monitoring.EventKeyFile;
import org.carapace.monitoring.internal.MosquittoBroker;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dashboard's page in a real headless Chromium (Debian's chromium and chromium-driver, driven over the W3C WebDriver
 * protocol), served by {@code carapace dashboard} fed from a real Mosquitto. What a security operator relies on: the
 * overview shows the devices, new events appear without a reload, filters narrow the stream, and event data is shown as
 * text whatever a device put in it.
 */
class DashboardBrowserTest {

    static final EventKeyFile MASTER = EventKeyFile.generateMasterKey();

    @TempDir
    static Path temp;

    static MosquittoBroker broker;
    static DashboardRun dashboard;
    static DashboardRun.Device car1;
    static DashboardRun.Device car2;
    static WebDriver browser;

    @BeforeAll
    static void start() throws Exception {
        Path key = temp.resolve("master.key");
        MASTER.write(key);
        broker = MosquittoBroker.start(temp.resolve("broker"));
        dashboard = new DashboardRun("dashboard", "--broker", broker.url("tcp"), "--key", key.toString(), "--listen", "127.0.0.1:0",
            "--data-dir", temp.resolve("data").toString(), "--timeout", "600");
        dashboard.url();
        car1 = new DashboardRun.Device(broker, "car-1", MASTER);
        car2 = new DashboardRun.Device(broker, "car-2", MASTER);
        car1.online();
        car2.online();
        car1.publish("GATE_ALLOWED", "gate", Severity.INFO, Map.of("image", "busybox-demo"));
        car1.publish("GATE_REFUSED", "gate", Severity.HIGH, Map.of("image", "busybox-demo", "paths", "/usr/bin/ping"));
        car2.publish("SECOC_VERIFICATION_FAILED", "secoc", Severity.HIGH, Map.of("dataId", 17));
        try (DashboardRun.Device car3 = new DashboardRun.Device(broker, "car-3", MASTER)) {
            car3.status("offline");
        }
        dashboard.await("/api/v1/overview", o -> o.get("storedEvents").asLong() == 3 && o.get("devices").size() == 3);
        Files.createDirectories(temp.resolve("chromium"));
        browser = new WebDriver(temp.resolve("chromium"), temp.resolve("chromedriver.log"));
    }

    @AfterAll
    static void stop() throws Exception {
        for (AutoCloseable c : new AutoCloseable[] {browser, car1, car2, dashboard, broker}) {
            if (c != null) {
                c.close();
            }
        }
    }

    @BeforeEach
    void openPage() throws Exception {
        browser.open(dashboard.url());
        browser.await("the page ready", "return document.body.getAttribute('data-ready');", v -> "true".equals(v.asText()));
    }

    /** The overview row of a device: state, severity counts and last event, as the page shows them. */
    private static final String ROW = "const row = document.querySelector('#devices tbody tr[data-device=\"' + arguments[0] + '\"]');"
        + "if (!row) { return null; }"
        + "const cells = Array.from(row.querySelectorAll('td')).map((td) => td.textContent);"
        + "return {state: cells[1], last: cells[2], critical: +cells[3], high: +cells[4], info: +cells[7]};";

    private JsonNode row(String device) throws Exception {
        return browser.script(ROW, device);
    }

    @Test
    void overviewShowsEachDeviceWithItsStatusLastEventAndCounts() throws Exception {
        JsonNode car = row("car-1");
        assertEquals("online", car.get("state").asText(), car.toString());
        assertTrue(car.get("high").asInt() >= 1 && car.get("info").asInt() >= 1, car.toString());
        assertEquals("offline", row("car-3").get("state").asText());
        assertEquals("online", row("car-2").get("state").asText());
        assertTrue(row("car-2").get("last").asText().startsWith("SECOC_VERIFICATION_FAILED"), row("car-2").toString());
        String summary = browser.text(browser.find("#overview-summary"));
        assertTrue(summary.startsWith("3 devices, 2 online"), summary);
        // the timeline is drawn by the page's own script: one series per event type, no library, nothing fetched
        JsonNode legend = browser.await("the timeline's legend", "return Array.from(document.querySelectorAll('#timeline-legend li'))"
            + ".map((li) => li.getAttribute('data-type'));", v -> v.size() >= 3);
        assertTrue(legend.toString().contains("GATE_REFUSED") && legend.toString().contains("SECOC_VERIFICATION_FAILED"),
            legend.toString());
        assertEquals(1, browser.script("return document.querySelectorAll('#timeline svg g[data-type=\"GATE_REFUSED\"] polyline').length;")
            .asInt());
        // the device page: its status and its recent events with their context
        browser.click(browser.find("#devices tr[data-device=\"car-1\"] button"));
        JsonNode events = browser.await("car-1's events on the device page", "return Array.from(document.querySelectorAll("
            + "'#device-events li')).map((li) => li.getAttribute('data-device') + ' ' + li.getAttribute('data-type'));",
            v -> v.size() >= 2);
        assertTrue(events.toString().contains("car-1 GATE_REFUSED") && !events.toString().contains("car-2"), events.toString());
        assertTrue(browser.text(browser.find("#device-events")).contains("/usr/bin/ping"));
        browser.screenshot(Path.of("target", "dashboard-overview.png")); // for a person to look at; not asserted
    }

    @Test
    void aNewEventAppearsLiveWithoutReload() throws Exception {
        browser.script("window.carapaceSamePage = 'yes';");
        int highBefore = row("car-1").get("high").asInt();
        String marker = "live-" + UUID.randomUUID();
        car1.publish("GATE_REFUSED", "gate", Severity.HIGH, Map.of("image", marker));
        browser.await("the new event in the stream", "return Array.from(document.querySelectorAll('#events li dd'))"
            + ".some((dd) => dd.textContent === arguments[0]);".replace("arguments[0]", "'" + marker + "'"), JsonNode::asBoolean);
        browser.await("the overview's HIGH count going up", ROW.replace("arguments[0]", "'car-1'"),
            r -> r.get("high").asInt() == highBefore + 1);
        assertEquals("yes", browser.script("return window.carapaceSamePage;").asText(), "the page was not reloaded");
        assertEquals("live", browser.text(browser.find("#live")));
    }

    @Test
    void aFilterNarrowsTheStreamAndItsLiveUpdates() throws Exception {
        browser.type(browser.find("#filter-device"), "car-2");
        browser.click(browser.find("#filter-apply"));
        JsonNode devices = browser.await("only car-2's events", "const l = Array.from(document.querySelectorAll('#events li'));"
            + "return l.length > 0 && l.every((li) => li.getAttribute('data-device') === 'car-2') ? l.length : 0;", v -> v.asInt() > 0);
        assertTrue(devices.asInt() >= 1);
        // a car-1 event stored first, then a car-2 event: the stream, in commit order, shows only the second
        String other = "other-" + UUID.randomUUID();
        car1.publish("GATE_REFUSED", "gate", Severity.HIGH, Map.of("image", other));
        dashboard.await("/api/v1/events?device=car-1&limit=1", e -> other.equals(e.path("events").path(0).path("context")
            .path("image").asText()));
        String mine = "mine-" + UUID.randomUUID();
        car2.publish("SECOC_VERIFICATION_FAILED", "secoc", Severity.HIGH, Map.of("dataId", mine));
        String texts = "return Array.from(document.querySelectorAll('#events li dd')).map((dd) => dd.textContent);";
        JsonNode shown = browser.await("car-2's new event", texts, v -> v.toString().contains(mine));
        assertTrue(!shown.toString().contains(other), "car-1's event passed the filter: " + shown);
        // the type filter narrows further, to nothing here
        browser.type(browser.find("#filter-type"), "GATE_ALLOWED");
        browser.click(browser.find("#filter-apply"));
        browser.await("an empty stream", "return document.querySelectorAll('#events li').length;", v -> v.asInt() == 0);
        browser.click(browser.find("#filter-clear"));
        browser.await("every device again", "return new Set(Array.from(document.querySelectorAll('#events li'))"
            + ".map((li) => li.getAttribute('data-device'))).size;", v -> v.asInt() >= 2);
    }

    @Test
    void hostileContextDataIsShownAsText() throws Exception {
        String script = "<script>window.carapacePwned = 'script'</script>";
        String img = "<img src=x onerror=\"window.carapacePwned = 'img'\">";
        String svg = "<svg onload=\"window.carapacePwned = 'svg'\"></svg>";
        // attack: a compromised device (it holds its key) puts markup in its message and context
        car1.publish("GATE_REFUSED", "gate", Severity.CRITICAL, Map.of("note", script, "path", img, "list", List.of(svg)),
            "<img src=x onerror=\"window.carapacePwned = 'message'\">");
        String texts = "return Array.from(document.querySelectorAll(arguments[0] + ' li dd, ' + arguments[0] + ' li .message'))"
            + ".map((n) => n.textContent);";
        JsonNode live = browser.await("the hostile event, live", texts.replace("arguments[0]", "'#events'"),
            v -> v.toString().contains("onerror"));
        assertShownAsText(live, script, img);
        // loaded from the API after a reload, and on the device page
        openPage();
        assertShownAsText(browser.await("the hostile event, loaded", texts.replace("arguments[0]", "'#events'"),
            v -> v.toString().contains("onerror")), script, img);
        browser.click(browser.find("#devices tr[data-device=\"car-1\"] button"));
        assertShownAsText(browser.await("the hostile event on the device page", texts.replace("arguments[0]", "'#device-events'"),
            v -> v.toString().contains("onerror")), script, img);
        assertEquals(0, browser.script("return document.querySelectorAll('#events img, #events script, #events svg, "
            + "#device-events img, #device-events script, #device-events svg').length;").asInt(), "markup became elements");
        Thread.sleep(500); // an injected image's error handler would have run by now
        assertTrue(browser.script("return window.carapacePwned === undefined;").asBoolean(), "a script of the device ran");
    }

    @Test
    void theLayoutIsSavedAndComesBackAfterAReload() throws Exception {
        String panels = "return Array.from(document.querySelectorAll('#panels > section')).map((s) => s.getAttribute('data-panel') "
            + "+ (s.hidden ? ':hidden' : ''));";
        assertEquals("[\"overview\",\"stream\",\"timeline\",\"device\"]", browser.script(panels).toString());
        try {
            browser.click(browser.find("#customize"));
            browser.click(browser.find("#layout-panels input[data-panel=\"timeline\"]"));
            browser.click(browser.find("#layout-panels li:nth-child(2) button[title=\"move up\"]"));
            browser.click(browser.find("#layout-save"));
            browser.await("the layout saved", "return document.getElementById('layout-status').textContent;",
                v -> v.asText().equals("saved for local"));
            openPage();
            assertEquals("[\"stream\",\"overview\",\"timeline:hidden\",\"device\"]", browser.script(panels).toString());
        } finally {
            // the other tests see the default layout
            putLayout("{\"v\":1,\"panels\":[{\"id\":\"overview\",\"visible\":true},{\"id\":\"stream\",\"visible\":true},"
                + "{\"id\":\"timeline\",\"visible\":true},{\"id\":\"device\",\"visible\":true}],\"timelineMinutes\":60}");
        }
        openPage();
        assertEquals("[\"overview\",\"stream\",\"timeline\",\"device\"]", browser.script(panels).toString());
    }

    @Test
    void loginIsRequiredOnAnotherAddressAndThePageHoldsNoSecret() throws Exception {
        Path users = temp.resolve("users-" + UUID.randomUUID());
        Files.writeString(users, org.carapace.dashboard.internal.Users.line("alice", "a long enough password".toCharArray(), 100_000)
            + "\n");
        try (DashboardRun guarded = new DashboardRun("dashboard", "--broker", broker.url("tcp"), "--key", temp.resolve("master.key")
            .toString(), "--listen", "127.0.0.1:0", "--data-dir", temp.resolve("guarded").toString(), "--users", users.toString(),
            "--timeout", "600")) {
            browser.open(guarded.url());
            browser.await("the login form", "return location.pathname;", v -> v.asText().equals("/login"));
            browser.type(browser.find("#login-user"), "alice");
            browser.type(browser.find("#login-password"), "not the password");
            browser.click(browser.find("#login button[type=\"submit\"]"));
            browser.await("the refusal", "return document.getElementById('login-error').textContent;",
                v -> v.asText().contains("wrong user name or password"));
            browser.type(browser.find("#login-password"), "a long enough password");
            browser.click(browser.find("#login button[type=\"submit\"]"));
            browser.await("the page ready", "return document.body.getAttribute('data-ready');", v -> "true".equals(v.asText()));
            assertEquals("alice", browser.text(browser.find("#user")));
            String token = null;
            for (JsonNode cookie : browser.cookies()) {
                if (cookie.get("name").asText().equals("carapace_session")) {
                    assertTrue(cookie.get("httpOnly").asBoolean(), cookie.toString());
                    token = cookie.get("value").asText();
                }
            }
            assertTrue(token != null && token.length() >= 43, "a 256-bit session token");
            // no secret in the page: neither the session token (HttpOnly) nor the key or the users file reach it
            assertEquals("", browser.script("return document.cookie;").asText());
            String page = browser.script("return document.documentElement.outerHTML;").asText();
            String hash = Files.readString(users).strip().split(":")[4];
            assertTrue(!page.contains(token) && !page.contains(hash) && !page.contains(java.util.Base64.getEncoder()
                .encodeToString(MASTER.key())), "a secret in the page");
        }
    }

    private static void putLayout(String layout) throws Exception {
        var response = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
            java.net.URI.create(dashboard.url() + "api/v1/layout")).header("Content-Type", "application/json")
            .PUT(java.net.http.HttpRequest.BodyPublishers.ofString(layout)).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode(), response.body());
    }

    private static void assertShownAsText(JsonNode texts, String... expected) {
        List<String> shown = new java.util.ArrayList<>();
        texts.forEach(t -> shown.add(t.asText()));
        for (String e : expected) {
            assertTrue(shown.contains(e), "not shown verbatim: " + e + " in " + shown);
        }
    }
}
