package org.carapace.policy.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiConsumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.carapace.api.events.SecurityEventType;
import org.carapace.api.io.AtomicFiles;
import org.carapace.api.trust.Envelope;
import org.carapace.api.trust.MalformedDocumentException;
import org.carapace.api.trust.NoTrustRootException;
import org.carapace.api.trust.Role;
import org.carapace.api.trust.TrustException;
import org.carapace.api.trust.TrustRoot;
import org.carapace.api.trust.TrustService;
import org.carapace.api.trust.VerifiedPayload;

/**
 * The device's trust root: a provisioned anchor plus the chain of rotations accepted since, kept in a directory.
 *
 * <pre>
 * anchor file (configured; ideally on read-only storage, optionally pinned by SHA-256 in the configuration)
 * &lt;directory&gt;/roots/&lt;version&gt;.json       each accepted rotation's envelope, byte for byte
 * &lt;directory&gt;/roots/&lt;version&gt;.lkg.json   an identical second copy
 * &lt;directory&gt;/counters.json, counters.lkg.json   highest accepted root version (stream "root")
 * </pre>
 *
 * <p>At load the anchor must meet its own root threshold; then each rotation up to the counter must verify against
 * its predecessor (either copy). If the chain ends below the counter, an older root would be used: the store then
 * has no root at all (fail closed). Writing the counter commits an installation. Thread-safe: reads are lock-free
 * on a volatile verifier, installations and loads are serialised.
 */
public final class TrustStore implements TrustService {

    /** The counters' stream name for the root. */
    static final String ROOT_STREAM = "root";
    private static final Pattern ROOT_FILE = Pattern.compile("(\\d{1,16})(\\.lkg)?\\.json");

    /**
     * @param anchor the provisioned root envelope
     * @param anchorSha256 if set, the anchor file's SHA-256 must equal it (pin kept in read-only configuration)
     * @param directory where rotations and the counter live
     * @param allowBootstrap whether {@link #install} may create the anchor when none exists (dev only)
     * @param maxEnvelopeBytes largest envelope read or accepted
     * @param maxSignatures most signatures per envelope
     */
    public record Settings(Path anchor, Optional<String> anchorSha256, Path directory, boolean allowBootstrap,
                           long maxEnvelopeBytes, int maxSignatures) {
        public Settings {
            if (!anchor.isAbsolute() || !directory.isAbsolute()) {
                throw new IllegalArgumentException("anchor and directory must be absolute paths");
            }
            anchorSha256.ifPresent(pin -> {
                if (!pin.matches("[0-9a-f]{64}")) {
                    throw new IllegalArgumentException("anchorSha256 must be 64 lowercase hex characters");
                }
            });
        }
    }

    private final Settings settings;
    private final Clock clock;
    private final SecurityReporter reporter;
    private final BiConsumer<TrustRoot, TrustRoot> onChange;
    private final EnvelopeCodec envelopes;
    private final RootCodec roots;
    private volatile TrustVerifier verifier;
    private volatile List<String> problems = List.of();

    /**
     * @param onChange told (previous or null, current) after an installation took effect
     */
    public TrustStore(Settings settings, Clock clock, SecurityReporter reporter, BiConsumer<TrustRoot, TrustRoot> onChange) {
        this.settings = settings;
        this.clock = clock;
        this.reporter = reporter;
        this.onChange = onChange;
        this.envelopes = new EnvelopeCodec(settings.maxEnvelopeBytes(), settings.maxSignatures());
        this.roots = new RootCodec(settings.maxEnvelopeBytes());
    }

    public Settings settings() {
        return settings;
    }

    /** What went wrong at the last load, empty when the root loaded cleanly. */
    public List<String> problems() {
        return problems;
    }

    private Path rootsDir() {
        return settings.directory().resolve("roots");
    }

    /** Loads the anchor and the chain of rotations; afterwards {@link #root()} tells whether the device has a root. */
    public synchronized void load() throws IOException {
        List<String> found = new ArrayList<>();
        verifier = null;
        AtomicFiles.privateDirectory(settings.directory());
        AtomicFiles.privateDirectory(rootsDir());
        AtomicFiles.cleanTemporaries(settings.directory());
        AtomicFiles.cleanTemporaries(rootsDir());
        try {
            verifier = loadChain(found);
        } finally {
            problems = List.copyOf(found);
        }
        for (String problem : found) {
            reporter.report(SecurityEventType.POLICY_LOAD_FAILED, problem, Map.of("component", "trust"));
        }
    }

