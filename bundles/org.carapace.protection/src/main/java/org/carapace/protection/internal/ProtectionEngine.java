package org.carapace.protection.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.jna.Memory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.carapace.api.enforcement.ContainerState;
import org.carapace.api.enforcement.GateDecision;
import org.carapace.api.enforcement.GuardException;
import org.carapace.api.events.SecurityEvent;
import org.carapace.api.events.SecurityEventType;
import org.carapace.api.protection.Association;
import org.carapace.api.protection.ProgramIdentity;
import org.carapace.api.protection.ProtectionMode;
import org.carapace.api.protection.ProtectionRules;

/**
 * Protects containers: sets up each container's fanotify group, marks and read-only layer at
 * {@code createRuntime}, runs one responder thread per container, releases everything when the container stops or
 * its processes are gone, watches the responders, and re-attaches to running containers after a restart.
 *
 * <p>Plain Java (no OSGi) so that tests drive it directly against real containers.
 */
final class ProtectionEngine implements AutoCloseable {

    /** Where the engine's log lines go (the DS component forwards them to the OSGi log). */
    interface EngineLog {
        void log(boolean warning, String message);
    }

    private final EngineSettings settings;
    private final ExecWhitelist whitelist;
    private final ProcessProbe probe;
    private final EventReporter reporter;
    private final ContentWorker worker;
    private final EngineLog log;
    private final int ownPid = (int) ProcessHandle.current().pid();
    private final Map<String, ProtectedContainer> containers = new ConcurrentHashMap<>();
    private final Map<String, Long> stalls = new ConcurrentHashMap<>();
    private final ObjectMapper mapper = new ObjectMapper();
    private final Thread watchdog;
    private final ExitWatcher exits;
    private final java.util.concurrent.atomic.LongAdder releasedEvents = new java.util.concurrent.atomic.LongAdder();
    private volatile boolean running = true;

    ProtectionEngine(EngineSettings settings, ExecWhitelist whitelist, Consumer<SecurityEvent> sink, EngineLog log) {
        this.settings = settings;
        this.whitelist = whitelist;
        this.log = log;
        this.probe = new ProcProbe();
        this.reporter = new EventReporter(sink, settings.eventBurst(), settings.eventsPerSecond());
        this.worker = new ContentWorker(settings.hashThreads(), settings.hashQueue(), settings.hashDeadlineMillis(),
            settings.maxHashBytes(), settings.maxCacheEntries(), probe, reporter);
        this.exits = new ExitWatcher(c -> release(c, "the container exited"));
        this.watchdog = new Thread(this::watch, "carapace-protection-watchdog");
        watchdog.setDaemon(true);
        watchdog.start();
    }

    Map<String, ProtectedContainer> containers() {
        return containers;
    }

    // ------------------------------------------------------------------ createRuntime

    ProtectedContainer protect(GateDecision decision, ContainerState state, ProtectionRules rules) throws GuardException {
        return protect(decision, state, rules, Map.of(), "configuration");
    }

