package org.carapace.ota.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.carapace.api.ota.OtaException;
import org.carapace.api.ota.OtaException.Reason;
import org.carapace.api.trust.MalformedDocumentException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Commands and their downloads against a real local HTTP server: a package lands in the inbox whole or not at all,
 * and every bound holds (allow-list, size, length, hash, time, redirects).
 */
class PackageFetcherTest {

    private static final byte[] PACKAGE = "PK pretend this is a signed package\n".repeat(100).getBytes(StandardCharsets.UTF_8);

    @TempDir
    Path dir;
    private Path inbox;
    private HttpServer server;
    private String base;
    private final AtomicInteger elsewhereHits = new AtomicInteger();

    @BeforeEach
    void startServer() throws IOException {
        inbox = Files.createDirectories(dir.resolve("inbox"));
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/ota/good.ota", exchange -> {
            exchange.sendResponseHeaders(200, PACKAGE.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(PACKAGE);
            }
        });
        server.createContext("/ota/chunked-huge.ota", exchange -> {
            exchange.sendResponseHeaders(200, 0); // chunked: no length announced
            try (OutputStream out = exchange.getResponseBody()) {
                byte[] block = new byte[64 * 1024];
                for (int i = 0; i < 64; i++) {
                    out.write(block);
                }
            } catch (IOException e) {
                // the client hung up, as it should
            }
        });
        server.createContext("/ota/trickle.ota", exchange -> {
            exchange.sendResponseHeaders(200, PACKAGE.length);
            try (OutputStream out = exchange.getResponseBody()) {
                for (int i = 0; i < 50; i++) {
                    out.write(PACKAGE[i]);
                    out.flush();
                    Thread.sleep(100);
                }
            } catch (IOException | InterruptedException e) {
                // the client hung up, as it should
            }
        });
        server.createContext("/ota/redirect.ota", exchange -> {
            exchange.getResponseHeaders().add("Location", "http://127.0.0.1:" + server.getAddress().getPort() + "/elsewhere/p.ota");
            exchange.sendResponseHeaders(302, -1);
            exchange.close();
        });
        server.createContext("/elsewhere/", exchange -> {
            elsewhereHits.incrementAndGet();
            exchange.sendResponseHeaders(200, PACKAGE.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(PACKAGE);
            }
        });
        server.start();
        base = "http://127.0.0.1:" + server.getAddress().getPort();
    }

    @AfterEach
    void stopServer() {
        server.stop(0);
    }

    private PackageFetcher fetcher(long maxBytes, Duration timeout) {
        return new PackageFetcher(PackageSources.parse(new String[] {base + "/ota/"}), maxBytes, timeout);
    }

    private PackageFetcher fetcher() {
        return fetcher(1 << 20, Duration.ofSeconds(10));
    }

    private static OtaCommand command(String location, String sha256, Long length) {
        return new OtaCommand("c-1", "dev-1", Instant.now().plusSeconds(600), location, Optional.ofNullable(sha256),
            length == null ? OptionalLong.empty() : OptionalLong.of(length));
    }

    private static String sha256(byte[] data) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    }

    private List<String> inboxFiles() throws IOException {
        try (Stream<Path> files = Files.list(inbox)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private void refused(Reason reason, OtaCommand command, PackageFetcher fetcher) throws IOException {
        OtaException e = assertThrows(OtaException.class, () -> fetcher.fetch(command, inbox));
        assertEquals(reason, e.reason(), e.getMessage());
        assertEquals(List.of(), inboxFiles(), "nothing is left in the inbox");
    }

    @Test
    void fetchesIntoTheInboxUnderTheCommandsName() throws Exception {
        Path file = fetcher().fetch(command(base + "/ota/good.ota", sha256(PACKAGE), (long) PACKAGE.length), inbox);
        assertEquals(inbox.resolve("command-c-1.ota"), file);
        assertArrayEquals(PACKAGE, Files.readAllBytes(file));
        assertEquals(List.of("command-c-1.ota"), inboxFiles(), "no temporary file is left");
        assertEquals("c-1", Installer.commandOf(file));
    }

    @Test
    void fetchesWithoutPinnedHashOrLength() throws Exception {
        assertArrayEquals(PACKAGE, Files.readAllBytes(fetcher().fetch(command(base + "/ota/good.ota", null, null), inbox)));
    }

    @Test
    void wrongSha256IsRefused() throws Exception {
        refused(Reason.HASH_MISMATCH, command(base + "/ota/good.ota", "0".repeat(64), null), fetcher());
    }

    @Test
    void wrongLengthIsRefused() throws Exception {
        refused(Reason.LENGTH_MISMATCH, command(base + "/ota/good.ota", null, PACKAGE.length + 1L), fetcher());
        refused(Reason.LENGTH_MISMATCH, command(base + "/ota/good.ota", null, PACKAGE.length - 1L), fetcher());
    }

    @Test
    void oversizePackageIsRefusedByItsAnnouncedLength() throws Exception {
        refused(Reason.TOO_LARGE, command(base + "/ota/good.ota", null, null), fetcher(100, Duration.ofSeconds(10)));
    }

    @Test
    void oversizeChunkedBodyIsCutOffAtTheLimit() throws Exception {
        refused(Reason.TOO_LARGE, command(base + "/ota/chunked-huge.ota", null, null), fetcher(256 * 1024, Duration.ofSeconds(10)));
    }

    @Test
    void commandClaimingMoreThanTheLimitIsRefusedBeforeAnyRequest() throws Exception {
        refused(Reason.TOO_LARGE, command(base + "/ota/good.ota", null, 10L << 20), fetcher());
    }

    @Test
    void tricklingServerIsCutOffAtTheTimeout() throws Exception {
        long start = System.nanoTime();
        refused(Reason.DOWNLOAD_FAILED, command(base + "/ota/trickle.ota", null, null), fetcher(1 << 20, Duration.ofMillis(800)));
        assertTrue(System.nanoTime() - start < 4_000_000_000L, "the deadline holds for the body too");
    }

    @Test
    void missingPackageIsADownloadFailure() throws Exception {
        refused(Reason.DOWNLOAD_FAILED, command(base + "/ota/missing.ota", null, null), fetcher());
    }

    @Test
    void redirectIsNotFollowed() throws Exception {
        refused(Reason.DOWNLOAD_FAILED, command(base + "/ota/redirect.ota", null, null), fetcher());
        assertEquals(0, elsewhereHits.get(), "the redirect target was never asked");
    }

    @Test
    void unreachableServerIsADownloadFailure() throws Exception {
        int port = server.getAddress().getPort();
        server.stop(0);
        PackageFetcher fetcher = new PackageFetcher(PackageSources.parse(new String[] {"http://127.0.0.1:" + port + "/ota/"}), 1 << 20,
            Duration.ofSeconds(5));
        refused(Reason.DOWNLOAD_FAILED, command("http://127.0.0.1:" + port + "/ota/good.ota", null, null), fetcher);
    }

    @Test
    void locationsOutsideTheSourcesAreRefusedWithoutARequest() throws Exception {
        String port = Integer.toString(server.getAddress().getPort());
        for (String location : List.of(
            base + "/elsewhere/p.ota",                                   // another path on the allowed host
            base + "/ota-evil/p.ota",                                    // a sibling whose name starts alike
            base + "/ota/../elsewhere/p.ota",                            // path traversal
            base + "/ota/%2e%2e/elsewhere/p.ota",                        // encoded traversal
            base + "/ota/..%2felsewhere/p.ota",                          // encoded slash
            "http://127.0.0.1:" + port + "@evil.example/ota/p.ota",       // user info hiding the real host
            "http://localhost:" + port + "/ota/good.ota",                // another host name
            "https://127.0.0.1:" + port + "/ota/good.ota",               // another scheme
            "http://127.0.0.1:1/ota/good.ota",                           // another port
            "ftp://127.0.0.1/ota/good.ota",                              // an unknown scheme
            "jar:file:/x.jar!/p.ota",                                    // an opaque URI
            "file:/etc/passwd",                                          // a local file outside the sources
            "not a uri at all")) {
            OtaException e = assertThrows(OtaException.class, () -> fetcher().fetch(command(location, null, null), inbox), location);
            assertEquals(Reason.SOURCE_NOT_ALLOWED, e.reason(), location + ": " + e.getMessage());
        }
        assertEquals(0, elsewhereHits.get());
        assertEquals(List.of(), inboxFiles());
    }

    @Test
    void noSourcesConfiguredRefusesEveryCommand() {
        PackageFetcher none = new PackageFetcher(PackageSources.parse(new String[] {""}), 1 << 20, Duration.ofSeconds(1));
        OtaException e = assertThrows(OtaException.class, () -> none.fetch(command(base + "/ota/good.ota", null, null), inbox));
        assertEquals(Reason.SOURCE_NOT_ALLOWED, e.reason());
        assertTrue(e.getMessage().contains("no command sources"), e.getMessage());
    }

    @Test
    void invalidSourcesAreAConfigurationError() {
        for (String prefix : List.of("ftp://host/ota/", "https://user@host/ota/", "https://host/ota/?q", "file:relative/", "https:///x/",
            "https://host/a/../b/", "file:/srv/ota/", "https://host/ota;x/", "https://host/%25/", "https://[fe80::1%25eth0]/ota/",
            "https://host:99999/ota/", "https://host:0/ota/")) {
            assertThrows(IllegalArgumentException.class, () -> PackageSources.parse(new String[] {prefix}), prefix);
        }
    }

    @Test
    void fileLocationsAndSourcesAreRefused() throws Exception {
        // file: was dropped: a path cannot be checked and then opened without a race through its parent directories
        Path local = Files.createDirectories(dir.resolve("local"));
        Files.write(local.resolve("p.ota"), PACKAGE);
        refused(Reason.SOURCE_NOT_ALLOWED, command("file:" + local.resolve("p.ota"), null, null), fetcher());
        refused(Reason.SOURCE_NOT_ALLOWED, command("file:" + local.resolve("a%00b.ota"), null, null), fetcher());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
            () -> PackageSources.parse(new String[] {"file:" + local + "/"}));
        assertTrue(e.getMessage().contains("not supported"), e.getMessage());
    }

    @Test
    void pathParametersAndEscapesOfReservedCharactersAreRefused() throws Exception {
        for (String path : List.of(
            "/ota/..;/elsewhere/p.ota",        // a path parameter some servers strip before mapping: /ota/../elsewhere
            "/ota/p.ota;jsessionid=1",         // any ';' at all
            "/ota/%252e%252e/elsewhere/p.ota", // double encoding: %25 is '%'
            "/ota/%25/p.ota",
            "/ota/..%c0%af/elsewhere/p.ota",   // overlong UTF-8 slash
            "/ota/%2E%2E/elsewhere/p.ota",     // encoded dots, upper case
            "/ota/.%2e/elsewhere/p.ota",       // half encoded
            "/ota/%2fetc/p.ota",
            "/ota/a%00b.ota",                  // NUL
            "/ota/a%zz.ota",                   // malformed escape
            "/ota/a%2.ota",
            "/ota/a%5cb.ota",                  // backslash
            "/ota/caf\u00e9.ota",              // not ASCII
            "/ota//p.ota",
            "/ota/./p.ota")) {
            OtaException e = assertThrows(OtaException.class, () -> fetcher().fetch(command(base + path, null, null), inbox), path);
            assertEquals(Reason.SOURCE_NOT_ALLOWED, e.reason(), path + ": " + e.getMessage());
        }
        assertEquals(0, elsewhereHits.get());
        assertEquals(List.of(), inboxFiles());
    }

    @Test
    void escapesOfUnreservedCharactersAreComparedDecoded() throws Exception {
        // %67 is 'g': the server reads /ota/good.ota, and so does the comparison
        Path file = fetcher().fetch(command(base + "/ota/%67ood.ota", sha256(PACKAGE), null), inbox);
        assertArrayEquals(PACKAGE, Files.readAllBytes(file));
        // and a prefix cannot be left through an encoded unreserved character either
        PackageSources sources = PackageSources.parse(new String[] {"https://u.example/ota/"});
        assertEquals(Reason.SOURCE_NOT_ALLOWED, assertThrows(OtaException.class,
            () -> sources.check("https://u.example/ot%61-evil/p.ota")).reason());
        sources.check("https://u.example/%6fta/p.ota");
    }

    @Test
    void ipv6LiteralHostsAreComparedInCanonicalForm() throws Exception {
        PackageSources sources = PackageSources.parse(new String[] {"http://[::1]:8080/ota/", "https://[2001:DB8::1]/ota/"});
        sources.check("http://[::1]:8080/ota/p.ota");
        sources.check("http://[0:0:0:0:0:0:0:1]:8080/ota/p.ota");
        sources.check("https://[2001:db8:0::1]:443/ota/p.ota");
        for (String location : List.of("http://[::2]:8080/ota/p.ota", "http://[::1]:8081/ota/p.ota", "http://[::1]/ota/p.ota",
            "http://[fe80::1%25eth0]:8080/ota/p.ota", "http://127.0.0.1:8080/ota/p.ota", "http://[::ffff:127.0.0.1]:8080/ota/p.ota",
            "https://[2001:db8::2]/ota/p.ota")) {
            OtaException e = assertThrows(OtaException.class, () -> sources.check(location), location);
            assertEquals(Reason.SOURCE_NOT_ALLOWED, e.reason(), location);
        }
    }

    @Test
    void anotherCommandsPackageWaitingInTheInboxRefusesTheNext() throws Exception {
        Files.write(inbox.resolve("command-c-0.ota"), PACKAGE);
        OtaException e = assertThrows(OtaException.class, () -> fetcher().fetch(command(base + "/ota/good.ota", null, null), inbox));
        assertEquals(Reason.STORAGE, e.reason());
        assertTrue(e.getMessage().contains("command-c-0.ota"), e.getMessage());
        assertEquals(List.of("command-c-0.ota"), inboxFiles());
        // a package dropped into the inbox by other means is not a command's and does not count
        Files.delete(inbox.resolve("command-c-0.ota"));
        Files.write(inbox.resolve("manual.ota"), PACKAGE);
        fetcher().fetch(command(base + "/ota/good.ota", null, null), inbox);
    }

    /** The real file system, but with the given free space, file to write and directory flush. */
    private PackageFetcher fetcher(long free, Path writeTo, boolean fsyncFails) {
        return new PackageFetcher(PackageSources.parse(new String[] {base + "/ota/"}), 1 << 20, Duration.ofSeconds(10),
            new PackageFetcher.Storage() {
                @Override
                public java.nio.channels.FileChannel create(Path temp) throws IOException {
                    java.nio.channels.FileChannel channel = PackageFetcher.FILE_SYSTEM.create(temp);
                    if (writeTo == null) {
                        return channel;
                    }
                    channel.close();
                    return java.nio.channels.FileChannel.open(writeTo, java.nio.file.StandardOpenOption.WRITE);
                }

                @Override
                public void fsyncDirectory(Path directory) throws IOException {
                    if (fsyncFails) {
                        throw new IOException("EIO (test)");
                    }
                    PackageFetcher.FILE_SYSTEM.fsyncDirectory(directory);
                }

                @Override
                public long usableSpace(Path directory) {
                    return free;
                }
            });
    }

    @Test
    void tooLittleFreeSpaceRefusesBeforeTheDownload() throws Exception {
        refused(Reason.STORAGE, command(base + "/ota/good.ota", null, null), fetcher((1 << 20) - 1, null, false));
        // a pinned length is all the room needed
        fetcher(PACKAGE.length, null, false).fetch(command(base + "/ota/good.ota", null, (long) PACKAGE.length), inbox);
    }

    @Test
    void fullDiskIsAStorageFailureNotADownloadFailure() throws Exception {
        // /dev/full fails every write with ENOSPC
        refused(Reason.STORAGE, command(base + "/ota/good.ota", null, null), fetcher(Long.MAX_VALUE, Path.of("/dev/full"), false));
    }

    @Test
    void missingInboxIsAStorageFailure() throws Exception {
        Files.delete(inbox);
        OtaException e = assertThrows(OtaException.class, () -> fetcher().fetch(command(base + "/ota/good.ota", null, null), inbox));
        assertEquals(Reason.STORAGE, e.reason(), e.getMessage());
    }

    @Test
    void failedDirectoryFlushAfterTheRenameLeavesNothingToInstall() throws Exception {
        // regression: 'failed' was reported while command-<id>.ota stayed in the inbox and was installed
        refused(Reason.STORAGE, command(base + "/ota/good.ota", null, null), fetcher(Long.MAX_VALUE, null, true));
    }

    @Test
    void secondCommandWithTheSameIdWhilePendingIsRefused() throws Exception {
        fetcher().fetch(command(base + "/ota/good.ota", null, null), inbox);
        OtaException e = assertThrows(OtaException.class, () -> fetcher().fetch(command(base + "/ota/good.ota", null, null), inbox));
        assertEquals(Reason.STORAGE, e.reason());
        assertEquals(List.of("command-c-1.ota"), inboxFiles());
    }

    @Test
    void commandParsing() throws Exception {
        String good = "{\"schema\":\"carapace.ota.command/v1\",\"id\":\"c-42\",\"device\":\"dev-1\",\"expires\":\"2030-01-01T00:00:00Z\","
            + "\"location\":\"https://u.example/ota/p.ota\",\"sha256\":\"" + "a".repeat(64) + "\",\"length\":12}";
        OtaCommand command = OtaCommand.parse(good.getBytes(StandardCharsets.UTF_8));
        assertEquals("c-42", command.id());
        assertEquals(OptionalLong.of(12), command.length());
        assertEquals("command-c-42.ota", command.inboxName());
        Instant before = Instant.parse("2029-01-01T00:00:00Z");
        Duration ten = Duration.ofDays(3650);
        OtaException wrongDevice = assertThrows(OtaException.class, () -> command.requireApplicable("dev-2", before, ten));
        assertEquals(Reason.WRONG_DEVICE, wrongDevice.reason());
        Instant at = Instant.parse("2030-01-01T00:00:00Z");
        OtaException expired = assertThrows(OtaException.class, () -> command.requireApplicable("dev-1", at, ten));
        assertEquals(Reason.EXPIRED, expired.reason());
        command.requireApplicable("dev-1", Instant.parse("2029-12-31T23:59:59Z"), ten);
        // a command valid further in the future than the longest lifetime is refused: it would stay replayable
        OtaException tooLong = assertThrows(OtaException.class, () -> command.requireApplicable("dev-1", before,
            Duration.ofHours(24)));
        assertEquals(Reason.MALFORMED, tooLong.reason());
        assertTrue(tooLong.getMessage().contains("maxCommandLifetimeMillis"), tooLong.getMessage());
        command.requireApplicable("dev-1", Instant.parse("2029-12-31T00:00:00Z"), Duration.ofHours(24));
        for (String bad : List.of("{", "[]", good.replace("v1", "v2"), good.replace("\"length\":12", "\"length\":12,\"extra\":1"),
            good.replace(",\"expires\":\"2030-01-01T00:00:00Z\"", ""), good.replace("c-42", "../../etc"), good.replace("c-42", ""),
            good.replace("\"length\":12", "\"length\":-1"), good.replace("\"a", "\"A"), good.replace("\"length\":12", "\"length\":null"),
            good.replace("}", ",\"id\":\"c-43\"}"))) {
            assertThrows(MalformedDocumentException.class, () -> OtaCommand.parse(bad.getBytes(StandardCharsets.UTF_8)), bad);
        }
        assertEquals(Optional.of("c-42"), OtaCommand.idOf(good.replace("v1", "v2").getBytes(StandardCharsets.UTF_8)));
        assertEquals(Optional.empty(), OtaCommand.idOf("{".getBytes(StandardCharsets.UTF_8)));
    }
}