    private TrustVerifier loadChain(List<String> found) throws IOException {
        if (!Files.exists(settings.anchor())) {
            found.add("no trust anchor at " + settings.anchor() + ": nothing can be verified until a root is provisioned");
            return null;
        }
        TrustVerifier current;
        try {
            byte[] bytes = AtomicFiles.read(settings.anchor(), settings.maxEnvelopeBytes(), "trust anchor");
            checkPin(bytes);
            current = TrustVerifier.bootstrap(envelopes.parse(bytes), roots);
        } catch (TrustException e) {
            found.add("trust anchor " + settings.anchor() + " refused (" + e.reason() + "): " + e.getMessage());
            return null;
        } catch (IOException e) {
            found.add("trust anchor " + settings.anchor() + " unreadable: " + e);
            return null;
        }
        Counters.Read read = Counters.read(settings.directory());
        read.problem().ifPresent(found::add);
        long committed = read.counters().map(c -> c.get(ROOT_STREAM)).map(Counters.Counter::version).orElse(0L);
        long highestFile = highestRootFile();
        long walkTo = read.counters().isPresent() ? committed : highestFile;
        while (current.root().version() < walkTo) {
            long next = current.root().version() + 1;
            TrustVerifier rotated = null;
            for (Path file : List.of(rootFile(next, false), rootFile(next, true))) {
                try {
                    byte[] bytes = AtomicFiles.read(file, settings.maxEnvelopeBytes(), file.getFileName().toString());
                    rotated = current.rotate(envelopes.parse(bytes), roots);
                    break;
                } catch (NoSuchFileException e) {
                    found.add("trust root v" + next + ": " + file.getFileName() + " is missing");
                } catch (IOException e) {
                    found.add("trust root v" + next + ": " + file.getFileName() + " is unreadable: " + e);
                } catch (TrustException e) {
                    found.add("trust root v" + next + ": " + file.getFileName() + " refused (" + e.reason() + "): " + e.getMessage());
                }
            }
            if (rotated == null) {
                break;
            }
            current = rotated;
        }
        if (current.root().version() < committed) {
            found.add("trust root v" + committed + " was accepted but only v" + current.root().version()
                + " can be verified: refusing to fall back to an older root (rollback); no root is in force");
            return null;
        }
        // rotations written but never committed (a failed installation) are not part of the chain
        for (long v = current.root().version() + 1; v <= highestFile; v++) {
            for (boolean copy : new boolean[] {false, true}) {
                try {
                    AtomicFiles.delete(rootFile(v, copy));
                } catch (IOException e) {
                    found.add("cannot remove the uncommitted " + rootFile(v, copy) + ": " + e);
                }
            }
        }
        if (committed != current.root().version() || read.problem().isPresent()) {
            Counters.write(settings.directory(), Map.of(ROOT_STREAM, counter(current.root())));
        }
        return current;
    }

    private void checkPin(byte[] anchorBytes) throws NoTrustRootException {
        if (settings.anchorSha256().isPresent() && !settings.anchorSha256().get().equals(Hashing.sha256(anchorBytes))) {
            throw new NoTrustRootException("the anchor's SHA-256 " + Hashing.sha256(anchorBytes)
                + " differs from the configured pin " + settings.anchorSha256().get());
        }
    }

    private long highestRootFile() throws IOException {
        long highest = 0;
        try (var files = Files.list(rootsDir())) {
            for (Path file : (Iterable<Path>) files::iterator) {
                Matcher m = ROOT_FILE.matcher(file.getFileName().toString());
                if (m.matches()) {
                    highest = Math.max(highest, Long.parseLong(m.group(1)));
                }
            }
        }
        return highest;
    }

    private Path rootFile(long version, boolean copy) {
        return rootsDir().resolve(version + (copy ? ".lkg.json" : ".json"));
    }

    @Override
    public Optional<TrustRoot> root() {
        TrustVerifier v = verifier;
        return v == null ? Optional.empty() : Optional.of(v.root());
    }

