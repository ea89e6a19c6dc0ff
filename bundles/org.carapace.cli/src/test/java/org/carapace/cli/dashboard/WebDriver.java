package org.carapace.cli.dashboard;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Predicate;

/**
 * A small client of the W3C WebDriver protocol (https://www.w3.org/TR/webdriver2/) over {@code java.net.http}, driving
 * Debian's chromedriver and a real headless Chromium: one browser session per instance. Only the commands the
 * dashboard's browser tests need: navigation, finding elements, typing, clicking, reading text and running a script.
 */
final class WebDriver implements AutoCloseable {

    /** The key of an element reference in WebDriver answers (§ 12.2, "Elements"). */
    private static final String ELEMENT = "element-6066-11e4-a52e-4f735466cecf";
    static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    static final Path CHROMIUM = Path.of("/usr/bin/chromium");

    private final ObjectMapper mapper = new ObjectMapper();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final Process driver;
    private final URI base;
    private final String session;

    /**
     * Starts chromedriver on a free loopback port and opens a headless Chromium session.
     *
     * @param profile an empty directory for the browser's profile
     */
    WebDriver(Path profile, Path log) throws Exception {
        if (!Files.isExecutable(CHROMEDRIVER) || !Files.isExecutable(CHROMIUM)) {
            // CI installs both through bin/setup: a missing browser is a failure there, never a skipped test
            throw new AssertionError(CHROMEDRIVER + " and " + CHROMIUM + " are needed (bin/setup installs Debian's chromium and "
                + "chromium-driver)");
        }
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        driver = new ProcessBuilder(CHROMEDRIVER.toString(), "--port=" + port, "--log-path=" + log).redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        base = URI.create("http://127.0.0.1:" + port + "/");
        String opened = null;
        try {
            awaitReady();
            ObjectNode caps = mapper.createObjectNode();
            ObjectNode always = caps.putObject("capabilities").putObject("alwaysMatch");
            always.put("browserName", "chrome");
            ObjectNode chrome = always.putObject("goog:chromeOptions");
            chrome.put("binary", CHROMIUM.toString());
            // --no-sandbox: the tests run as root (CI), where Chromium's sandbox refuses to start
            List.of("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                "--disable-extensions", "--disable-background-networking", "--window-size=1280,1024",
                "--user-data-dir=" + profile.toAbsolutePath()).forEach(chrome.withArray("args")::add);
            opened = call("POST", "session", caps).get("sessionId").asText();
        } finally {
            if (opened == null) {
                driver.destroyForcibly();
            }
        }
        session = opened;
    }

    private void awaitReady() throws Exception {
        long deadline = System.currentTimeMillis() + 20_000;
        Exception last = null;
        while (System.currentTimeMillis() < deadline) {
            try {
                if (call("GET", "status", null).path("ready").asBoolean()) {
                    return;
                }
            } catch (IOException e) {
                last = e;
            }
            if (!driver.isAlive()) {
                throw new AssertionError("chromedriver exited with " + driver.exitValue());
            }
            Thread.sleep(50);
        }
        throw new AssertionError("chromedriver not ready in 20 s", last);
    }

    /** One command; answers its {@code value}, throws with the driver's error otherwise. */
    private JsonNode call(String method, String path, JsonNode body) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(60))
            .header("Content-Type", "application/json; charset=utf-8");
        request.method(method, body == null ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofByteArray(mapper.writeValueAsBytes(body)));
        HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        JsonNode answer = mapper.readTree(response.body());
        JsonNode value = answer.path("value");
        if (response.statusCode() != 200) {
            throw new WebDriverException(method + " " + path + ": " + response.statusCode() + " " + value.path("error").asText() + ": "
                + value.path("message").asText());
        }
        return value;
    }

    private String in(String path) {
        return "session/" + session + "/" + path;
    }

    void open(String url) throws Exception {
        call("POST", in("url"), mapper.createObjectNode().put("url", url));
    }

    /** Runs a function body in the page (§ 13.2.1, "Execute Script") and answers its return value. */
    JsonNode script(String body, Object... args) throws Exception {
        ObjectNode request = mapper.createObjectNode().put("script", body);
        var array = request.putArray("args");
        for (Object a : args) {
            array.add(mapper.valueToTree(a));
        }
        return call("POST", in("execute/sync"), request);
    }

    /** The first element matching a CSS selector. */
    String find(String css) throws Exception {
        JsonNode value = call("POST", in("element"), mapper.createObjectNode().put("using", "css selector").put("value", css));
        if (!value.path(ELEMENT).isTextual()) {
            throw new WebDriverException("find " + css + ": not an element reference: " + value);
        }
        return value.get(ELEMENT).asText();
    }

    void type(String element, String text) throws Exception {
        call("POST", in("element/" + element + "/clear"), mapper.createObjectNode());
        call("POST", in("element/" + element + "/value"), mapper.createObjectNode().put("text", text));
    }

    void click(String element) throws Exception {
        call("POST", in("element/" + element + "/click"), mapper.createObjectNode());
    }

    /** The element's rendered text (§ 12.4.5, "Get Element Text"). */
    String text(String element) throws Exception {
        return call("GET", in("element/" + element + "/text"), null).asText();
    }

    /** A PNG of the window (§ 19.1, "Take Screenshot"), for a person to look at. */
    void screenshot(Path png) throws Exception {
        Files.write(png, java.util.Base64.getDecoder().decode(call("GET", in("screenshot"), null).asText()));
    }

    /** Every cookie of the current page, HttpOnly ones included (§ 14.1, "Get All Cookies"). */
    JsonNode cookies() throws Exception {
        return call("GET", in("cookie"), null);
    }

    /** Runs a script until its value satisfies the condition. */
    JsonNode await(String description, String body, Predicate<JsonNode> condition) throws Exception {
        long deadline = System.currentTimeMillis() + 20_000;
        JsonNode last = null;
        while (System.currentTimeMillis() < deadline) {
            last = script(body);
            if (condition.test(last)) {
                return last;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("the page never showed " + description + "; last: " + last);
    }

    @Override
    public void close() {
        try {
            call("DELETE", "session/" + session, null);
        } catch (IOException | RuntimeException e) {
            // the driver is stopped below anyway
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            driver.destroy();
            try {
                if (!driver.waitFor(5, java.util.concurrent.TimeUnit.SECONDS)) {
                    driver.destroyForcibly();
                }
            } catch (InterruptedException e) {
                driver.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }

    /** An error answer of the driver. */
    static final class WebDriverException extends IOException {
        private static final long serialVersionUID = 1L;

        WebDriverException(String message) {
            super(message);
        }
    }
}
