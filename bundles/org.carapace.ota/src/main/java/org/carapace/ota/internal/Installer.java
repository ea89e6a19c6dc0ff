package org.carapace.ota.internal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.Deque;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import org.carapace.api.events.SecurityEventType;
import org.carapace.api.io.AtomicFiles;
import org.carapace.api.ota.OtaException;
import org.carapace.api.ota.OtaException.Reason;
import org.carapace.api.ota.SelfTest;
import org.carapace.api.trust.MalformedDocumentException;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleEvent;
import org.osgi.framework.BundleException;
import org.osgi.framework.BundleListener;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.Version;
import org.osgi.framework.wiring.BundleCapability;
import org.osgi.framework.wiring.BundleRequirement;
import org.osgi.framework.wiring.BundleRevision;
import org.osgi.framework.wiring.BundleWire;
import org.osgi.framework.wiring.BundleWiring;
import org.osgi.framework.wiring.FrameworkWiring;
import org.osgi.framework.namespace.PackageNamespace;
import org.osgi.resource.Namespace;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;
import org.osgi.service.log.Logger;

/**
 * Installs verified packages into the running framework, one at a time, on the caller's thread.
 *
 * <p>Order of an update (docs/ota.md): take the package out of the inbox; verify it completely (signatures, member
 * names, hashes, lengths, manifests, expiry, device and hardware, release counters, that every bundle is installed,
 * updatable and grows in version, and that the new set resolves: each new jar is installed as an inert probe next to
 * the running one, resolved, checked against every consumer of the old one's packages and uninstalled). Only then:
 * store the new jars and a copy of the running ones, write the journal (fsync), {@code Bundle.update} each bundle,
 * refresh exactly those bundles (the framework adds their dependants), and check health (bundles active, components
 * satisfied, self-tests). Success: the new state with the new release counters is written atomically (the commit
 * point) and the journal removed. Failure: the previous jars go back the same way and no counter moves.
 *
 * <p>At start, {@link #recover()} makes the running set equal to the committed one: the framework's storage is
 * cleaned at every start, so bundles committed by updates are applied again over the profile's; an interrupted
 * update (journal present) leaves its previous jars in force.
 */
final class Installer {

    /** Where progress and outcomes go: security events on EventAdmin. */
    @FunctionalInterface
    interface Reporter {
        void report(SecurityEventType type, Outcome outcome);
    }

    /**
     * A step or the end of an update, as reported (hawkBit-style feedback: downloading, verifying, installing, then
     * active, rolled-back or failed with the reason).
     */
    record Outcome(Instant time, String packageName, String state, String reason, String message, List<String> bundles,
                   String command) {
        Outcome {
            bundles = List.copyOf(bundles);
        }

        Outcome(Instant time, String packageName, String state, String reason, String message, List<String> bundles) {
            this(time, packageName, state, reason, message, bundles, null);
        }

        /** The same outcome, reported for the back end's command {@code id} (null: not from a command). */
        Outcome forCommand(String id) {
            return new Outcome(time, packageName, state, reason, message, bundles, id);
        }
    }

    record Settings(Path inbox, Path directory, String deviceId, String hardwareId, PackageLimits limits, Duration healthTimeout,
                    Set<String> protectedBundles, String pauseAt) {
    }

    static final String SUFFIX = ".ota";
    /** Inbox name of a package a command fetched: {@code command-<id>.ota}; its reports carry the command's id. */
    static final String COMMAND_PREFIX = "command-";
    /** The marker file the installer writes when it pauses at a step (testPauseAt). */
    static final String PAUSED_MARKER = "test-paused-at";
    /** Location prefix of the inert bundles the resolution check installs. */
    static final String PROBE = "carapace-ota-probe:";
    private static final int RECENT = 16;

    private final Settings settings;
    private final BundleContext context;
    private final FrameworkWiring wiring;
    private final ServiceComponentRuntime scr;
    private final PackageArchive.EnvelopeVerifier verifier;
    private final Clock clock;
    private final Reporter reporter;
    private final Logger logger;
    private final Deque<Outcome> recent = new ArrayDeque<>();
    private volatile InstalledState state = InstalledState.EMPTY;
    private volatile String busy;

    Installer(Settings settings, BundleContext context, ServiceComponentRuntime scr, PackageArchive.EnvelopeVerifier verifier,
              Clock clock, Reporter reporter, Logger logger) {
        this.settings = settings;
        this.context = context;
        this.wiring = context.getBundle(0).adapt(FrameworkWiring.class);
        this.scr = scr;
        this.verifier = verifier;
        this.clock = clock;
        this.reporter = reporter;
        this.logger = logger;
    }

    Path store() {
        return settings.directory().resolve("store");
    }

    Path stateFile() {
        return settings.directory().resolve("state.json");
    }

    Path journalFile() {
        return settings.directory().resolve("journal.json");
    }

