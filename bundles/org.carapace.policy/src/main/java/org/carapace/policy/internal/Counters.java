package org.carapace.policy.internal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.carapace.api.io.AtomicFiles;
import org.carapace.api.io.Fields;
import org.carapace.api.io.StrictJson;
import org.carapace.api.trust.MalformedDocumentException;
import org.carapace.api.trust.TrustException;

/**
 * The rollback counters of a store: per stream, the highest version ever accepted and the SHA-256 of that
 * version's payload. Kept in two files ({@code counters.json}, then {@code counters.lkg.json}), each written
 * atomically; writing the first is the commit point of an installation. Immutable values; the file operations are
 * not synchronised (the owning store serialises them).
 *
 * <pre>{"schema": "carapace.counters/v1", "streams": {"base": {"version": 7, "payloadSha256": "&lt;hex&gt;"}}}</pre>
 */
final class Counters {

    static final String SCHEMA = "carapace.counters/v1";
    static final String PRIMARY = "counters.json";
    static final String COPY = "counters.lkg.json";
    private static final Pattern HEX64 = Pattern.compile("[0-9a-f]{64}");
    private static final StrictJson JSON = new StrictJson(4L << 20, 6);

    /** One stream's counter. */
    record Counter(long version, String payloadSha256) {
        Counter {
            if (version < 1 || !HEX64.matcher(payloadSha256).matches()) {
                throw new IllegalArgumentException("bad counter " + version + " " + payloadSha256);
            }
        }
    }

    /** What reading found. */
    record Read(Optional<Map<String, Counter>> counters, Optional<String> problem) {
    }

    private Counters() {
    }

    /**
     * Reads the counters: the primary file if it is intact, else the copy. Empty with no problem when neither file
     * exists (a fresh store); empty with a problem when they exist but neither is intact.
     */
    static Read read(Path dir) {
        Path primary = dir.resolve(PRIMARY);
        Path copy = dir.resolve(COPY);
        if (!Files.exists(primary) && !Files.exists(copy)) {
            return new Read(Optional.empty(), Optional.empty());
        }
        String problem = null;
        for (Path file : new Path[] {primary, copy}) {
            try {
                Map<String, Counter> counters = parse(AtomicFiles.read(file, JSON.maxBytes(), file.getFileName().toString()));
                return new Read(Optional.of(counters), problem == null ? Optional.empty() : Optional.of(problem));
            } catch (IOException | TrustException | IllegalArgumentException e) {
                String what = file.getFileName() + ": " + (e instanceof java.nio.file.NoSuchFileException ? "missing" : e.getMessage());
                problem = problem == null ? what : problem + "; " + what;
            }
        }
        return new Read(Optional.empty(), Optional.of("rollback counters unreadable (" + problem + ")"));
    }

    static Map<String, Counter> parse(byte[] bytes) throws MalformedDocumentException {
        Fields top = Fields.of("rollback counters", JSON.parseObject(bytes, "rollback counters"));
        if (!SCHEMA.equals(top.string("schema"))) {
            throw top.error("schema", "expected " + SCHEMA);
        }
        Map<String, Counter> counters = new TreeMap<>();
        for (Map.Entry<String, Fields> entry : top.objectMap("streams", 100_000).entrySet()) {
            Fields stream = entry.getValue();
            long version = stream.integer("version", 1, Long.MAX_VALUE);
            String sha = stream.string("payloadSha256");
            stream.end();
            try {
                counters.put(entry.getKey(), new Counter(version, sha));
            } catch (IllegalArgumentException e) {
                throw stream.error("payloadSha256", "must be 64 lowercase hex characters");
            }
        }
        top.end();
        return Collections.unmodifiableMap(counters);
    }

    /** Writes both files, primary first: once the primary is renamed into place the new counters are committed. */
    static void write(Path dir, Map<String, Counter> counters) throws IOException {
        ObjectNode top = StrictJson.object();
        top.put("schema", SCHEMA);
        ObjectNode streams = top.putObject("streams");
        new TreeMap<>(counters).forEach((name, counter) -> streams.putObject(name)
            .put("version", counter.version()).put("payloadSha256", counter.payloadSha256()));
        byte[] bytes = StrictJson.write(top);
        AtomicFiles.write(dir.resolve(PRIMARY), bytes);
        AtomicFiles.write(dir.resolve(COPY), bytes);
    }
}