    /**
     * Protects a container.
     *
     * @param rules what it may do; when they name the image's {@link ProtectionRules#executables()}, those are its
     *              trusted content and nothing is hashed here, otherwise the rootfs is walked and hashed
     * @param knownContent image path to digest known to be the content on disk now (a manifest the gate has just
     *                     verified the rootfs against): the inodes of these paths are trusted without hashing; any
     *                     other file is hashed at its first exec or library open. Ignored for a rootfs walk.
     * @param origin where the rules come from, for the log and the status ({@code configuration}, {@code policy ...})
     */
    ProtectedContainer protect(GateDecision decision, ContainerState state, ProtectionRules rules,
                               Map<String, String> knownContent, String origin) throws GuardException {
        long start = System.nanoTime();
        ProtectedContainer old = containers.remove(state.id());
        if (old != null) {
            exits.forget(old);
            stop(old, "container id reused");
        }
        if (state.pid() <= 0) {
            throw new GuardException("the OCI state carries no pid: cannot find the container's mount namespace");
        }
        Path rootfs = rootfs(decision, state);
        long mntNs = probe.mountNamespace((int) state.pid());
        if (mntNs < 0) {
            throw new GuardException("the container's init process " + state.pid() + " is gone");
        }
        if (mntNs == probe.mountNamespace(ownPid)) {
            // read-only remounts and fanotify marks there would act on the host itself
            throw new GuardException("process " + state.pid() + " shares the runtime's own mount namespace: not a container");
        }
        long t0 = System.nanoTime();
        Map<String, String> digests;
        Set<String> imageDigests;
        String source;
        if (rules.executables().isPresent()) {
            digests = knownContent;
            imageDigests = Set.copyOf(rules.executables().get().values());
            source = rules.executables().get().size() + " executables from the rules, " + knownContent.size()
                + " of them known on disk";
        } else {
            digests = whitelist.imageFiles(decision, rootfs);
            imageDigests = Set.copyOf(digests.values());
            source = digests.size() + " image files from a rootfs walk";
        }
        Map<String, FileKey> keys = new HashMap<>();
        Memory stat = new Memory(Linux.STATX_SIZE);
        for (String path : digests.keySet()) {
            FileKey key = statKey(rootfs.toString() + path, stat);
            if (key != null) {
                keys.put(path, key);
            }
        }
        boolean readOnly = rules.mode() == ProtectionMode.ENFORCE && settings.readOnlyMounts();
        ProtectedContainer c = build(state.id(), state.pid(), mntNs, state.bundle(), rootfs, decision.imageName(),
            decision.rootfsDigest(), rules, digests, imageDigests, keys, readOnly);
        c.origin = origin;
        List<String> layer = List.of();
        long t1 = System.nanoTime();
        long t2;
        long t3;
        try {
            List<MountInfo> mounts = MountInfo.read(state.pid());
            String root = NamespaceSetup.rootInNamespace(mounts, rootfs.toString());
            if (readOnly) {
                if ("/".equals(root)) {
                    throw new GuardException("the container has already pivoted its root: too late for read-only mounts");
                }
                layer = NamespaceSetup.applyReadOnlyLayer(state.pid(), root, rules.writablePaths(),
                    rules.protectedPaths(), mounts, settings.setupTimeoutMillis());
            }
            t2 = System.nanoTime();
            start(c, root);
            t3 = System.nanoTime();
            if (rules.mode() == ProtectionMode.ENFORCE && settings.memfdNoExec()) {
                forbidExecutableMemfds(state.pid());
            }
        } catch (IOException e) {
            stop(c, "setup failed");
            throw new GuardException("cannot read the container's mounts: " + e.getMessage(), e);
        } catch (GuardException | RuntimeException e) {
            stop(c, "setup failed");
            throw e;
        }
        containers.put(c.id, c);
        watchExit(c);
        persist(c, keys);
        log.log(false, "Protecting container " + c.id + " (" + rules.mode() + ", rules from " + origin + ", " + source + ", "
            + c.markedMounts.size() + " mounts marked) in " + millis(start, System.nanoTime()) + " ms (whitelist "
            + millis(t0, t1) + ", mounts " + millis(t1, t2) + ", marks and responder " + millis(t2, t3) + ", memfd "
            + millis(t3, System.nanoTime()) + "); " + String.join("; ", layer));
        return c;
    }

    private static String millis(long fromNanos, long toNanos) {
        return String.format(java.util.Locale.ROOT, "%.1f", (toNanos - fromNanos) / 1e6);
    }

