package org.carapace.ota.internal;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.carapace.api.io.AtomicFiles;
import org.carapace.api.ota.LimitExceededException;
import org.carapace.api.ota.OtaException;
import org.carapace.api.ota.OtaException.Reason;

/**
 * Fetches the package a command points to into the inbox, bounded in every direction: only locations the
 * {@link PackageSources} allow; no download while an earlier command's package still waits in the inbox, nor unless
 * the inbox's file system has room for {@code maxBytes} (or the command's length); at most that many bytes read,
 * whatever the server claims;
 * the whole transfer within {@code timeout} (connect, headers and body: a server that trickles is cut off); no
 * redirects (they could leave the allowed sources); the command's length and SHA-256 checked when it gives them.
 *
 * <p>The bytes go to a hidden temporary file in the inbox ({@code .command-<id>.part}, which the installer ignores),
 * are flushed with {@code fsync}, and only then renamed to {@code command-<id>.ota} (and the directory flushed): the
 * installer never sees a partial package. On any failure the temporary file is removed and nothing is left in the
 * inbox (a package whose directory flush failed after the rename is removed again: it was reported failed). Errors of
 * the source are {@code DOWNLOAD_FAILED}, errors writing the inbox (a full disk, a missing inbox) {@code STORAGE}.
 * The package's signatures are not checked here: the installer does that, as for every package.
 */
final class PackageFetcher {

    static final String TEMP_PREFIX = ".command-";
    static final String TEMP_SUFFIX = ".part";
    private static final int BUFFER = 64 * 1024;

    private final PackageSources sources;
    private final long maxBytes;
    private final Duration timeout;
    private volatile HttpClient client;
    /** The body being read, so {@link #cancel()} can end a read the thread's interrupt would not end. */
    private volatile InputStream current;
    private volatile boolean cancelled;

    /** Where the fetcher writes: the file system, or in tests one that fails. */
    interface Storage {
        /** Creates the temporary file, mode 0600; fails if it exists. */
        FileChannel create(Path temp) throws IOException;

        void fsyncDirectory(Path directory) throws IOException;

        long usableSpace(Path directory) throws IOException;
    }