    Path staging() {
        return settings.directory().resolve("staging");
    }

    Settings settings() {
        return settings;
    }

    InstalledState state() {
        return state;
    }

    /** The package being installed, if any. */
    String busy() {
        return busy;
    }

    List<Outcome> recent() {
        synchronized (recent) {
            return new ArrayList<>(recent);
        }
    }

    /** Creates the directories, reads the committed state and makes the running set equal to it. */
    synchronized void start() throws IOException {
        AtomicFiles.privateDirectory(settings.directory());
        AtomicFiles.privateDirectory(store());
        AtomicFiles.privateDirectory(settings.inbox());
        AtomicFiles.cleanTemporaries(settings.directory());
        AtomicFiles.cleanTemporaries(store());
        deleteTree(staging());
        Files.deleteIfExists(settings.directory().resolve(PAUSED_MARKER));
        try (Stream<Path> files = Files.list(settings.inbox())) {
            for (Path file : (Iterable<Path>) files::iterator) {
                String name = file.getFileName().toString();
                if (name.startsWith(PackageFetcher.TEMP_PREFIX) && name.endsWith(PackageFetcher.TEMP_SUFFIX)) {
                    Files.deleteIfExists(file); // a download the runtime did not finish
                }
            }
        }
        if (Files.exists(stateFile())) {
            try {
                state = InstalledState.parse(AtomicFiles.read(stateFile(), 16L << 20, "OTA state"));
            } catch (MalformedDocumentException e) {
                // fail closed: without its counters the installer cannot refuse a downgrade, so it accepts nothing
                throw new IOException("the OTA state " + stateFile() + " is unreadable, no update will be accepted: " + e.getMessage(), e);
            }
        }
        recover();
    }

    /** Puts the committed set in force: after a restart, and after an interrupted update. */
    void recover() throws IOException {
        Journal journal = null;
        if (Files.exists(journalFile())) {
            try {
                journal = Journal.parse(AtomicFiles.read(journalFile(), 1 << 20, "OTA journal"));
            } catch (MalformedDocumentException e) {
                logger.error("The OTA journal {} is unreadable ({}); the committed set is put in force", journalFile(), e.getMessage());
            }
        }
        // target per bundle: the committed jar, or for an interrupted first update of a bundle the jar it had before
        Map<String, String[]> targets = new LinkedHashMap<>();
        if (journal != null) {
            for (Journal.Swap swap : journal.bundles()) {
                targets.put(swap.symbolicName(), new String[] {swap.previousVersion(), swap.previousSha256()});
            }
        }
        state.bundles().forEach((name, installed) -> targets.put(name, new String[] {installed.version(), installed.sha256()}));
        List<Bundle> updated = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        for (Map.Entry<String, String[]> target : targets.entrySet()) {
            Bundle bundle = find(target.getKey());
            if (bundle == null) {
                problems.add(target.getKey() + " is not installed");
                continue;
            }
            Version wanted = Version.parseVersion(target.getValue()[0]);
            if (bundle.getVersion().equals(wanted)) {
                continue;
            }
            if (journal == null && bundle.getVersion().compareTo(wanted) > 0) {
                // the runtime image itself brings a newer version than the last update: it stays
                logger.info("OTA: {} {} from the runtime is newer than the committed {}; it stays", target.getKey(), bundle.getVersion(),
                    wanted);
                continue;
            }
            Path jar = store().resolve(target.getValue()[1] + ".jar");
            try {
                byte[] bytes = AtomicFiles.read(jar, settings.limits().maxBundleBytes() * 4, "stored jar");
                if (!PackageArchive.sha256Hex(bytes).equals(target.getValue()[1])) {
                    problems.add(target.getKey() + ": the stored jar " + jar + " was altered; the runtime's version stays");
                    continue;
                }
                bundle.update(new java.io.ByteArrayInputStream(bytes));
                updated.add(bundle);
            } catch (BundleException | IOException | MalformedDocumentException e) {
                problems.add(target.getKey() + ": " + e.getMessage());
            }
        }
        if (!updated.isEmpty()) {
            try {
                refresh(updated);
                health(updated, brokenNow());
            } catch (OtaException e) {
                problems.add(e.getMessage());
            }
        }
        String names = String.join(", ", targets.keySet());
        boolean committed = journal != null && journal.bundles().stream().allMatch(swap -> state.bundles().containsKey(swap.symbolicName())
            && state.bundles().get(swap.symbolicName()).sha256().equals(swap.nextSha256()));
        if (committed) {
            AtomicFiles.delete(journalFile());
            outcome(SecurityEventType.OTA_STATUS, new Outcome(clock.instant(), journal.packageName(), "active", null,
                "committed before the runtime stopped; in force again" + (problems.isEmpty() ? "" : "; " + problems), describe(journal)));
        } else if (journal != null) {
            AtomicFiles.delete(journalFile());
            outcome(SecurityEventType.OTA_ROLLED_BACK, new Outcome(clock.instant(), journal.packageName(), "rolled-back", "INTERRUPTED",
                "the runtime stopped during the update; the previous set is in force" + (problems.isEmpty() ? "" : "; " + problems),
                describe(journal)));
        } else if (!problems.isEmpty()) {
            outcome(SecurityEventType.OTA_REJECTED, new Outcome(clock.instant(), "(committed set)", "failed", Reason.STORAGE.name(),
                "the committed bundles could not all be put in force: " + problems, List.of(names)));
        } else if (!updated.isEmpty()) {
            logger.info("OTA: committed bundles in force again: {}", names);
        }
        gcStore(null);
    }