    private Path rootfs(GateDecision decision, ContainerState state) throws GuardException {
        Path rootfs = decision.rootfs().orElse(null);
        if (rootfs == null) {
            try {
                // OCI runtime-spec config.md "root": path absolute or relative to the bundle
                String path = mapper.readTree(state.bundle().resolve("config.json").toFile()).path("root").path("path")
                    .asText("");
                if (path.isEmpty()) {
                    throw new GuardException("config.json of " + state.bundle() + " has no root.path");
                }
                rootfs = state.bundle().resolve(path);
            } catch (IOException e) {
                throw new GuardException("cannot read config.json of " + state.bundle() + ": " + e.getMessage(), e);
            }
        }
        try {
            return rootfs.toRealPath();
        } catch (IOException e) {
            throw new GuardException("rootfs " + rootfs + " is not readable: " + e.getMessage(), e);
        }
    }

    private ProtectedContainer build(String id, long pid, long mntNs, Path bundle, Path rootfs, Optional<String> image,
                                     Optional<String> rootfsDigest, ProtectionRules rules, Map<String, String> digests,
                                     Set<String> imageDigests, Map<String, FileKey> keys, boolean readOnly)
        throws GuardException {
        Set<String> trusted = new HashSet<>(imageDigests);
        trusted.addAll(rules.extraExecDigests());
        Memory stat = new Memory(Linux.STATX_SIZE);
        Set<InodeKey> writeProtected = new HashSet<>();
        for (Map.Entry<String, FileKey> e : keys.entrySet()) {
            if (!underAny(e.getKey(), rules.writablePaths())) {
                writeProtected.add(e.getValue().inode());
            }
        }
        for (String p : rules.protectedPaths()) {
            collectInodes(rootfs.toString() + p, writeProtected);
        }
        Map<InodeKey, AssociationRule> associations = new HashMap<>();
        for (Association a : rules.associations()) {
            FileKey file = statKey(rootfs.toString() + a.file(), stat);
            if (file == null) {
                throw new GuardException("associated file " + a.file() + " does not exist in the container");
            }
            List<AssociationRule.Program> programs = new ArrayList<>();
            for (ProgramIdentity p : a.programs()) {
                String digest = p.digest().orElse(digests.getOrDefault(p.path(),
                    rules.executables().map(x -> x.get(p.path())).orElse(null)));
                if (digest == null) {
                    throw new GuardException("program " + p.path() + " named for " + a.file()
                        + " is not in the image and the rule gives no digest");
                }
                programs.add(new AssociationRule.Program(p.path(), digest));
            }
            associations.put(file.inode(), new AssociationRule(a.file(), programs));
        }
        ProtectedContainer c = new ProtectedContainer(id, pid, mntNs, bundle, rootfs, image, rootfsDigest, rules,
            Map.copyOf(digests), Set.copyOf(trusted), Set.copyOf(writeProtected), Map.copyOf(associations), readOnly);
        c.ignoreMarks = settings.ignoreMarks();
        for (Map.Entry<String, FileKey> e : keys.entrySet()) {
            String digest = digests.get(e.getKey());
            c.facts.put(e.getValue(), c.trustFacts(FileFacts.Kind.UNREAD, Optional.of(digest), Optional.of(e.getKey())));
        }
        return c;
    }