    static final Storage FILE_SYSTEM = new Storage() {
        @Override
        public FileChannel create(Path temp) throws IOException {
            return FileChannel.open(temp, java.util.Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        }

        @Override
        public void fsyncDirectory(Path directory) throws IOException {
            AtomicFiles.fsyncDirectory(directory);
        }

        @Override
        public long usableSpace(Path directory) throws IOException {
            return Files.getFileStore(directory).getUsableSpace();
        }
    };

    private final Storage storage;

    PackageFetcher(PackageSources sources, long maxBytes, Duration timeout) {
        this(sources, maxBytes, timeout, FILE_SYSTEM);
    }

    PackageFetcher(PackageSources sources, long maxBytes, Duration timeout, Storage storage) {
        this.storage = storage;
        if (maxBytes < 1 || timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("maxBytes and the download timeout must be positive");
        }
        this.sources = sources;
        this.maxBytes = maxBytes;
        this.timeout = timeout;
    }

    /**
     * Cuts off the download in progress, if any, and refuses every later one ({@code DOWNLOAD_FAILED}): the thread
     * reading it returns at once, removes its temporary file and renames nothing into the inbox. The JDK's HTTP body
     * stream does not end a blocking read on an interrupt; closing it does.
     */
    void cancel() {
        cancelled = true;
        InputStream in = current;
        if (in != null) {
            closeQuietly(in);
        }
    }

    /** Checks the command's location against the allowed sources; answers it as a URI. */
    URI check(OtaCommand command) throws OtaException {
        return sources.check(command.location());
    }

    /**
     * Fetches the command's package into the inbox.
     *
     * @return the package in the inbox, {@code command-<id>.ota}
     * @throws OtaException {@code SOURCE_NOT_ALLOWED}, {@code TOO_LARGE}, {@code DOWNLOAD_FAILED} (the source could not
     *                      be read, or the download was cancelled), {@code LENGTH_MISMATCH}, {@code HASH_MISMATCH}, or
     *                      {@code STORAGE}: a command's package is still waiting in the inbox, the inbox's file system
     *                      has less room than the package may take, or the inbox could not be written
     */
    Path fetch(OtaCommand command, Path inbox) throws OtaException {
        URI location = sources.check(command.location());
        OptionalLong expected = command.length();
        if (expected.isPresent() && expected.getAsLong() > maxBytes) {
            throw new LimitExceededException("the package of command " + command.id() + " (" + expected.getAsLong() + " bytes)", maxBytes);
        }
        long limit = expected.isPresent() ? expected.getAsLong() : maxBytes;
        requireRoom(command, inbox, limit);
        Path target = inbox.resolve(command.inboxName());
        Path temp = inbox.resolve(TEMP_PREFIX + command.id() + TEMP_SUFFIX);
        boolean done = false;
        try {
            FileChannel out;
            try {
                Files.deleteIfExists(temp);
                out = storage.create(temp);
            } catch (IOException e) {
                throw storageFailure(command, inbox, e);
            }
            long deadline = System.nanoTime() + timeout.toNanos();
            try (out; InputStream in = open(location, limit, command)) {
                current = in;
                if (cancelled) {
                    throw new OtaException(Reason.DOWNLOAD_FAILED, "the download of command " + command.id() + " was cancelled");
                }
                AtomicBoolean finished = new AtomicBoolean();
                AtomicBoolean timedOut = new AtomicBoolean();
                // a blocking read cannot be given a deadline; closing the stream from another thread ends it
                long left = Math.max(1, deadline - System.nanoTime());
                CompletableFuture.delayedExecutor(left, TimeUnit.NANOSECONDS).execute(() -> {
                    if (!finished.get()) {
                        timedOut.set(true);
                        closeQuietly(in);
                    }
                });
                try {
                    copy(in, out, limit, command, timedOut, inbox);
                } catch (IOException e) {
                    if (cancelled) {
                        throw new OtaException(Reason.DOWNLOAD_FAILED, "the download of command " + command.id() + " was cancelled", e);
                    }
                    if (timedOut.get()) {
                        throw new OtaException(Reason.DOWNLOAD_FAILED, "fetching " + describe(location) + " did not finish within "
                            + timeout.toMillis() + " ms", e);
                    }
                    throw new OtaException(Reason.DOWNLOAD_FAILED, "fetching " + describe(location) + " failed: " + e.getMessage(), e);
                } finally {
                    finished.set(true);
                    current = null;
                }
                if (cancelled) {
                    // a stream closed by cancel() may end as if the body were complete
                    throw new OtaException(Reason.DOWNLOAD_FAILED, "the download of command " + command.id() + " was cancelled");
                }
                try {
                    out.force(true);
                } catch (IOException e) {
                    throw storageFailure(command, inbox, e);
                }
            } catch (IOException e) {
                // closing the source or the file
                throw new OtaException(Reason.DOWNLOAD_FAILED, "fetching " + describe(location) + " failed: " + e, e);
            }
            try {
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException e) {
                throw storageFailure(command, inbox, e);
            }
            try {
                storage.fsyncDirectory(inbox);
            } catch (IOException e) {
                // reported failed, so it must not be installed either: the rename may not survive a power loss, and
                // the back end, told 'failed', would send the command again
                try {
                    Files.deleteIfExists(target);
                } catch (IOException again) {
                    e.addSuppressed(again);
                }
                throw storageFailure(command, inbox, e);
            }
            done = true;
            return target;
        } finally {
            if (!done) {
                try {
                    Files.deleteIfExists(temp);
                } catch (IOException e) {
                    // removed at the next start (Installer.start)
                }
            }
        }
    }

    private static OtaException storageFailure(OtaCommand command, Path inbox, IOException e) {
        return new OtaException(Reason.STORAGE, "cannot put the package of command " + command.id() + " into the inbox " + inbox + ": "
            + e, e);
    }

    /**
     * Bounds the inbox's disk use: one command's package waits there at a time, and a download starts only when the
     * file system has room for as much as it may write.
     */
    private void requireRoom(OtaCommand command, Path inbox, long limit) throws OtaException {
        try (Stream<Path> files = Files.list(inbox)) {
            List<String> waiting = files.map(f -> f.getFileName().toString())
                .filter(n -> n.startsWith(Installer.COMMAND_PREFIX) && n.endsWith(Installer.SUFFIX)).sorted().toList();
            if (!waiting.isEmpty()) {
                throw new OtaException(Reason.STORAGE, "the package " + waiting.get(0) + " of an earlier command is still waiting in the "
                    + "inbox; command " + command.id() + " is refused, send it again once that one is reported");
            }
            long usable = storage.usableSpace(inbox);
            if (usable < limit) {
                throw new OtaException(Reason.STORAGE, "the inbox's file system has " + usable + " bytes free, command " + command.id()
                    + " may need " + limit);
            }
        } catch (IOException e) {
            throw storageFailure(command, inbox, e);
        }
    }

    /** Copies at most {@code limit} bytes, hashing them; checks the command's length and SHA-256. */
    private static void copy(InputStream in, FileChannel out, long limit, OtaCommand command, AtomicBoolean timedOut, Path inbox)
        throws IOException, OtaException {
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JRE", e);
        }
        byte[] buffer = new byte[BUFFER];
        long total = 0;
        int n;
        while ((n = in.read(buffer, 0, (int) Math.min(buffer.length, limit + 1 - total))) > 0) {
            total += n;
            if (total > limit) {
                throw tooMuch(command, limit);
            }
            sha.update(buffer, 0, n);
            ByteBuffer chunk = ByteBuffer.wrap(buffer, 0, n);
            try {
                while (chunk.hasRemaining()) {
                    out.write(chunk);
                }
            } catch (IOException e) {
                // the disk, not the source: e.g. ENOSPC
                throw storageFailure(command, inbox, e);
            }
        }
        if (timedOut.get()) {
            // a stream closed at the deadline may end as if the body were complete
            throw new IOException("the transfer was cut off at the deadline after " + total + " bytes");
        }
        if (command.length().isPresent() && total != command.length().getAsLong()) {
            throw new OtaException(Reason.LENGTH_MISMATCH, "the package of command " + command.id() + " has " + total
                + " bytes where the command says " + command.length().getAsLong());
        }
        String actual = HexFormat.of().formatHex(sha.digest());
        if (command.sha256().isPresent() && !MessageDigest.isEqual(actual.getBytes(java.nio.charset.StandardCharsets.US_ASCII),
            command.sha256().get().getBytes(java.nio.charset.StandardCharsets.US_ASCII))) {
            throw new OtaException(Reason.HASH_MISMATCH, "the package of command " + command.id() + " has sha256 " + actual
                + " where the command says " + command.sha256().get());
        }
    }