    private static List<String> describe(Journal journal) {
        return journal.bundles().stream().map(s -> s.symbolicName() + " " + s.nextVersion()).toList();
    }

    /** Installs every package in the inbox, oldest name first. */
    void poll() {
        List<Path> packages;
        try (Stream<Path> files = Files.list(settings.inbox())) {
            packages = files.filter(p -> p.getFileName().toString().endsWith(SUFFIX) && Files.isRegularFile(p)).sorted().toList();
        } catch (IOException e) {
            logger.warn("OTA: cannot list the inbox {}: {}", settings.inbox(), e.getMessage());
            return;
        }
        for (Path file : packages) {
            install(file);
        }
    }

    /** Installs one package from the inbox; the file is taken out of the inbox whatever the outcome. */
    synchronized Outcome install(Path file) {
        String label = file.getFileName().toString();
        String command = commandOf(file);
        busy = label;
        Path work = staging().resolve(Long.toString(System.nanoTime()));
        List<String> names = List.of();
        try {
            Files.createDirectories(work);
            Path archive = work.resolve("package" + SUFFIX);
            if (command == null) {
                // a command's package was reported downloading when its fetch began
                progress("downloading", label, names, null, "taking " + file + " from the inbox");
            }
            Files.move(file, archive, StandardCopyOption.REPLACE_EXISTING);
            progress("verifying", label, names, command, "checking signatures, hashes, bindings, counters and resolution");
            PackageArchive.Staged staged = PackageArchive.readVerified(archive, settings.limits(), verifier, work.resolve("jars"));
            PackageMetadata metadata = staged.metadata();
            label = metadata.name();
            names = metadata.bundles().stream().map(b -> b.symbolicName() + " " + b.version()).toList();
            metadata.requireApplicable(clock.instant(), settings.deviceId(), settings.hardwareId());
            List<PackageMetadata.BundleEntry> changes = state.changes(metadata);
            if (changes.isEmpty()) {
                return outcome(SecurityEventType.OTA_STATUS, new Outcome(clock.instant(), label, "active", null,
                    "already installed; nothing changed", names).forCommand(command));
            }
            Map<PackageMetadata.BundleEntry, Bundle> targets = locate(changes);
            resolvable(targets, staged);
            progress("installing", label, names, command, "updating " + targets.size() + " bundle(s)");
            List<String> selfTests = swap(metadata, changes, targets, staged);
            return outcome(SecurityEventType.OTA_STATUS, new Outcome(clock.instant(), label, "active", null,
                "installed and healthy" + (selfTests.isEmpty() ? "" : "; self-tests passed: " + String.join(", ", selfTests)), names)
                .forCommand(command));
        } catch (RolledBack e) {
            return outcome(SecurityEventType.OTA_ROLLED_BACK, new Outcome(clock.instant(), label, "rolled-back", e.cause.reason().name(),
                e.cause.getMessage() + (e.restoreProblem == null ? "" : "; restoring: " + e.restoreProblem), names).forCommand(command));
        } catch (OtaException e) {
            return outcome(SecurityEventType.OTA_REJECTED, new Outcome(clock.instant(), label, "failed", e.reason().name(), e.getMessage(),
                names).forCommand(command));
        } catch (IOException | RuntimeException e) {
            logger.error("OTA: installing {} failed", label, e);
            return outcome(SecurityEventType.OTA_REJECTED, new Outcome(clock.instant(), label, "failed", Reason.STORAGE.name(),
                String.valueOf(e.getMessage()), names).forCommand(command));
        } finally {
            deleteTree(work);
            busy = null;
            try {
                Files.deleteIfExists(file);
            } catch (IOException e) {
                logger.warn("OTA: cannot remove {} from the inbox: {}", file, e.getMessage());
            }
        }
    }

    /** The command id of a package in the inbox ({@code command-<id>.ota}), or null. */
    static String commandOf(Path file) {
        String name = file.getFileName().toString();
        if (name.startsWith(COMMAND_PREFIX) && name.endsWith(SUFFIX)) {
            String id = name.substring(COMMAND_PREFIX.length(), name.length() - SUFFIX.length());
            return OtaCommand.ID.matcher(id).matches() ? id : null;
        }
        return null;
    }

