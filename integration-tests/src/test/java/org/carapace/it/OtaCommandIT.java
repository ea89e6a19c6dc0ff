package org.carapace.it;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.carapace.monitoring.internal.MosquittoBroker;
import org.junit.Test;

/**
 * OTA commands for real: the dev runtime as its own process, a real Mosquitto, a local HTTP server holding packages,
 * and the back end's tools ({@code carapace ota command} to send, {@code carapace events subscribe} to follow). A command
 * makes a new version of the image hashing bundle active, and the back end sees downloading, verifying, installing and
 * active, each carrying the command's id; a command with a wrong SHA-256, one pointing outside the configured
 * sources, one whose package is missing and a forged one change nothing; a command delivering a hashing bundle whose
 * canonical encoding changed is rolled back by the bundle's own self-test.
 */
public class OtaCommandIT extends RealRuntimeTest {

    static final String DEVICE = "it-ota-cmd-1";
    static final String IMAGEHASH = OtaRuntimeIT.IMAGEHASH;

    private Path work;
    private HttpServer server;
    private final Map<String, AtomicInteger> hits = new ConcurrentHashMap<>();

    /** Runs bin/carapace; answers its exit code, its output in {@code work/cli.log}. */
    private int cli(String... arguments) throws Exception {
        return CarapaceCli.run(work, arguments);
    }

    private void ok(String... arguments) throws Exception {
        CarapaceCli.ok(work, arguments);
    }

    private String f(String name) {
        return work.resolve(name).toString();
    }

    /** Makes and signs a package of one jar into the served directory; answers its file. */
    private Path serve(String name, Path jar, long counter) throws Exception {
        ok("ota", "package", "--name", name, "--jar", jar.toString(), "--counter", Long.toString(counter), "--expires", "+1d",
            "--device", DEVICE, "-o", f(name + ".unsigned.ota"));
        Path served = work.resolve("served/" + name + ".ota");
        ok("ota", "sign", f(name + ".unsigned.ota"), "--key", f("ota.pem"), "-o", served.toString());
        return served;
    }

    private void command(String id, String location, String... extra) throws Exception {
        List<String> args = new ArrayList<>(List.of("ota", "command", "--broker", broker.url("tcp"), "--device", DEVICE, "--key",
            f("fleet-master.key"), "--id", id, "--location", location));
        args.addAll(List.of(extra));
        ok(args.toArray(new String[0]));
    }

    /** The OTA event the back end verified for this command in this state, or null. */
    private static JsonNode commandEvent(RuntimeProcess backEnd, String id, String state) {
        for (JsonNode line : backEnd.parsed("event")) {
            JsonNode event = line.get("event");
            if (event.path("type").asText().startsWith("OTA_") && id.equals(event.path("context").path("command").asText())
                && state.equals(event.path("context").path("state").asText())) {
                assertTrue(line.get("verified").asBoolean());
                return event;
            }
        }
        return null;
    }

    private static JsonNode awaitCommandEvent(RuntimeProcess backEnd, String id, String state) throws InterruptedException {
        RuntimeProcess.await("the back end to see command " + id + " " + state, 90_000, () -> commandEvent(backEnd, id, state) != null);
        return commandEvent(backEnd, id, state);
    }

    private static long inboxFiles(Path data) throws IOException {
        try (var files = Files.list(data.resolve("ota/inbox"))) {
            return files.count();
        }
    }