    private static OtaException tooMuch(OtaCommand command, long limit) {
        if (command.length().isPresent()) {
            return new OtaException(Reason.LENGTH_MISMATCH, "the package of command " + command.id() + " has more than the " + limit
                + " bytes the command says");
        }
        return new LimitExceededException("the package of command " + command.id(), limit);
    }

    private InputStream open(URI location, long limit, OtaCommand command) throws IOException, OtaException {
        HttpRequest request = HttpRequest.newBuilder(location).GET().timeout(timeout).header("Accept", "application/octet-stream").build();
        HttpResponse<InputStream> response;
        try {
            response = client().send(request, HttpResponse.BodyHandlers.ofInputStream());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new OtaException(Reason.DOWNLOAD_FAILED, "interrupted while fetching " + describe(location), e);
        } catch (IOException e) {
            throw new OtaException(Reason.DOWNLOAD_FAILED, "fetching " + describe(location) + " failed: " + e, e);
        }
        if (response.statusCode() != 200) {
            closeQuietly(response.body());
            throw new OtaException(Reason.DOWNLOAD_FAILED, describe(location) + " answered HTTP " + response.statusCode()
                + (response.statusCode() / 100 == 3 ? " (redirects are not followed)" : ""));
        }
        OptionalLong announced = response.headers().firstValueAsLong("Content-Length");
        if (announced.isPresent() && announced.getAsLong() > limit) {
            closeQuietly(response.body());
            throw tooMuch(command, limit);
        }
        return response.body();
    }

    private HttpClient client() {
        HttpClient c = client;
        if (c == null) {
            synchronized (this) {
                if (client == null) {
                    client = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER)
                        .connectTimeout(timeout.compareTo(Duration.ofSeconds(10)) < 0 ? timeout : Duration.ofSeconds(10)).build();
                }
                c = client;
            }
        }
        return c;
    }

    /** The location without its query (a pre-signed URL's query is a credential: never logged or reported). */
    static String describe(URI location) {
        return location.getScheme() + ":" + (location.getRawAuthority() == null ? "" : "//" + location.getRawAuthority())
            + location.getRawPath();
    }

    private static void closeQuietly(InputStream in) {
        try {
            in.close();
        } catch (IOException e) {
            // nothing more to release
        }
    }
}