    /** Reports a step of an update (not an outcome: it does not go into the recent list). */
    private void progress(String step, String label, List<String> names, String command, String message) {
        reporter.report(SecurityEventType.OTA_STATUS, new Outcome(clock.instant(), label, step, null, message, names, command));
    }

    /** Records, logs and reports an outcome that happened outside an installation (a command that failed). */
    void report(SecurityEventType type, Outcome outcome) {
        outcome(type, outcome);
    }

    private Outcome outcome(SecurityEventType type, Outcome outcome) {
        synchronized (recent) {
            recent.addFirst(outcome);
            while (recent.size() > RECENT) {
                recent.removeLast();
            }
        }
        if (outcome.reason() == null) {
            logger.info("OTA: {} {}: {}", outcome.packageName(), outcome.state(), outcome.message());
        } else {
            logger.warn("OTA: {} {}: {}: {}", outcome.packageName(), outcome.state(), outcome.reason(), outcome.message());
        }
        reporter.report(type, outcome);
        return outcome;
    }

    private Bundle find(String symbolicName) {
        Bundle found = null;
        for (Bundle bundle : context.getBundles()) {
            if (symbolicName.equals(bundle.getSymbolicName())) {
                if (found != null) {
                    return null; // two versions installed: ambiguous, never guess
                }
                found = bundle;
            }
        }
        return found;
    }

    /** The running bundle for each change: installed once, updatable, older than the new version, and not the installer's own wiring. */
    private Map<PackageMetadata.BundleEntry, Bundle> locate(List<PackageMetadata.BundleEntry> changes) throws OtaException {
        Map<PackageMetadata.BundleEntry, Bundle> targets = new LinkedHashMap<>();
        for (PackageMetadata.BundleEntry entry : changes) {
            String name = entry.symbolicName();
            if (settings.protectedBundles().contains(name) || !name.startsWith("org.carapace.")) {
                throw new OtaException(Reason.NOT_UPDATABLE, name + " may not be updated over the air");
            }
            Bundle bundle = find(name);
            if (bundle == null) {
                throw new OtaException(Reason.NOT_UPDATABLE, name
                    + " is not installed exactly once; updates replace bundles, never add them");
            }
            if (Version.parseVersion(entry.version()).compareTo(bundle.getVersion()) <= 0) {
                throw new OtaException(Reason.NOT_UPDATABLE, name + " " + entry.version() + " is not newer than the running "
                    + bundle.getVersion());
            }
            targets.put(entry, bundle);
        }
        Collection<Bundle> closure = wiring.getDependencyClosure(targets.values());
        for (Bundle dependant : closure) {
            if (dependant.equals(context.getBundle()) || settings.protectedBundles().contains(dependant.getSymbolicName())) {
                throw new OtaException(Reason.NOT_UPDATABLE, "refreshing " + targets.values().stream().map(Bundle::getSymbolicName).toList()
                    + " would restart " + dependant.getSymbolicName());
            }
        }
        return targets;
    }