    @Test
    public void commandsFetchVerifyInstallAndReportWithTheirId() throws Exception {
        work = RuntimeBundles.work().resolve("ota-command-" + System.nanoTime());
        Path data = work.resolve("data");
        Path run = work.resolve("run");
        Files.createDirectories(data);
        Files.createDirectories(work.resolve("served"));
        broker = MosquittoBroker.start(work.resolve("broker"));
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", exchange -> {
            String path = exchange.getRequestURI().getPath();
            hits.computeIfAbsent(path, p -> new AtomicInteger()).incrementAndGet();
            Path file = path.startsWith("/ota/") ? work.resolve("served").resolve(path.substring(5)) : null;
            if (file == null || !Files.isRegularFile(file)) {
                exchange.sendResponseHeaders(404, -1);
                exchange.close();
                return;
            }
            byte[] body = Files.readAllBytes(file);
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
        String base = "http://127.0.0.1:" + server.getAddress().getPort();
        try {
            ok("events", "keygen", "--master", "--out", f("fleet-master.key"));
            ok("events", "keygen", "--device", DEVICE, "--from-master", f("fleet-master.key"), "--out",
                data.resolve("event-auth.key").toString());
            ok("events", "keygen", "--master", "--out", f("rogue-master.key"));
            RuntimeProcess backEnd = new RuntimeProcess(List.of(RuntimeBundles.home().resolve("bin/carapace").toString(), "events",
                "subscribe", "--broker", broker.url("tcp"), "--device", DEVICE, "--key", f("fleet-master.key"), "--json", "--client-id",
                "it-ota-command-backend"), work.resolve("backend.log"), processes);
            RuntimeProcess.await("the back end to subscribe", 30_000, () -> !backEnd.parsed("subscribed").isEmpty());
            for (String key : List.of("root", "base", "ota")) {
                ok("keys", "generate", "-o", f(key + ".pem"));
            }
            ok("trust", "init", "--key", "root=" + f("root.pub.pem"), "--key", "base-policy=" + f("base.pub.pem"), "--key",
                "additional-policy=" + f("base.pub.pem"), "--key", "ota=" + f("ota.pub.pem"), "--sign", f("root.pem"), "-o",
                f("root.json"));
            RuntimeProcess runtime = RuntimeProcess.startDevRuntime(data, run, work.resolve("runtime.log"), processes, DEVICE,
                "monitoring.broker=" + broker.url("tcp"), "monitoring.commandsEnabled=true", "ota.healthTimeoutMillis=6000",
                "ota.commandSources=" + base + "/ota/");
            ok("trust", "install", f("root.json"), "--run-dir", run.toString());
            RuntimeProcess.await("monitoring to subscribe to its commands", 30_000, () -> {
                try {
                    JsonNode events = RuntimeProcess.admin(run, "events.status", Map.of());
                    return "CONNECTED".equals(events.path("connection").path("state").asText())
                        && "SUBSCRIBED".equals(events.path("commands").path("subscription").asText())
                        && events.path("commands").path("handlers").toString().contains("ota");
                } catch (IOException e) {
                    return false;
                }
            });
            long pid = runtime.process.pid();

            // 1. a command with the package's location, SHA-256 and length: active without a restart, every step reported
            Path good = work.resolve("imagehash-0.9.1.jar");
            OtaRuntimeIT.rewrite(OtaRuntimeIT.imagehashJar(), good, "0.9.1", null, null);
            Path goodPackage = serve("imagehash-0.9.1", good, 1);
            long sent = System.nanoTime();
            command("cmd-good", base + "/ota/imagehash-0.9.1.ota", "--package", goodPackage.toString());
            JsonNode active = awaitCommandEvent(backEnd, "cmd-good", "active");
            System.out.printf("ota: command sent to active, as the back end saw it: %d ms%n",
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - sent));
            for (String state : List.of("downloading", "verifying", "installing")) {
                assertTrue("the back end saw " + state, commandEvent(backEnd, "cmd-good", state) != null);
            }
            assertTrue("in order", commandEvent(backEnd, "cmd-good", "downloading").get("seq").asLong()
                < commandEvent(backEnd, "cmd-good", "verifying").get("seq").asLong());
            assertEquals("OTA_STATUS", active.get("type").asText());
            assertTrue("the hashing bundle's own self-test ran: " + active, active.path("message").asText().contains("ImageHashSelfTest"));
            assertTrue("the gate's self-test ran too: " + active, active.path("message").asText().contains("ContainerGateComponent"));
            assertEquals("0.9.1", OtaRuntimeIT.runningVersion(run, IMAGEHASH));
            assertEquals(1, OtaRuntimeIT.installedCounter(run, IMAGEHASH));
            assertTrue("no restart", runtime.process.isAlive() && runtime.process.pid() == pid);
            assertEquals(1, hits.get("/ota/imagehash-0.9.1.ota").get());

            // 2. a wrong SHA-256: refused after the download, nothing installed, nothing left in the inbox
            Path next = work.resolve("imagehash-0.9.2.jar");
            OtaRuntimeIT.rewrite(OtaRuntimeIT.imagehashJar(), next, "0.9.2", null, null);
            serve("imagehash-0.9.2", next, 2);
            command("cmd-bad-hash", base + "/ota/imagehash-0.9.2.ota", "--sha256", "0".repeat(64));
            JsonNode badHash = awaitCommandEvent(backEnd, "cmd-bad-hash", "failed");
            assertEquals("OTA_REJECTED", badHash.get("type").asText());
            assertEquals("HASH_MISMATCH", badHash.path("context").path("reason").asText());
            assertTrue("downloading was reported first", commandEvent(backEnd, "cmd-bad-hash", "downloading") != null);

            // 3. a location outside the configured sources: refused before any request
            command("cmd-elsewhere", base + "/elsewhere/imagehash-0.9.2.ota");
            JsonNode elsewhere = awaitCommandEvent(backEnd, "cmd-elsewhere", "failed");
            assertEquals("SOURCE_NOT_ALLOWED", elsewhere.path("context").path("reason").asText());
            assertEquals("never fetched", null, hits.get("/elsewhere/imagehash-0.9.2.ota"));

            // 3b. a location under the sources that does not exist: the download fails, reported with the reason
            command("cmd-missing", base + "/ota/no-such-package.ota");
            JsonNode missing = awaitCommandEvent(backEnd, "cmd-missing", "failed");
            assertEquals("DOWNLOAD_FAILED", missing.path("context").path("reason").asText());
            assertTrue(missing.toString(), missing.path("message").asText().contains("HTTP 404"));

            // 4. a forged command (authenticated with another fleet's key): dropped by monitoring, counted, never reported
            List<String> forged = new ArrayList<>(List.of("ota", "command", "--broker", broker.url("tcp"), "--device", DEVICE, "--key",
                f("rogue-master.key"), "--id", "cmd-forged", "--location", base + "/ota/imagehash-0.9.2.ota"));
            ok(forged.toArray(new String[0]));
            RuntimeProcess.await("the forged command to be dropped", 30_000, () -> {
                try {
                    return RuntimeProcess.admin(run, "events.status", Map.of()).path("commands").path("dropped").path("unauthenticated")
                        .asLong() == 1;
                } catch (IOException e) {
                    return false;
                }
            });

            // 5. a hashing bundle whose canonical encoding changed (its listing header): it activates, but its self-test
            // computes another digest for the worked example, so the update is rolled back
            Path drifted = work.resolve("imagehash-0.9.3.jar");
            OtaRuntimeIT.rewrite(OtaRuntimeIT.imagehashJar(), drifted, "0.9.3", null, null,
                "org/carapace/imagehash/internal/CanonicalEncoding.class", "carapace-rootfs-v1", "carapace-rootfs-v0");
            Path driftedPackage = serve("imagehash-0.9.3", drifted, 3);
            command("cmd-drifted", base + "/ota/imagehash-0.9.3.ota", "--package", driftedPackage.toString());
            JsonNode rolledBack = awaitCommandEvent(backEnd, "cmd-drifted", "rolled-back");
            assertEquals("HEALTH_CHECK_FAILED", rolledBack.path("context").path("reason").asText());
            JsonNode recent = OtaRuntimeIT.status(run).get("recent").get(0);
            assertEquals("cmd-drifted", recent.get("command").asText());
            assertTrue(recent.toString(), recent.get("message").asText().contains("self-test failed")
                && recent.get("message").asText().contains("the rootfs digest has changed"));

            // nothing of the refused commands changed anything
            assertEquals("0.9.1", OtaRuntimeIT.runningVersion(run, IMAGEHASH));
            assertEquals(1, OtaRuntimeIT.installedCounter(run, IMAGEHASH));
            assertEquals("the inbox is empty", 0, inboxFiles(data));
            assertEquals(null, commandEvent(backEnd, "cmd-forged", "downloading"));
            assertEquals(null, commandEvent(backEnd, "cmd-forged", "failed"));
            assertTrue("the back end verified every event: " + backEnd.parsed("rejected"), backEnd.parsed("rejected").isEmpty());
        } finally {
            server.stop(0);
        }
    }
}
