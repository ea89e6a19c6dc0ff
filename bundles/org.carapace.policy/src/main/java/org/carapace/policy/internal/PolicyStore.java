package org.carapace.policy.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.carapace.api.events.SecurityEventType;
import org.carapace.api.io.AtomicFiles;
import org.carapace.api.policy.ImageRule;
import org.carapace.api.policy.PolicyChange;
import org.carapace.api.policy.PolicyDocument;
import org.carapace.api.policy.PolicyKind;
import org.carapace.api.policy.PolicyService;
import org.carapace.api.policy.PolicySnapshot;
import org.carapace.api.policy.PolicyStatus;
import org.carapace.api.policy.Refusal;
import org.carapace.api.policy.Revocation;
import org.carapace.api.policy.RoleViolationException;
import org.carapace.api.policy.StreamLimitException;
import org.carapace.api.policy.StreamStatus;
import org.carapace.api.trust.DocumentTooLargeException;
import org.carapace.api.trust.Envelope;
import org.carapace.api.trust.ExpiredException;
import org.carapace.api.trust.MalformedDocumentException;
import org.carapace.api.trust.RollbackException;
import org.carapace.api.trust.TrustException;
import org.carapace.api.trust.TrustException.Reason;
import org.carapace.api.trust.TrustService;
import org.carapace.api.trust.VerifiedPayload;
import org.carapace.api.trust.WrongDeviceException;
import org.carapace.api.trust.WrongPayloadTypeException;

/**
 * The policy store: accepted documents per stream in a directory, rollback counters, and the effective policy.
 *
 * <pre>
 * &lt;directory&gt;/counters.json, counters.lkg.json       per stream: highest accepted version + payload SHA-256
 * &lt;directory&gt;/streams/&lt;stream&gt;/&lt;version&gt;.json      the accepted envelope, byte for byte
 * &lt;directory&gt;/streams/&lt;stream&gt;/&lt;version&gt;.lkg.json  an identical second copy (last known good)
 * </pre>
 *
 * <p>An installation is verified completely first; then both copies are written atomically, then the counters
 * (whose rename is the commit point); only then does the new snapshot take effect. At load every stream's document
 * is verified again; a copy that fails is refused and the other copy (and so the last known good version) stays in
 * force; a stream with no good copy is not in force (fail closed). Thread-safe: {@link #snapshot()} is lock-free;
 * installations and loads are serialised on the store.
 */
public final class PolicyStore implements PolicyService {

    /** Told of every change of the version in force of a stream; the component posts it on EventAdmin. */
    @FunctionalInterface
    public interface ChangeListener {
        ChangeListener NONE = (stream, oldVersion, newVersion, generation, imageCount, cause) -> { };

        void changed(String stream, long oldVersion, long newVersion, long generation, int imageCount, String cause);
    }

    /**
     * @param directory where documents and counters live
     * @param deviceId this device, for device-bound documents
     * @param limits bounds on each policy document
     * @param maxStreams most additional streams kept
     * @param maxEnvelopeBytes largest envelope installed or read back from disk (a huge file is not read)
     */
    public record Settings(Path directory, String deviceId, PolicyLimits limits, int maxStreams, long maxEnvelopeBytes) {
        public Settings {
            if (maxEnvelopeBytes < 1024) {
                throw new IllegalArgumentException("maxEnvelopeBytes must be at least 1024, was " + maxEnvelopeBytes);
            }
            if (!directory.isAbsolute()) {
                throw new IllegalArgumentException("the policy directory must be absolute, was " + directory);
            }
            if (maxStreams < 1) {
                throw new IllegalArgumentException("maxStreams must be at least 1, was " + maxStreams);
            }
        }
    }

    /** A verified document and the SHA-256 of its payload (the envelope itself stays on disk, not in memory). */
    private record Accepted(PolicyDocument document, String payloadSha256) {
    }

    /** What the store knows about one stream. */
    private record Stream(String name, Counters.Counter counter, Accepted accepted, StreamStatus.State state, String problem) {
        PolicyKind kind() {
            return PolicyDocument.BASE_STREAM.equals(name) ? PolicyKind.BASE : PolicyKind.ADDITIONAL;
        }
    }