    private void collectInodes(String hostPath, Set<InodeKey> into) throws GuardException {
        Path p = Path.of(hostPath);
        if (!Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        Memory stat = new Memory(Linux.STATX_SIZE);
        try (Stream<Path> files = Files.walk(p)) {
            files.limit(settings.maxImageFiles()).forEach(f -> {
                FileKey k = statKey(f.toString(), stat);
                if (k != null) {
                    into.add(k.inode());
                }
            });
        } catch (IOException | java.io.UncheckedIOException e) {
            throw new GuardException("cannot read protected path " + hostPath + ": " + e.getMessage(), e);
        }
    }

    static boolean underAny(String path, List<String> prefixes) {
        for (String w : prefixes) {
            if (path.equals(w) || path.startsWith(w + "/")) {
                return true;
            }
        }
        return false;
    }

    private static FileKey statKey(String path, Memory stat) {
        if (Linux.statx(Linux.AT_FDCWD, path, Linux.AT_SYMLINK_NOFOLLOW, Linux.STATX_BASIC_STATS, stat) != 0) {
            return null;
        }
        return new FileKey(Linux.statxDev(stat), Linux.statxIno(stat), Linux.statxCtimeSec(stat),
            Linux.statxCtimeNsec(stat));
    }

    /** Creates the container's fanotify group, marks its mounts and starts its responder. */
    private void start(ProtectedContainer c, String root) throws GuardException {
        int fd = Linux.fanotify_init(Linux.FAN_CLASS_CONTENT | Linux.FAN_CLOEXEC | Linux.FAN_NONBLOCK
            | Linux.FAN_UNLIMITED_QUEUE, Linux.O_RDONLY | Linux.O_LARGEFILE | Linux.O_CLOEXEC);
        if (fd < 0) {
            throw new GuardException("fanotify_init: " + Linux.strerror(Linux.errno()));
        }
        c.groupFd = fd;
        if (settings.nativeResponder()) {
            NativeResponder n = new NativeResponder(fd, ownPid, settings.nativeTableLog2(), c.ignoreMarks,
                c.mode() == ProtectionMode.AUDIT, settings.realtimePriority());
            c.nativeResponder = n;
            c.facts.forEach((key, facts) -> n.put(key, Decider.nativeVerdict(c, key, facts)));
            n.start();
        }
        startResponder(c);
        NamespaceSetup.markMounts(c, c.initPid, root);
    }

    private void startResponder(ProtectedContainer c) {
        Thread t = new Thread(new Responder(c, worker, probe, reporter, ownPid), "carapace-protection-" + c.id);
        t.setDaemon(true);
        // the kernel holds container processes until this thread answers: let it win against bulk work
        t.setPriority(Thread.MAX_PRIORITY);
        c.responder = t;
        c.heartbeatNanos = System.nanoTime();
        t.start();
    }

    /**
     * {@code vm.memfd_noexec=2} in the container's pid namespace: a memfd can never be executed there, which closes
     * the fileless-exec path ({@code memfd_create} + {@code fexecve}) that fanotify cannot see (the kernel refuses
     * marks on its internal mount). The sysctl is per pid namespace and only a process inside it can set it: the
     * native library starts a short-lived child there (about a millisecond); without the library an {@code nsenter}
     * child does. The runtime's own memfd copy was created in the host namespace before.
     */
    private void forbidExecutableMemfds(long pid) throws GuardException {
        if (NativeResponder.loadFailure() == null) {
            int rc = NativeResponder.forbidMemfdExec(pid);
            if (rc != 0) {
                throw new GuardException("cannot set vm.memfd_noexec in the pid namespace of " + pid + " (error " + rc + ")");
            }
            return;
        }
        ProcessBuilder pb = new ProcessBuilder(settings.nsenter().toString(), "--target", Long.toString(pid), "--pid",
            "--", "/bin/sh", "-c", "echo 2 > /proc/sys/vm/memfd_noexec").redirectErrorStream(true);
        try {
            Process p = pb.start();
            if (!p.waitFor(settings.setupTimeoutMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                throw new GuardException("vm.memfd_noexec not set within " + settings.setupTimeoutMillis() + " ms");
            }
            if (p.exitValue() != 0) {
                throw new GuardException("cannot set vm.memfd_noexec in the container's pid namespace: "
                    + new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim());
            }
        } catch (IOException e) {
            throw new GuardException("cannot run " + settings.nsenter() + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new GuardException("interrupted while setting vm.memfd_noexec");
        }
    }

    // ------------------------------------------------------------------ poststop, exit

    void release(String id, String why) {
        ProtectedContainer c = containers.remove(id);
        if (c != null) {
            exits.forget(c);
            stop(c, why);
            log.log(false, "Released protection of container " + id + ": " + why);
        }
        settings.stateDir().ifPresent(d -> deleteQuietly(d.resolve(recordName(id))));
    }

    /** Releases this container, not a later one that reuses its id. */
    private void release(ProtectedContainer c, String why) {
        if (containers.remove(c.id, c)) {
            settings.stateDir().ifPresent(d -> deleteQuietly(d.resolve(recordName(c.id))));
            exits.forget(c);
            stop(c, why);
            log.log(false, "Released protection of container " + c.id + ": " + why);
        }
    }

    /**
     * Releases the container the moment its init process exits (no {@code poststop} hook needed). The pid was checked
     * against the container's mount namespace before; checked again after the open, so a pid reused in between is
     * not watched in its place.
     */
    private void watchExit(ProtectedContainer c) {
        try {
            if (!exits.watch(c) || probe.mountNamespace((int) c.initPid) != c.mountNamespace) {
                release(c, "the container exited");
            }
        } catch (IllegalStateException e) {
            log.log(true, "Cannot watch container " + c.id + "'s exit (" + e.getMessage()
                + "); the watchdog releases it within " + settings.watchdogMillis() + " ms of its exit");
        }
    }

    private void stop(ProtectedContainer c, String why) {
        c.stopping = true;
        Thread t = c.responder;
        if (t != null && t != Thread.currentThread()) {
            try {
                t.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        NativeResponder n = c.nativeResponder;
        if (n != null) {
            c.nativeResponder = null;
            releasedEvents.add(n.stats()[0]);
            n.destroy();
        }
        synchronized (c.fdLock) {
            int fd = c.groupFd;
            c.groupFd = -1;
            if (fd >= 0) {
                // closing the group removes its marks; the kernel allows whatever is still pending
                Linux.close(fd);
            }
        }
        stalls.remove(c.id);
        releasedEvents.add(c.events.get());
    }

    /** Permission events answered for containers already released (for measurements). */
    long releasedEvents() {
        return releasedEvents.sum();
    }

    // ------------------------------------------------------------------ watchdog

    private void watch() {
        while (running) {
            try {
                Thread.sleep(settings.watchdogMillis());
            } catch (InterruptedException e) {
                if (!running) {
                    return;
                }
            }
            for (ProtectedContainer c : containers.values()) {
                try {
                    check(c);
                } catch (RuntimeException e) {
                    log.log(true, "Protection watchdog failed on container " + c.id + ": " + e);
                }
            }
        }
    }

    void check(ProtectedContainer c) {
        if (probe.mountNamespace((int) c.initPid) != c.mountNamespace) {
            release(c, "the container's processes are gone");
            return;
        }
        Thread t = c.responder;
        if (t != null && !t.isAlive() && !c.stopping) {
            reporter.reportNow(SecurityEventType.PROTECTION_DEGRADED, "responder of container " + c.id
                + " died; restarted (its container was unprotected meanwhile)", context(c, "responder-died"));
            startResponder(c);
            return;
        }
        long silentMillis = (System.nanoTime() - c.heartbeat()) / 1_000_000;
        if (silentMillis > settings.stallMillis()) {
            if (stalls.putIfAbsent(c.id, silentMillis) == null) {
                Map<String, Object> ctx = context(c, "responder-stalled");
                ctx.put("silentMillis", silentMillis);
                reporter.reportNow(SecurityEventType.PROTECTION_DEGRADED, "responder of container " + c.id
                    + " has not run for " + silentMillis + " ms: the container's file accesses wait", ctx);
            }
        } else {
            stalls.remove(c.id);
        }
        try {
            List<MountInfo> mounts = MountInfo.read(c.initPid);
            String root = NamespaceSetup.rootInNamespace(mounts, c.rootfs.toString());
            for (MountInfo m : NamespaceSetup.markMounts(c, c.initPid, root)) {
                // runc masks /proc and /sys files after createRuntime with binds of /dev/null (OCI runtime-spec
                // config-linux.md "Masked Paths"): marked like any mount, but not a place anything is run from
                if (!m.readOnly() && !m.noExec() && !underAny(m.mountPoint(), List.of("/proc", "/sys"))) {
                    Map<String, Object> ctx = context(c, "unmarked-mount");
                    ctx.put("mountPoint", m.mountPoint());
                    reporter.reportNow(SecurityEventType.PROTECTION_DEGRADED, "a new writable, executable mount "
                        + m.mountPoint() + " appeared in container " + c.id + " and was marked late", ctx);
                }
            }
        } catch (IOException | GuardException e) {
            // the container is exiting; the next round releases it
        }
    }

    private static Map<String, Object> context(ProtectedContainer c, String reason) {
        Map<String, Object> ctx = new LinkedHashMap<>();
        ctx.put("containerId", c.id);
        c.image.ifPresent(i -> ctx.put("image", i));
        ctx.put("reason", reason);
        return ctx;
    }

    // ------------------------------------------------------------------ re-attach

    private static String recordName(String id) {
        return id.replaceAll("[^A-Za-z0-9_.-]", "_") + ".json";
    }

    private void persist(ProtectedContainer c, Map<String, FileKey> keys) {
        if (settings.stateDir().isEmpty()) {
            return;
        }
        Path dir = settings.stateDir().get();
        ObjectNode r = mapper.createObjectNode();
        r.put("id", c.id);
        r.put("pid", c.initPid);
        r.put("mountNamespace", c.mountNamespace);
        r.put("startTime", startTime(c.initPid));
        r.put("bundle", c.bundle.toString());
        r.put("rootfs", c.rootfs.toString());
        c.image.ifPresent(i -> r.put("image", i));
        c.rootfsDigest.ifPresent(d -> r.put("rootfsDigest", d));
        r.put("readOnlyCovered", c.readOnlyCovered);
        r.set("rules", RulesJson.toJson(mapper, c.rules));
        r.put("origin", c.origin);
        // the image's trusted contents: more than the files below when the rules named the executables
        c.rules.executables().ifPresent(x -> {
            var trusted = r.putArray("imageDigests");
            x.values().stream().distinct().sorted().forEach(trusted::add);
        });
        ObjectNode files = r.putObject("files");
        for (Map.Entry<String, FileKey> e : keys.entrySet()) {
            FileKey k = e.getValue();
            files.putArray(e.getKey()).add(c.imageFiles.get(e.getKey())).add(k.dev()).add(k.ino()).add(k.ctimeSec())
                .add(k.ctimeNsec());
        }
        try {
            Files.createDirectories(dir);
            Path tmp = dir.resolve(recordName(c.id) + ".tmp");
            Files.write(tmp, mapper.writeValueAsBytes(r));
            Files.move(tmp, dir.resolve(recordName(c.id)), StandardCopyOption.ATOMIC_MOVE,
                StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            log.log(true, "Cannot record protection of container " + c.id + " for a re-attach: " + e.getMessage());
        }
    }

    /**
     * After a runtime restart: re-attaches to every container recorded as protected whose init process still runs
     * (same pid, start time and mount namespace), reports the gap, and reports running containers of the OCI runtime
     * state directories that have no record (they were never protected).
     *
     * @return the ids re-attached
     */
    List<String> reattach() {
        List<String> attached = new ArrayList<>();
        Set<String> recorded = new HashSet<>();
        settings.stateDir().ifPresent(dir -> {
            if (!Files.isDirectory(dir)) {
                return;
            }
            try (DirectoryStream<Path> records = Files.newDirectoryStream(dir, "*.json")) {
                for (Path record : records) {
                    String id = reattachOne(record);
                    if (id != null) {
                        attached.add(id);
                        recorded.add(id);
                    }
                }
            } catch (IOException e) {
                log.log(true, "Cannot read protection records in " + dir + ": " + e.getMessage());
            }
        });
        for (Path stateRoot : settings.runtimeStateDirs()) {
            reportUnprotected(stateRoot, recorded);
        }
        return attached;
    }

    private String reattachOne(Path record) {
        try {
            ObjectNode r = (ObjectNode) mapper.readTree(record.toFile());
            String id = r.path("id").asText();
            long pid = r.path("pid").asLong();
            if (probe.mountNamespace((int) pid) != r.path("mountNamespace").asLong()
                || startTime(pid) != r.path("startTime").asLong()) {
                deleteQuietly(record);
                return null;
            }
            ProtectionRules rules = RulesJson.fromJson(r.path("rules"));
            Map<String, String> digests = new HashMap<>();
            Map<String, FileKey> keys = new HashMap<>();
            r.path("files").fields().forEachRemaining(e -> {
                digests.put(e.getKey(), e.getValue().get(0).asText());
                keys.put(e.getKey(), new FileKey(e.getValue().get(1).asLong(), e.getValue().get(2).asLong(),
                    e.getValue().get(3).asLong(), e.getValue().get(4).asInt()));
            });
            Set<String> imageDigests = new HashSet<>(digests.values());
            r.path("imageDigests").forEach(d -> imageDigests.add(d.asText()));
            ProtectedContainer c = build(id, pid, r.path("mountNamespace").asLong(), Path.of(r.path("bundle").asText()),
                Path.of(r.path("rootfs").asText()), Optional.ofNullable(r.path("image").textValue()),
                Optional.ofNullable(r.path("rootfsDigest").textValue()), rules, digests, imageDigests, keys,
                r.path("readOnlyCovered").asBoolean());
            c.origin = r.path("origin").asText("configuration");
            String root = NamespaceSetup.rootInNamespace(MountInfo.read(pid), c.rootfs.toString());
            try {
                start(c, root);
            } catch (GuardException e) {
                stop(c, "re-attach failed");
                throw e;
            }
            containers.put(id, c);
            watchExit(c);
            reporter.reportNow(SecurityEventType.PROTECTION_DEGRADED, "re-attached protection to container " + id
                + " after a runtime restart; it ran unprotected while the runtime was down", context(c, "re-attached"));
            log.log(true, "Re-attached protection to running container " + id);
            return id;
        } catch (IOException | GuardException | RuntimeException e) {
            log.log(true, "Cannot re-attach protection from " + record + ": " + e.getMessage());
            reporter.reportNow(SecurityEventType.PROTECTION_DEGRADED, "cannot re-attach protection from " + record
                + ": " + e.getMessage(), Map.of("reason", "re-attach-failed", "record", record.toString()));
            return null;
        }
    }

    /** runc keeps {@code <root>/<id>/state.json} per container (podman's runc containers too, under its root). */
    private void reportUnprotected(Path stateRoot, Set<String> protectedIds) {
        if (!Files.isDirectory(stateRoot)) {
            return;
        }
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(stateRoot)) {
            for (Path dir : dirs) {
                Path state = dir.resolve("state.json");
                if (!Files.isRegularFile(state) || protectedIds.contains(dir.getFileName().toString())) {
                    continue;
                }
                long pid = mapper.readTree(state.toFile()).path("init_process_pid").asLong(0);
                if (pid > 0 && probe.mountNamespace((int) pid) >= 0) {
                    String id = dir.getFileName().toString();
                    reporter.reportNow(SecurityEventType.PROTECTION_DEGRADED, "container " + id
                        + " is running without protection", Map.of("containerId", id, "reason", "unprotected",
                        "stateDir", stateRoot.toString()));
                }
            }
        } catch (IOException | RuntimeException e) {
            log.log(true, "Cannot scan " + stateRoot + " for running containers: " + e.getMessage());
        }
    }

    /** Field 22 of {@code /proc/<pid>/stat}, the start time in clock ticks: tells a reused pid from the original. */
    static long startTime(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"), StandardCharsets.US_ASCII);
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(f[19]);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            // a stale record is harmless: its process check fails at the next re-attach
        }
    }

    @Override
    public void close() {
        running = false;
        watchdog.interrupt();
        exits.close();
        for (ProtectedContainer c : List.copyOf(containers.values())) {
            containers.remove(c.id);
            // the records stay: a restarted runtime re-attaches to the containers still running
            stop(c, "runtime stopping");
        }
        worker.close();
        reporter.close();
    }
}