    @Override
    public Envelope parse(byte[] envelopeJson) throws MalformedDocumentException {
        return envelopes.parse(envelopeJson);
    }

    @Override
    public VerifiedPayload verify(Envelope envelope, Role role, String payloadType) throws TrustException {
        TrustVerifier v = verifier;
        if (v == null) {
            throw new NoTrustRootException("the device has no trust root" + (problems.isEmpty() ? "" : ": " + problems.get(0)));
        }
        return v.verify(envelope, role, payloadType, clock.instant());
    }

    @Override
    public synchronized TrustRoot install(byte[] envelopeJson) throws TrustException, IOException {
        Instant now = clock.instant();
        TrustVerifier current = verifier;
        TrustVerifier next;
        try {
            Envelope envelope = envelopes.parse(envelopeJson);
            if (current == null) {
                next = bootstrap(envelope, envelopeJson, now);
            } else {
                next = current.rotate(envelope, roots);
                next.requireNotExpired(now);
                commitRotation(next, envelopeJson);
            }
        } catch (TrustException e) {
            reporter.report(SecurityEventType.POLICY_REJECTED, "trust root refused (" + e.reason() + "): " + e.getMessage(),
                context(e.reason().name(), current));
            throw e;
        }
        verifier = next;
        problems = List.of();
        TrustRoot previous = current == null ? null : current.root();
        reporter.report(SecurityEventType.TRUST_ROOT_ROTATED, previous == null
            ? "trust root v" + next.root().version() + " bootstrapped"
            : "trust root rotated from v" + previous.version() + " to v" + next.root().version(),
            Map.of("oldVersion", previous == null ? 0L : previous.version(), "newVersion", next.root().version()));
        onChange.accept(previous, next.root());
        return next.root();
    }

    private TrustVerifier bootstrap(Envelope envelope, byte[] envelopeJson, Instant now) throws TrustException, IOException {
        if (!settings.allowBootstrap()) {
            throw new NoTrustRootException("the device has no trust root and bootstrapping one through the runtime is disabled;"
                + " provision the anchor at " + settings.anchor());
        }
        if (Files.exists(settings.anchor())) {
            throw new NoTrustRootException("an anchor exists at " + settings.anchor() + " but was refused; it is not replaced"
                + " through the runtime: " + String.join("; ", problems));
        }
        checkPin(envelopeJson);
        TrustVerifier next = TrustVerifier.bootstrap(envelope, roots);
        next.requireNotExpired(now);
        AtomicFiles.privateDirectory(settings.anchor().getParent());
        AtomicFiles.write(settings.anchor(), envelopeJson);
        Counters.write(settings.directory(), Map.of(ROOT_STREAM, counter(next.root())));
        return next;
    }

    private void commitRotation(TrustVerifier next, byte[] envelopeJson) throws IOException {
        long version = next.root().version();
        try {
            AtomicFiles.write(rootFile(version, false), envelopeJson);
            AtomicFiles.write(rootFile(version, true), envelopeJson);
            Counters.write(settings.directory(), Map.of(ROOT_STREAM, counter(next.root())));
        } catch (IOException e) {
            // not committed unless counters.json was replaced; undo what may have been written
            Counters.Read read = Counters.read(settings.directory());
            boolean committed = read.counters().map(c -> c.get(ROOT_STREAM)).map(c -> c.version() == version).orElse(false);
            if (!committed) {
                for (boolean copy : new boolean[] {false, true}) {
                    try {
                        AtomicFiles.delete(rootFile(version, copy));
                    } catch (IOException cleanup) {
                        e.addSuppressed(cleanup); // left for the next load, which discards uncommitted rotations
                    }
                }
                throw e;
            }
        }
    }

    /** The root's counter: its version and the SHA-256 of its canonical JSON form. */
    private static Counters.Counter counter(TrustRoot root) {
        return new Counters.Counter(root.version(), Hashing.sha256(RootCodec.write(root)));
    }

    private static Map<String, Object> context(String reason, TrustVerifier current) {
        Map<String, Object> context = new LinkedHashMap<>();
        context.put("component", "trust");
        context.put("reason", reason);
        context.put("currentVersion", current == null ? 0L : current.root().version());
        return context;
    }
}