    /**
     * The new set must resolve: each new jar is installed as an inert probe (never started, so no code of it runs),
     * resolved against the running framework, and must still export every package the old bundle provides to others,
     * in a version each of them accepts. The probes are uninstalled whatever the outcome.
     */
    private void resolvable(Map<PackageMetadata.BundleEntry, Bundle> targets, PackageArchive.Staged staged)
        throws OtaException, IOException {
        List<Bundle> probes = new ArrayList<>();
        // other bundles' asynchronous listeners (HK2's resource locator reads a new bundle's entries) must have seen a
        // probe's events before it is uninstalled, or they read a closed bundle: wait until this listener, called after
        // them on the same dispatch thread, has seen them too
        Set<String> delivered = java.util.concurrent.ConcurrentHashMap.newKeySet();
        BundleListener listener = event -> delivered.add(event.getBundle().getBundleId() + ":" + event.getType());
        context.addBundleListener(listener);
        try {
            Map<Bundle, Bundle> probeFor = new LinkedHashMap<>();
            for (Map.Entry<PackageMetadata.BundleEntry, Bundle> target : targets.entrySet()) {
                String name = target.getKey().symbolicName();
                try (InputStream in = Files.newInputStream(staged.jars().get(name))) {
                    Bundle probe = context.installBundle(PROBE + name + ":" + System.nanoTime(), in);
                    probes.add(probe);
                    probeFor.put(target.getValue(), probe);
                } catch (BundleException e) {
                    throw new OtaException(Reason.UNRESOLVABLE, name + " " + target.getKey().version() + " cannot be installed: "
                        + e.getMessage(), e);
                }
            }
            boolean resolved = wiring.resolveBundles(probes);
            awaitDelivered(probes, delivered);
            if (!resolved) {
                List<String> missing = new ArrayList<>();
                for (Bundle probe : probes) {
                    if (probe.getState() == Bundle.INSTALLED) {
                        for (BundleRequirement requirement : probe.adapt(BundleRevision.class).getDeclaredRequirements(null)) {
                            boolean optional = Namespace.RESOLUTION_OPTIONAL.equals(requirement.getDirectives()
                                .get(Namespace.REQUIREMENT_RESOLUTION_DIRECTIVE));
                            if (!optional && wiring.findProviders(requirement).isEmpty()) {
                                missing.add(probe.getSymbolicName() + " needs " + requirement.getNamespace() + " "
                                    + requirement.getDirectives().get(Namespace.REQUIREMENT_FILTER_DIRECTIVE));
                            }
                        }
                        if (missing.isEmpty()) {
                            missing.add(probe.getSymbolicName() + " does not resolve");
                        }
                    }
                }
                throw new OtaException(Reason.UNRESOLVABLE, "the new set would not resolve: " + String.join("; ", missing));
            }
            for (Map.Entry<Bundle, Bundle> pair : probeFor.entrySet()) {
                BundleWiring old = pair.getKey().adapt(BundleWiring.class);
                if (old == null) {
                    continue;
                }
                List<BundleCapability> offered = pair.getValue().adapt(BundleRevision.class)
                    .getDeclaredCapabilities(PackageNamespace.PACKAGE_NAMESPACE);
                for (BundleWire wire : old.getProvidedWires(PackageNamespace.PACKAGE_NAMESPACE)) {
                    Bundle consumer = wire.getRequirer().getBundle();
                    if (probeFor.containsKey(consumer) || consumer.equals(pair.getKey())) {
                        continue;
                    }
                    if (offered.stream().noneMatch(wire.getRequirement()::matches)) {
                        throw new OtaException(Reason.UNRESOLVABLE, consumer.getSymbolicName() + " imports "
                            + wire.getCapability().getAttributes().get(PackageNamespace.PACKAGE_NAMESPACE) + " from "
                            + pair.getKey().getSymbolicName() + "; the new version does not export it in a version it accepts");
                    }
                }
            }
        } finally {
            for (Bundle probe : probes) {
                try {
                    probe.uninstall();
                } catch (BundleException | IllegalStateException e) {
                    logger.warn("OTA: cannot uninstall the probe {}: {}", probe.getLocation(), e.getMessage());
                }
            }
            try {
                if (!probes.isEmpty()) {
                    refresh(probes);
                }
            } finally {
                context.removeBundleListener(listener);
            }
        }
    }