    private static final Pattern VERSION_FILE = Pattern.compile("(\\d{1,16})(\\.lkg)?\\.json");
    private static final Pattern STREAM_NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,63}");

    private final Settings settings;
    private final TrustService trust;
    private final Clock clock;
    private final SecurityReporter reporter;
    private final ChangeListener listener;
    private final PolicyCodec codec;

    // guarded by this
    private Map<String, Stream> streams = new TreeMap<>();
    private long generation;
    private List<String> problems = List.of();

    private volatile EffectivePolicy current;
    private volatile Refusal lastRefusal;

    public PolicyStore(Settings settings, TrustService trust, Clock clock, SecurityReporter reporter, ChangeListener listener) {
        this.settings = settings;
        this.trust = trust;
        this.clock = clock;
        this.reporter = reporter;
        this.listener = listener;
        this.codec = new PolicyCodec(settings.limits());
        this.current = EffectivePolicy.empty(0, clock.instant());
    }

    private Path streamsDir() {
        return settings.directory().resolve("streams");
    }

    private Path file(String stream, long version, boolean copy) {
        return streamsDir().resolve(stream).resolve(version + (copy ? ".lkg.json" : ".json"));
    }

    // ---------------------------------------------------------------------------------------------------- loading

    /**
     * Verifies everything on disk again and makes it the state in force. Used at start and when the trust root
     * changed. Problems are reported (security events, {@link #status()}), never thrown: a bad document only takes
     * its own stream out of force.
     *
     * @throws IOException when the directory itself cannot be used
     */
    public synchronized void load(String cause) throws IOException {
        Instant now = clock.instant();
        AtomicFiles.privateDirectory(settings.directory());
        AtomicFiles.privateDirectory(streamsDir());
        AtomicFiles.cleanTemporaries(settings.directory());
        List<String> found = new ArrayList<>();
        Counters.Read read = Counters.read(settings.directory());
        read.problem().ifPresent(found::add);
        Map<String, Stream> loaded = new TreeMap<>();
        List<String> names = streamDirectories();
        if (read.counters().isPresent()) {
            for (Map.Entry<String, Counters.Counter> entry : read.counters().get().entrySet()) {
                loaded.put(entry.getKey(), loadCommitted(entry.getKey(), entry.getValue(), now, found));
            }
            for (String name : names) {
                if (!loaded.containsKey(name)) {
                    deleteStream(name, found); // written by an installation that never committed
                }
            }
        } else {
            for (String name : names) {
                Stream rebuilt = rebuild(name, now, found);
                if (rebuilt != null) {
                    loaded.put(name, rebuilt);
                }
            }
        }
        Map<String, Counters.Counter> counters = counters(loaded);
        // rebuilt counters are written only when every stream on disk was accounted for: a stream that could not be
        // verified now (no root yet, say) must not vanish from the counters, which would discard it at the next start
        boolean complete = read.counters().isPresent() || loaded.keySet().containsAll(names);
        if (complete && (read.counters().isEmpty() && !counters.isEmpty() || read.problem().isPresent()
            || read.counters().isPresent() && !read.counters().get().equals(counters))) {
            Counters.write(settings.directory(), counters);
        }
        streams = loaded;
        problems = List.copyOf(found);
        for (String problem : found) {
            reporter.report(SecurityEventType.POLICY_LOAD_FAILED, problem, Map.of("component", "policy"));
        }
        publish(now, cause);
    }

    private List<String> streamDirectories() throws IOException {
        List<String> names = new ArrayList<>();
        try (var dirs = Files.list(streamsDir())) {
            for (Path dir : (Iterable<Path>) dirs::iterator) {
                String name = dir.getFileName().toString();
                if (Files.isDirectory(dir) && STREAM_NAME.matcher(name).matches()) {
                    names.add(name);
                }
            }
        }
        names.sort(null);
        return names;
    }

    /** Loads the committed version of a stream from either copy, repairing the other copy if it was bad. */
    private Stream loadCommitted(String name, Counters.Counter counter, Instant now, List<String> found) throws IOException {
        List<String> failures = new ArrayList<>();
        Accepted accepted = null;
        byte[] good = null;
        boolean[] bad = new boolean[2];
        for (int copy = 0; copy < 2 && accepted == null; copy++) {
            Path path = file(name, counter.version(), copy == 1);
            try {
                byte[] bytes = AtomicFiles.read(path, trustLimit(), path.getFileName().toString());
                Accepted candidate = verify(bytes);
                requireCommitted(name, counter, candidate);
                accepted = candidate;
                good = bytes;
            } catch (NoSuchFileException e) {
                bad[copy] = true;
                failures.add(path.getFileName() + " is missing");
            } catch (IOException e) {
                bad[copy] = true;
                failures.add(path.getFileName() + " is unreadable: " + e.getMessage());
            } catch (TrustException e) {
                bad[copy] = true;
                failures.add(path.getFileName() + " refused (" + e.reason() + "): " + e.getMessage());
            }
        }
        if (accepted == null) {
            String problem = "policy stream " + name + " v" + counter.version() + ": no copy verifies ("
                + String.join("; ", failures) + "); the stream is not in force";
            found.add(problem);
            deleteOtherVersions(name, counter.version(), found);
            return new Stream(name, counter, null, StreamStatus.State.FAILED, problem);
        }
        String problem = null;
        if (!failures.isEmpty()) {
            problem = "policy stream " + name + " v" + counter.version() + ": " + String.join("; ", failures)
                + "; the last known good copy is in force and the bad copy was rewritten from it";
            found.add(problem);
            for (int copy = 0; copy < 2; copy++) {
                if (bad[copy]) {
                    AtomicFiles.write(file(name, counter.version(), copy == 1), good);
                }
            }
        }
        deleteOtherVersions(name, counter.version(), found);
        return state(name, counter, accepted, now, problem);
    }

    /** Without counters: the newest version on disk that verifies (the counters are rewritten from the result). */
    private Stream rebuild(String name, Instant now, List<String> found) throws IOException {
        TreeSet<Long> versions = new TreeSet<>(Comparator.reverseOrder());
        try (var files = Files.list(streamsDir().resolve(name))) {
            for (Path path : (Iterable<Path>) files::iterator) {
                Matcher m = VERSION_FILE.matcher(path.getFileName().toString());
                if (m.matches()) {
                    versions.add(Long.parseLong(m.group(1)));
                }
            }
        }
        for (long version : versions) {
            for (boolean copy : new boolean[] {false, true}) {
                Path path = file(name, version, copy);
                try {
                    byte[] bytes = AtomicFiles.read(path, trustLimit(), path.getFileName().toString());
                    Accepted candidate = verify(bytes);
                    if (candidate.document().stream().equals(name) && candidate.document().version() == version) {
                        Counters.Counter counter = new Counters.Counter(version, candidate.payloadSha256());
                        found.add("policy stream " + name + ": rollback counter rebuilt from the newest verified document, v" + version);
                        AtomicFiles.write(file(name, version, !copy), bytes);
                        deleteOtherVersions(name, version, found);
                        return state(name, counter, candidate, now, null);
                    }
                } catch (IOException | TrustException e) {
                    // try the next copy or version
                }
            }
        }
        found.add("policy stream " + name + ": no document verifies and no rollback counter exists; ignored");
        return null;
    }

    private static void requireCommitted(String name, Counters.Counter counter, Accepted candidate) throws TrustException {
        PolicyDocument document = candidate.document();
        if (!document.stream().equals(name)) {
            throw new MalformedDocumentException(Reason.SCHEMA, "policy document",
                "belongs to stream " + document.stream() + ", found in stream " + name);
        }
        if (document.version() != counter.version() || !candidate.payloadSha256().equals(counter.payloadSha256())) {
            if (document.version() > counter.version()) {
                throw new MalformedDocumentException(Reason.SCHEMA, "policy document", "version " + document.version()
                    + " was never committed (accepted: " + counter.version() + ")");
            }
            throw new RollbackException(name, counter.version(), document.version());
        }
    }

    private Stream state(String name, Counters.Counter counter, Accepted accepted, Instant now, String problem) {
        if (accepted.document().expiredAt(now)) {
            return new Stream(name, counter, accepted, StreamStatus.State.EXPIRED,
                "expired at " + accepted.document().expires().orElseThrow());
        }
        return new Stream(name, counter, accepted, StreamStatus.State.ACTIVE, problem);
    }

    /** Removes every file of a stream but the given version's two copies; what cannot be removed is reported. */
    private void deleteOtherVersions(String name, long keep, List<String> found) throws IOException {
        Path dir = streamsDir().resolve(name);
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (var files = Files.list(dir)) {
            for (Path path : (Iterable<Path>) files::iterator) {
                Matcher m = VERSION_FILE.matcher(path.getFileName().toString());
                if (!m.matches() || Long.parseLong(m.group(1)) != keep || !Files.isRegularFile(path)) {
                    deleteQuietly(path, found);
                }
            }
        }
        AtomicFiles.fsyncDirectory(dir);
    }

    private void deleteStream(String name, List<String> found) throws IOException {
        Path dir = streamsDir().resolve(name);
        try (var files = Files.list(dir)) {
            for (Path path : (Iterable<Path>) files::iterator) {
                deleteQuietly(path, found);
            }
        }
        deleteQuietly(dir, found);
        AtomicFiles.fsyncDirectory(streamsDir());
    }

    private static void deleteQuietly(Path path, List<String> found) {
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            found.add("cannot remove stray " + path + ": " + e);
        }
    }

    private static Map<String, Counters.Counter> counters(Map<String, Stream> streams) {
        Map<String, Counters.Counter> counters = new TreeMap<>();
        streams.forEach((name, stream) -> counters.put(name, stream.counter()));
        return counters;
    }

    private long trustLimit() {
        return settings.maxEnvelopeBytes();
    }

    // ---------------------------------------------------------------------------------------------- verification

    /** Everything but version and expiry: envelope, role signatures, payload schema, kind, device. */
    private Accepted verify(byte[] envelopeJson) throws TrustException {
        if (envelopeJson.length > settings.maxEnvelopeBytes()) {
            throw new DocumentTooLargeException("policy envelope", envelopeJson.length, settings.maxEnvelopeBytes());
        }
        Envelope envelope = trust.parse(envelopeJson);
        PolicyKind kind = PolicyKind.fromPayloadType(envelope.payloadType()).orElseThrow(() -> new WrongPayloadTypeException(
            PolicyKind.BASE.payloadType() + " or " + PolicyKind.ADDITIONAL.payloadType(), envelope.payloadType()));
        VerifiedPayload verified = trust.verify(envelope, kind.role(), kind.payloadType());
        java.nio.ByteBuffer payload = verified.payloadBuffer(); // no copy: a large policy is held once
        PolicyDocument document = codec.parse(payload);
        if (document.kind() != kind) {
            throw new MalformedDocumentException(Reason.SCHEMA, "policy document", "kind is " + document.kind()
                + " but the envelope's payload type is for " + kind);
        }
        if (!document.boundTo(settings.deviceId())) {
            throw new WrongDeviceException(settings.deviceId(), document.deviceIds());
        }
        return new Accepted(document, Hashing.sha256(payload));
    }

    // ------------------------------------------------------------------------------------------------ installing

    @Override
    public synchronized PolicyChange install(byte[] envelopeJson) throws TrustException, IOException {
        Instant now = clock.instant();
        String streamName = null;
        Accepted accepted;
        Stream previous;
        try {
            accepted = verify(envelopeJson);
            PolicyDocument document = accepted.document();
            streamName = document.stream();
            if (document.expiredAt(now)) {
                throw new ExpiredException("policy " + document.label(), document.expires().orElseThrow(), now);
            }
            previous = streams.get(streamName);
            if (previous != null) {
                long highest = previous.counter().version();
                if (document.version() < highest
                    || document.version() == highest && !accepted.payloadSha256().equals(previous.counter().payloadSha256())) {
                    throw new RollbackException(streamName, highest, document.version());
                }
                if (document.version() == highest && previous.state() == StreamStatus.State.ACTIVE) {
                    return unchanged(document); // the identical document again: nothing to do
                }
            } else if (document.kind() == PolicyKind.ADDITIONAL
                && streams.keySet().stream().filter(s -> !PolicyDocument.BASE_STREAM.equals(s)).count() >= settings.maxStreams()) {
                throw new StreamLimitException(streamName, settings.maxStreams());
            }
            if (document.kind() == PolicyKind.ADDITIONAL) {
                requireNoRevokedImages(document);
            }
            persist(streamName, accepted, envelopeJson, previous);
        } catch (TrustException e) {
            refuse(now, streamName, e.reason().name(), e.getMessage());
            throw e;
        } catch (IOException e) {
            refuse(now, streamName, "STORAGE", "could not store the document: " + e.getMessage());
            throw e;
        }
        PolicyDocument document = accepted.document();
        Map<String, Stream> next = new TreeMap<>(streams);
        next.put(streamName, new Stream(streamName, new Counters.Counter(document.version(), accepted.payloadSha256()), accepted,
            StreamStatus.State.ACTIVE, null));
        streams = next;
        long previousInForce = current.versions().getOrDefault(streamName, 0L);
        EffectivePolicy snapshot = publish(now, "install");
        Map<String, Object> context = new LinkedHashMap<>();
        context.put("stream", streamName);
        context.put("oldVersion", previousInForce);
        context.put("newVersion", document.version());
        context.put("images", snapshot.imageCount());
        reporter.report(SecurityEventType.POLICY_INSTALLED, "policy " + document.label() + " installed", context);
        return new PolicyChange(document.kind(), streamName, previousInForce, document.version(), true, snapshot.generation(),
            snapshot.imageCount());
    }

    private PolicyChange unchanged(PolicyDocument document) {
        EffectivePolicy snapshot = current;
        return new PolicyChange(document.kind(), document.stream(), document.version(), document.version(), false,
            snapshot.generation(), snapshot.imageCount());
    }

    /** An additional policy may not allow what the base revokes (it cannot lift a revocation). */
    private void requireNoRevokedImages(PolicyDocument document) throws RoleViolationException {
        Stream base = streams.get(PolicyDocument.BASE_STREAM);
        if (base == null || base.accepted() == null) {
            return; // no verified base: the addition stays suspended until one is in force, and is filtered then
        }
        Map<String, Revocation> revoked = new HashMap<>();
        for (Revocation revocation : base.accepted().document().revocations()) {
            revoked.put(revocation.digest(), revocation);
        }
        for (ImageRule image : document.images()) {
            String hit = revoked.containsKey(image.rootfsDigest()) ? image.rootfsDigest()
                : image.manifestDigest().filter(revoked::containsKey).orElse(null);
            if (hit != null) {
                throw new RoleViolationException(document.kind(), document.stream(), "image " + image.name() + " ("
                    + hit + ") is revoked by base v" + base.accepted().document().version()
                    + "; an additional policy cannot lift a revocation");
            }
        }
    }

    /** Writes both copies, then commits by writing the counters; undoes the copies if the commit did not happen. */
    private void persist(String stream, Accepted accepted, byte[] envelopeJson, Stream previous) throws IOException {
        long version = accepted.document().version();
        Map<String, Counters.Counter> next = counters(streams);
        next.put(stream, new Counters.Counter(version, accepted.payloadSha256()));
        AtomicFiles.privateDirectory(streamsDir().resolve(stream));
        boolean repair = previous != null && previous.counter().version() == version;
        try {
            AtomicFiles.write(file(stream, version, false), envelopeJson);
            AtomicFiles.write(file(stream, version, true), envelopeJson);
            Counters.write(settings.directory(), next);
        } catch (IOException e) {
            Counters.Read read = Counters.read(settings.directory());
            boolean committed = read.counters().map(c -> next.get(stream).equals(c.get(stream))).orElse(false);
            if (!committed) {
                if (!repair) {
                    for (boolean copy : new boolean[] {false, true}) {
                        try {
                            AtomicFiles.delete(file(stream, version, copy));
                        } catch (IOException cleanup) {
                            e.addSuppressed(cleanup); // left for the next load, which discards uncommitted versions
                        }
                    }
                }
                throw e;
            }
            // the primary counters file was replaced: the installation is committed, only its second copy failed
        }
        if (previous != null && !repair) {
            List<String> leftovers = new ArrayList<>();
            deleteOtherVersions(stream, version, leftovers);
            leftovers.forEach(l -> reporter.report(SecurityEventType.POLICY_LOAD_FAILED, l, Map.of("component", "policy")));
        }
    }

    private void refuse(Instant now, String stream, String reason, String message) {
        lastRefusal = new Refusal(now, Optional.ofNullable(stream), reason, message);
        Map<String, Object> context = new LinkedHashMap<>();
        context.put("reason", reason);
        if (stream != null) {
            context.put("stream", stream);
        }
        EffectivePolicy inForce = current;
        context.put("versionsInForce", new TreeMap<>(inForce.versions()).toString());
        reporter.report(SecurityEventType.POLICY_REJECTED, "policy refused (" + reason + "): " + message, context);
    }

    // ------------------------------------------------------------------------------------------------- publishing

    /** Builds the effective policy from the streams in force; announces every stream whose version in force changed. */
    private EffectivePolicy publish(Instant now, String cause) {
        Stream base = streams.get(PolicyDocument.BASE_STREAM);
        PolicyDocument baseDocument = base != null && base.state() == StreamStatus.State.ACTIVE ? base.accepted().document() : null;
        List<PolicyDocument> additions = new ArrayList<>();
        for (Stream stream : streams.values()) {
            if (stream.kind() == PolicyKind.ADDITIONAL && stream.state() == StreamStatus.State.ACTIVE) {
                additions.add(stream.accepted().document());
            }
        }
        EffectivePolicy before = current;
        EffectivePolicy candidate = EffectivePolicy.build(generation + 1, now, baseDocument, additions);
        if (candidate.versions().equals(before.versions())) {
            return before;
        }
        generation++;
        current = candidate;
        TreeSet<String> changed = new TreeSet<>(before.versions().keySet());
        changed.addAll(candidate.versions().keySet());
        for (String stream : changed) {
            long oldVersion = before.versions().getOrDefault(stream, 0L);
            long newVersion = candidate.versions().getOrDefault(stream, 0L);
            if (oldVersion != newVersion) {
                listener.changed(stream, oldVersion, newVersion, candidate.generation(), candidate.imageCount(), cause);
            }
        }
        return candidate;
    }

    @Override
    public PolicySnapshot snapshot() {
        EffectivePolicy snapshot = current;
        long expiry = snapshot.nextExpiryMillis();
        if (expiry != Long.MAX_VALUE && clock.millis() >= expiry) {
            return expire(); // rechecks each document against the clock's Instant
        }
        return snapshot;
    }

    /** Takes documents that expired out of force (freeze protection: an old policy does not stay valid forever). */
    private synchronized EffectivePolicy expire() {
        Instant now = clock.instant();
        Map<String, Stream> next = new TreeMap<>(streams);
        boolean any = false;
        for (Stream stream : streams.values()) {
            if (stream.state() == StreamStatus.State.ACTIVE && stream.accepted().document().expiredAt(now)) {
                PolicyDocument document = stream.accepted().document();
                next.put(stream.name(), new Stream(stream.name(), stream.counter(), stream.accepted(), StreamStatus.State.EXPIRED,
                    "expired at " + document.expires().orElseThrow()));
                reporter.report(SecurityEventType.POLICY_REJECTED, "policy " + document.label() + " expired at "
                    + document.expires().orElseThrow() + " and is no longer in force",
                    Map.of("reason", Reason.EXPIRED.name(), "stream", stream.name()));
                any = true;
            }
        }
        if (any) {
            streams = next;
            return publish(now, "expired");
        }
        return current;
    }

    // ---------------------------------------------------------------------------------------------------- status

    @Override
    public synchronized PolicyStatus status() {
        PolicySnapshot snapshot = snapshot();
        boolean baseInForce = snapshot.versions().containsKey(PolicyDocument.BASE_STREAM);
        List<StreamStatus> list = new ArrayList<>();
        List<Stream> ordered = new ArrayList<>(streams.values());
        ordered.sort(Comparator.comparing((Stream s) -> s.kind() == PolicyKind.BASE ? 0 : 1).thenComparing(Stream::name));
        for (Stream stream : ordered) {
            StreamStatus.State state = stream.state();
            String problem = stream.problem();
            if (state == StreamStatus.State.ACTIVE && stream.kind() == PolicyKind.ADDITIONAL && !baseInForce) {
                state = StreamStatus.State.SUSPENDED;
                problem = "not in force: no base policy is in force";
            }
            PolicyDocument document = stream.accepted() == null ? null : stream.accepted().document();
            list.add(new StreamStatus(stream.name(), stream.kind(), state,
                state == StreamStatus.State.ACTIVE ? document.version() : 0L, stream.counter().version(),
                document == null ? Optional.empty() : document.expires(),
                stream.accepted() == null ? "" : stream.accepted().payloadSha256(),
                document == null ? 0 : document.images().size(), Optional.ofNullable(problem)));
        }
        List<String> all = new ArrayList<>(problems);
        current.shadowed().forEach(s -> all.add("image listed twice, later entry ignored: " + s));
        long rootVersion = trust.root().map(r -> r.version()).orElse(0L);
        PolicyStatus.State state;
        if (rootVersion == 0) {
            state = PolicyStatus.State.NO_TRUST_ROOT;
            all.add(0, "the device has no trust root: no policy can be verified, nothing is allowed");
        } else if (snapshot.isEmpty()) {
            state = PolicyStatus.State.EMPTY;
            all.add(0, "no policy is in force: nothing is allowed");
        } else {
            state = PolicyStatus.State.ACTIVE;
        }
        return new PolicyStatus(state, rootVersion, settings.directory(), snapshot, list, Optional.ofNullable(lastRefusal), all);
    }

    public Settings settings() {
        return settings;
    }
}
