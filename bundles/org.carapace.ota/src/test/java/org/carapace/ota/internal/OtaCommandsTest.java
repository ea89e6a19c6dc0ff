package org.carapace.ota.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.carapace.api.events.SecurityEventType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.service.log.Logger;

/** What the back end hears about each command: downloading, or failed with the reason and the command's id. */
class OtaCommandsTest {

    private static final Instant NOW = Instant.parse("2026-12-04T12:00:00Z");
    private static final byte[] PACKAGE = "a package\n".getBytes(StandardCharsets.UTF_8);

    @TempDir
    Path dir;
    private Path inbox;
    private HttpServer server;
    private String base;
    private final AtomicInteger requests = new AtomicInteger();
    private final List<String> progress = new CopyOnWriteArrayList<>();
    private final List<Installer.Outcome> failed = new CopyOnWriteArrayList<>();
    private OtaCommands commands;

    @BeforeEach
    void setUp() throws IOException {
        inbox = Files.createDirectories(dir.resolve("inbox"));
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/ota/p.ota", exchange -> {
            requests.incrementAndGet();
            exchange.sendResponseHeaders(200, PACKAGE.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(PACKAGE);
            }
        });
        server.createContext("/ota/flaky.ota", exchange -> {
            if (requests.incrementAndGet() == 1) {
                exchange.sendResponseHeaders(503, -1);
                exchange.close();
                return;
            }
            exchange.sendResponseHeaders(200, PACKAGE.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(PACKAGE);
            }
        });
        server.createContext("/ota/slow.ota", exchange -> {
            requests.incrementAndGet();
            exchange.sendResponseHeaders(200, 1000);
            try (OutputStream out = exchange.getResponseBody()) {
                for (int i = 0; i < 1000; i++) {
                    out.write('x');
                    out.flush();
                    Thread.sleep(100);
                }
            } catch (IOException | InterruptedException e) {
                // the client hung up
            }
        });
        server.start();
        base = "http://127.0.0.1:" + server.getAddress().getPort();
        Logger logger = (Logger) java.lang.reflect.Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Logger.class},
            (proxy, method, args) -> method.getReturnType() == boolean.class ? false : null);
        commands = new OtaCommands("dev-1", new PackageFetcher(PackageSources.parse(new String[] {base + "/ota/"}), 1 << 20,
            Duration.ofSeconds(60)), inbox, (type, outcome) -> {
                assertEquals(SecurityEventType.OTA_STATUS, type);
                progress.add(outcome.state() + " " + outcome.command());
            }, (type, outcome) -> {
                assertEquals(SecurityEventType.OTA_REJECTED, type);
                failed.add(outcome);
            }, Clock.fixed(NOW, ZoneOffset.UTC), Duration.ofHours(24), logger);
    }

    @AfterEach
    void tearDown() throws InterruptedException {
        commands.close();
        server.stop(0);
    }

    private static byte[] json(String id, String device, String expires, String location) {
        return ("{\"schema\":\"carapace.ota.command/v1\",\"id\":\"" + id + "\",\"device\":\"" + device + "\",\"expires\":\"" + expires
            + "\",\"location\":\"" + location + "\"}").getBytes(StandardCharsets.UTF_8);
    }

    private List<String> inboxFiles() throws IOException {
        try (Stream<Path> files = Files.list(inbox)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private Installer.Outcome onlyFailure() {
        assertEquals(1, failed.size(), failed.toString());
        Installer.Outcome outcome = failed.get(0);
        assertEquals("failed", outcome.state());
        return outcome;
    }

    @Test
    void goodCommandReportsDownloadingAndLeavesThePackageForTheInstaller() throws Exception {
        commands.handle(json("c-1", "dev-1", "2026-12-05T00:00:00Z", base + "/ota/p.ota"));
        assertEquals(List.of("downloading c-1"), progress);
        assertEquals(List.of(), failed);
        assertEquals(List.of("command-c-1.ota"), inboxFiles());
    }

    @Test
    void repeatedIdIsIgnored() throws Exception {
        commands.handle(json("c-1", "dev-1", "2026-12-05T00:00:00Z", base + "/ota/p.ota"));
        Files.delete(inbox.resolve("command-c-1.ota")); // installed meanwhile
        commands.handle(json("c-1", "dev-1", "2026-12-05T00:00:00Z", base + "/ota/p.ota"));
        assertEquals(1, requests.get(), "a QoS 1 redelivery or a replay does not fetch again");
        assertEquals(List.of("downloading c-1"), progress);
        assertEquals(List.of(), inboxFiles());
    }

    @Test
    void malformedCommandFailsWithItsIdWhenItHasOne() throws Exception {
        commands.handle("{\"schema\":\"carapace.ota.command/v1\",\"id\":\"c-2\",\"unknown\":1}".getBytes(StandardCharsets.UTF_8));
        Installer.Outcome outcome = onlyFailure();
        assertEquals("MALFORMED", outcome.reason());
        assertEquals("c-2", outcome.command());
        assertEquals("command-c-2.ota", outcome.packageName());
        assertEquals(List.of(), progress);
        assertEquals(List.of(), inboxFiles());
    }

    @Test
    void commandThatIsNotJsonFailsWithoutAnId() throws Exception {
        commands.handle("not json".getBytes(StandardCharsets.UTF_8));
        Installer.Outcome outcome = onlyFailure();
        assertEquals("MALFORMED", outcome.reason());
        assertNull(outcome.command());
        assertEquals("(command)", outcome.packageName());
    }

    @Test
    void expiredCommandIsRefusedWithoutARequest() throws Exception {
        commands.handle(json("c-3", "dev-1", "2026-12-04T12:00:00Z", base + "/ota/p.ota"));
        assertEquals("EXPIRED", onlyFailure().reason());
        assertEquals(0, requests.get());
        assertEquals(List.of(), inboxFiles());
    }

    @Test
    void commandForAnotherDeviceIsRefusedWithoutARequest() throws Exception {
        commands.handle(json("c-4", "dev-2", "2026-12-05T00:00:00Z", base + "/ota/p.ota"));
        assertEquals("WRONG_DEVICE", onlyFailure().reason());
        assertEquals(0, requests.get());
    }

    @Test
    void unknownSchemeIsRefusedBeforeDownloadingIsReported() throws Exception {
        commands.handle(json("c-5", "dev-1", "2026-12-05T00:00:00Z", "gopher://127.0.0.1/ota/p.ota"));
        Installer.Outcome outcome = onlyFailure();
        assertEquals("SOURCE_NOT_ALLOWED", outcome.reason());
        assertTrue(outcome.message().contains("gopher"), outcome.message());
        assertEquals(List.of(), progress);
    }

    @Test
    void downloadFailureIsReportedAfterDownloading() throws Exception {
        commands.handle(json("c-6", "dev-1", "2026-12-05T00:00:00Z", base + "/ota/missing.ota"));
        assertEquals(List.of("downloading c-6"), progress);
        Installer.Outcome outcome = onlyFailure();
        assertEquals("DOWNLOAD_FAILED", outcome.reason());
        assertTrue(outcome.message().contains("HTTP 404"), outcome.message());
        assertEquals(List.of(), inboxFiles());
    }

    @Test
    void aFullQueueRefusesAtOnceWithoutBlockingTheMqttThread() {
        // the worker is not started: the first QUEUE commands wait, the next one is refused on the caller's thread
        for (int i = 0; i < OtaCommands.QUEUE; i++) {
            commands.submit(json("q-" + i, "dev-1", "2026-12-05T00:00:00Z", base + "/ota/p.ota"));
        }
        assertEquals(List.of(), failed);
        commands.submit(json("q-overflow", "dev-1", "2026-12-05T00:00:00Z", base + "/ota/p.ota"));
        Installer.Outcome outcome = onlyFailure();
        assertEquals("q-overflow", outcome.command());
        assertTrue(outcome.message().contains("already waiting"), outcome.message());
    }

    @Test
    void closeCutsOffARunningDownloadAndEndsTheThread() throws Exception {
        // regression: the JDK's HTTP body stream swallows the interrupt, so close() returned after 10 s with the download
        // still running, which later renamed its package into the inbox and reported through the stopped component
        commands.start();
        commands.submit(json("c-slow", "dev-1", "2026-12-05T00:00:00Z", base + "/ota/slow.ota"));
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (progress.isEmpty() || inboxFiles().isEmpty()) {
            assertTrue(System.nanoTime() < deadline, "the download started");
            Thread.sleep(20);
        }
        Thread.sleep(300);
        long start = System.nanoTime();
        commands.close();
        long took = (System.nanoTime() - start) / 1_000_000;
        assertTrue(took < 3_000, "close() took " + took + " ms");
        Thread worker = Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals("carapace-ota-download"))
            .filter(Thread::isAlive).findAny().orElse(null);
        assertNull(worker, "the download thread has ended");
        assertEquals(List.of(), inboxFiles(), "the temporary file is removed, nothing renamed into the inbox");
        assertEquals(List.of(), failed, "nothing reported through the stopped component");
    }

    @Test
    void closeEndsAnIdleWorker() throws Exception {
        commands.start();
        Thread.sleep(100);
        commands.close();
        assertTrue(Thread.getAllStackTraces().keySet().stream().noneMatch(t -> t.getName().equals("carapace-ota-download")
            && t.isAlive()), "the worker has ended");
    }

    @Test
    void commandRetriedAfterAFailedDownloadIsCarriedOut() throws Exception {
        // regression: the id was remembered before the download, so the back end's retry after DOWNLOAD_FAILED was ignored
        commands.handle(json("c-7", "dev-1", "2026-12-05T00:00:00Z", base + "/ota/flaky.ota"));
        assertEquals("DOWNLOAD_FAILED", onlyFailure().reason());
        commands.handle(json("c-7", "dev-1", "2026-12-05T00:00:00Z", base + "/ota/flaky.ota"));
        assertEquals(2, requests.get());
        assertEquals(List.of("command-c-7.ota"), inboxFiles());
        assertEquals(List.of("downloading c-7", "downloading c-7"), progress);
    }

    @Test
    void commandExpiringFurtherThanTheLongestLifetimeIsRefused() throws Exception {
        // replay: a captured command with a far expiry could otherwise be replayed after every restart for years
        commands.handle(json("c-8", "dev-1", "2036-12-05T00:00:00Z", base + "/ota/p.ota"));
        Installer.Outcome outcome = onlyFailure();
        assertEquals("MALFORMED", outcome.reason());
        assertTrue(outcome.message().contains("longest command lifetime"), outcome.message());
        assertEquals(0, requests.get());
    }

    @Test
    void commandsAreRefusedWhenTheInstallerCouldNotStart() {
        // without it the command thread never starts, and commands would wait for good
        commands.disable("the installer cannot start: the inbox is not writable");
        commands.submit(json("c-9", "dev-1", "2026-12-05T00:00:00Z", base + "/ota/p.ota"));
        Installer.Outcome outcome = onlyFailure();
        assertEquals("STORAGE", outcome.reason());
        assertEquals("c-9", outcome.command());
        assertTrue(outcome.message().contains("installer cannot start"), outcome.message());
    }
}