    private static void awaitDelivered(List<Bundle> probes, Set<String> delivered) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        for (Bundle probe : probes) {
            String last = probe.getBundleId() + ":" + (probe.getState() == Bundle.INSTALLED ? BundleEvent.INSTALLED : BundleEvent.RESOLVED);
            while (!delivered.contains(last) && System.nanoTime() < deadline) {
                try {
                    Thread.sleep(5);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    /** An update failed after the framework was touched and the previous jars are back. */
    private static final class RolledBack extends Exception {
        private static final long serialVersionUID = 1L;
        final OtaException cause;
        final String restoreProblem;

        RolledBack(OtaException cause, String restoreProblem) {
            super(cause.getMessage(), cause);
            this.cause = cause;
            this.restoreProblem = restoreProblem;
        }
    }

    /** Stores, journals, updates, refreshes, checks and commits; answers the self-tests that passed. */
    private List<String> swap(PackageMetadata metadata, List<PackageMetadata.BundleEntry> changes,
                              Map<PackageMetadata.BundleEntry, Bundle> targets, PackageArchive.Staged staged)
        throws IOException, RolledBack {
        List<Journal.Swap> swaps = new ArrayList<>();
        for (Map.Entry<PackageMetadata.BundleEntry, Bundle> target : targets.entrySet()) {
            PackageMetadata.BundleEntry entry = target.getKey();
            Bundle bundle = target.getValue();
            String previous = keep(bundle);
            Path next = store().resolve(entry.sha256() + ".jar");
            if (!Files.exists(next)) {
                AtomicFiles.write(next, Files.readAllBytes(staged.jars().get(entry.symbolicName())));
            }
            swaps.add(new Journal.Swap(entry.symbolicName(), bundle.getVersion().toString(), previous, entry.version(), entry.sha256()));
        }
        pause("stored");
        Journal journal = new Journal(metadata.name(), swaps);
        AtomicFiles.write(journalFile(), journal.write());
        pause("journal");
        List<Bundle> bundles = new ArrayList<>(targets.values());
        Set<String> tolerated = brokenNow();
        List<String> selfTests;
        try {
            for (Map.Entry<PackageMetadata.BundleEntry, Bundle> target : targets.entrySet()) {
                try (InputStream in = Files.newInputStream(store().resolve(target.getKey().sha256() + ".jar"))) {
                    target.getValue().update(in);
                } catch (BundleException e) {
                    throw new OtaException(Reason.HEALTH_CHECK_FAILED, target.getKey().symbolicName() + " could not be updated: "
                        + e.getMessage(), e);
                }
                pause("updated");
            }
            refresh(bundles);
            pause("refreshed");
            selfTests = health(bundles, tolerated);
            pause("healthy");
        } catch (OtaException e) {
            String restoreProblem = restore(journal, bundles);
            if (restoreProblem == null) {
                AtomicFiles.delete(journalFile());
            }
            // with a restore problem the journal stays: the next start puts the previous set back
            throw new RolledBack(e, restoreProblem);
        }
        InstalledState next = state.with(metadata, changes);
        AtomicFiles.write(stateFile(), next.write());
        state = next;
        pause("committed");
        AtomicFiles.delete(journalFile());
        gcStore(null);
        return selfTests;
    }

    /** Puts the previous jars back; answers what went wrong, or null. */
    private String restore(Journal journal, List<Bundle> bundles) {
        List<String> problems = new ArrayList<>();
        for (Journal.Swap swap : journal.bundles()) {
            Bundle bundle = find(swap.symbolicName());
            if (bundle == null) {
                problems.add(swap.symbolicName() + " is gone");
                continue;
            }
            try (InputStream in = Files.newInputStream(store().resolve(swap.previousSha256() + ".jar"))) {
                bundle.update(in);
            } catch (BundleException | IOException e) {
                problems.add(swap.symbolicName() + ": " + e.getMessage());
            }
        }
        try {
            refresh(bundles);
            health(bundles, Set.of());
        } catch (OtaException e) {
            problems.add(e.getMessage());
        }
        return problems.isEmpty() ? null : String.join("; ", problems);
    }

    /** Makes sure the running jar of a bundle is in the store (copied from the bundle's entries the first time); answers its hash. */
    private String keep(Bundle bundle) throws IOException {
        InstalledState.Installed installed = state.bundles().get(bundle.getSymbolicName());
        if (installed != null && installed.version().equals(bundle.getVersion().toString())
            && Files.exists(store().resolve(installed.sha256() + ".jar"))) {
            return installed.sha256();
        }
        byte[] jar = copyOf(bundle);
        String sha = PackageArchive.sha256Hex(jar);
        Path file = store().resolve(sha + ".jar");
        if (!Files.exists(file)) {
            AtomicFiles.write(file, jar);
        }
        return sha;
    }

    /** A jar with exactly the entries of the bundle's current revision (not its fragments'), manifest first. */
    static byte[] copyOf(Bundle bundle) throws IOException {
        URL manifestEntry = bundle.getEntry("META-INF/MANIFEST.MF");
        if (manifestEntry == null) {
            throw new IOException(bundle.getSymbolicName() + " has no manifest entry");
        }
        Manifest manifest;
        try (InputStream in = manifestEntry.openStream()) {
            manifest = new Manifest(in);
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (JarOutputStream jar = new JarOutputStream(bytes, manifest)) {
            copyEntries(bundle, "/", jar);
        }
        return bytes.toByteArray();
    }

    private static void copyEntries(Bundle bundle, String dir, JarOutputStream jar) throws IOException {
        Enumeration<String> paths = bundle.getEntryPaths(dir);
        if (paths == null) {
            return;
        }
        List<String> sorted = new ArrayList<>(Collections.list(paths));
        Collections.sort(sorted);
        for (String path : sorted) {
            String name = path.startsWith("/") ? path.substring(1) : path;
            if (name.equals("META-INF/MANIFEST.MF") || name.equals("META-INF/")) {
                if (name.equals("META-INF/")) {
                    copyEntries(bundle, path, jar);
                }
                continue;
            }
            ZipEntry entry = new ZipEntry(name);
            entry.setTime(1_767_225_600_000L);
            jar.putNextEntry(entry);
            if (!name.endsWith("/")) {
                try (InputStream in = bundle.getEntry(path).openStream()) {
                    in.transferTo(jar);
                }
            }
            jar.closeEntry();
            if (name.endsWith("/")) {
                copyEntries(bundle, path, jar);
            }
        }
    }

    private void refresh(Collection<Bundle> bundles) throws OtaException {
        CountDownLatch done = new CountDownLatch(1);
        FrameworkEvent[] result = new FrameworkEvent[1];
        wiring.refreshBundles(bundles, event -> {
            result[0] = event;
            done.countDown();
        });
        try {
            if (!done.await(settings.healthTimeout().toMillis(), TimeUnit.MILLISECONDS)) {
                throw new OtaException(Reason.HEALTH_CHECK_FAILED, "refreshing " + names(bundles) + " did not finish within "
                    + settings.healthTimeout().toMillis() + " ms");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new OtaException(Reason.HEALTH_CHECK_FAILED, "interrupted while refreshing " + names(bundles), e);
        }
        if (result[0].getType() == FrameworkEvent.ERROR) {
            throw new OtaException(Reason.HEALTH_CHECK_FAILED, "refreshing " + names(bundles) + " failed: " + result[0].getThrowable(),
                result[0].getThrowable());
        }
    }

    private static List<String> names(Collection<Bundle> bundles) {
        return bundles.stream().map(Bundle::getSymbolicName).toList();
    }

    /** The Carapace bundles in the framework (the runtime's own; probes never count). */
    private List<Bundle> carapaceBundles() {
        List<Bundle> out = new ArrayList<>();
        for (Bundle bundle : context.getBundles()) {
            String name = bundle.getSymbolicName();
            if (name != null && name.startsWith("org.carapace.") && !bundle.getLocation().startsWith(PROBE)) {
                out.add(bundle);
            }
        }
        return out;
    }

    /**
     * The bundles that are not active and the components that are not fine now, anywhere in the runtime: an update is
     * not blamed for what was broken before it, but everything that worked must work after it.
     */
    private Set<String> brokenNow() {
        Set<String> out = new TreeSet<>();
        for (Bundle bundle : carapaceBundles()) {
            if (bundle.getState() != Bundle.ACTIVE && bundle.getHeaders("").get("Fragment-Host") == null) {
                out.add("bundle " + bundle.getSymbolicName());
            }
            for (ComponentDescriptionDTO description : scr.getComponentDescriptionDTOs(bundle)) {
                if (componentProblem(description) != null) {
                    out.add(description.name);
                }
            }
        }
        return out;
    }

    /** What is wrong with a component, or null: enabled, and every configuration active (or satisfied, if it is delayed). */
    private String componentProblem(ComponentDescriptionDTO description) {
        if (!scr.isComponentEnabled(description)) {
            return null;
        }
        for (ComponentConfigurationDTO configuration : scr.getComponentConfigurationDTOs(description)) {
            switch (configuration.state) {
                case ComponentConfigurationDTO.ACTIVE:
                    break;
                case ComponentConfigurationDTO.SATISFIED:
                    if (description.immediate) {
                        return description.name + " is still activating";
                    }
                    break;
                case ComponentConfigurationDTO.FAILED_ACTIVATION:
                    String failure = configuration.failure == null ? "" : configuration.failure.lines().findFirst().orElse("");
                    return description.name + " failed to activate: " + failure;
                default:
                    return description.name + " is not satisfied (state " + configuration.state + ")";
            }
        }
        return null;
    }

    /**
     * Waits until the updated bundles are active, every service they register can be obtained (which activates delayed
     * components, so a component that cannot activate is found now, not at the next container), and every bundle and
     * component of the runtime that was fine before is fine again (those in {@code tolerated} were broken before);
     * then runs the self-tests of the updated bundles, of the bundles refreshed with them and of the bundles whose
     * components use their services. Fails at the health timeout with what is still wrong.
     */
    private List<String> health(List<Bundle> bundles, Set<String> tolerated) throws OtaException {
        long deadline = System.nanoTime() + settings.healthTimeout().toNanos();
        List<String> problems;
        while (true) {
            problems = new ArrayList<>();
            for (Bundle bundle : bundles) {
                if (bundle.getState() != Bundle.ACTIVE) {
                    problems.add(bundle.getSymbolicName() + " " + bundle.getVersion() + " is not active (state " + bundle.getState() + ")");
                    continue;
                }
                ServiceReference<?>[] services = bundle.getRegisteredServices();
                for (ServiceReference<?> service : services == null ? new ServiceReference<?>[0] : services) {
                    try {
                        if (context.getService(service) == null) {
                            problems.add(bundle.getSymbolicName() + " cannot provide its service " + service.getProperty("component.name"));
                        }
                    } finally {
                        context.ungetService(service);
                    }
                }
            }
            for (String broken : brokenNow()) {
                if (!tolerated.contains(broken)) {
                    problems.add(broken + " is not working: " + describeProblem(broken));
                }
            }
            if (problems.isEmpty() || System.nanoTime() > deadline) {
                break;
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new OtaException(Reason.HEALTH_CHECK_FAILED, "interrupted during the health check", e);
            }
        }
        if (!problems.isEmpty()) {
            throw new OtaException(Reason.HEALTH_CHECK_FAILED, String.join("; ", problems));
        }
        return selfTests(bundles, deadline);
    }

    private String describeProblem(String name) {
        for (Bundle bundle : carapaceBundles()) {
            for (ComponentDescriptionDTO description : scr.getComponentDescriptionDTOs(bundle)) {
                if (description.name.equals(name)) {
                    String problem = componentProblem(description);
                    return problem == null ? "recovered" : problem;
                }
            }
        }
        return "not active";
    }

    /** Runs the updated bundles' self-tests; answers the components (or bundles) whose test passed. */
    private List<String> selfTests(List<Bundle> bundles, long deadline) throws OtaException {
        List<String> passed = new ArrayList<>();
        List<String> timed = new ArrayList<>();
        Collection<ServiceReference<SelfTest>> references;
        try {
            references = context.getServiceReferences(SelfTest.class, null);
        } catch (org.osgi.framework.InvalidSyntaxException e) {
            throw new IllegalStateException("a null filter is valid", e);
        }
        // the updated bundles, those the refresh restarted with them, and those whose components use their services (the
        // gate, when the hasher it calls changed): each must still pass its own test with the new code under it
        Set<Bundle> refreshed = new java.util.HashSet<>(wiring.getDependencyClosure(bundles));
        refreshed.addAll(serviceUsers(bundles));
        ExecutorService runner = Executors.newSingleThreadExecutor(r -> new Thread(r, "carapace-ota-selftest"));
        try {
            for (ServiceReference<SelfTest> reference : references) {
                Bundle owner = reference.getBundle();
                if (owner == null || !(bundles.contains(owner) || refreshed.contains(owner))) {
                    continue;
                }
                SelfTest test = context.getService(reference);
                if (test == null) {
                    continue;
                }
                long started = System.nanoTime();
                try {
                    Future<?> run = runner.submit(() -> {
                        test.selfTest();
                        return null;
                    });
                    run.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                    Object component = reference.getProperty("component.name");
                    passed.add(component == null ? owner.getSymbolicName() : component.toString());
                    timed.add(passed.get(passed.size() - 1) + " " + (System.nanoTime() - started) / 1_000_000 + " ms");
                } catch (TimeoutException e) {
                    throw new OtaException(Reason.HEALTH_CHECK_FAILED, owner.getSymbolicName() + " self-test did not finish in time", e);
                } catch (java.util.concurrent.ExecutionException e) {
                    throw new OtaException(Reason.HEALTH_CHECK_FAILED, owner.getSymbolicName() + " self-test failed: " + e.getCause(), e);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new OtaException(Reason.HEALTH_CHECK_FAILED, "interrupted during the self-tests", e);
                } finally {
                    context.ungetService(reference);
                }
            }
        } finally {
            runner.shutdownNow();
        }
        logger.info("OTA: self-tests passed: {}", timed);
        return passed;
    }

    /** The Carapace bundles with a component bound to a service one of {@code bundles} registers. */
    private Set<Bundle> serviceUsers(List<Bundle> bundles) {
        Set<Long> providers = new java.util.HashSet<>();
        bundles.forEach(b -> providers.add(b.getBundleId()));
        Set<Bundle> users = new java.util.HashSet<>();
        for (Bundle bundle : carapaceBundles()) {
            for (ComponentDescriptionDTO description : scr.getComponentDescriptionDTOs(bundle)) {
                for (ComponentConfigurationDTO configuration : scr.getComponentConfigurationDTOs(description)) {
                    for (var reference : configuration.satisfiedReferences) {
                        for (var service : reference.boundServices) {
                            if (providers.contains(service.bundle)) {
                                users.add(bundle);
                            }
                        }
                    }
                }
            }
        }
        return users;
    }

    /** Removes store files no committed bundle and no journal refers to. */
    private void gcStore(Journal journal) throws IOException {
        Set<String> keep = new TreeSet<>();
        state.bundles().values().forEach(i -> keep.add(i.sha256() + ".jar"));
        if (journal != null) {
            journal.bundles().forEach(s -> {
                keep.add(s.previousSha256() + ".jar");
                keep.add(s.nextSha256() + ".jar");
            });
        }
        try (Stream<Path> files = Files.list(store())) {
            for (Path file : (Iterable<Path>) files::iterator) {
                if (!keep.contains(file.getFileName().toString())) {
                    AtomicFiles.delete(file);
                }
            }
        } catch (NoSuchFileException e) {
            // nothing stored yet
        }
    }

    /**
     * Test only (testPauseAt, dev profile): at the configured step, writes the marker file {@code test-paused-at}
     * (holding the step) into the state directory and waits for good, so a crash test can kill the process with
     * SIGKILL exactly there. Never configured in a vehicle profile.
     */
    private void pause(String step) {
        if (!step.equals(settings.pauseAt())) {
            return;
        }
        logger.warn("OTA: pausing at step {} (testPauseAt) until the process is killed", step);
        try {
            byte[] marker = (step + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8);
            AtomicFiles.write(settings.directory().resolve(PAUSED_MARKER), marker);
            while (true) {
                Thread.sleep(60_000);
            }
        } catch (IOException e) {
            logger.error("OTA: cannot write the pause marker", e);
        } catch (InterruptedException e) {
            // the component is stopping: carry on, the test has lost its chance
            Thread.currentThread().interrupt();
        }
    }

    static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) files.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            // leftovers are removed at the next start
        }
    }
}
