package org.carapace.enforcement.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.BooleanSupplier;
import org.carapace.api.enforcement.GateDecision;
import org.carapace.api.enforcement.Verdict;
import org.carapace.api.image.ImageHasher;
import org.carapace.api.policy.AllowedImage;
import org.carapace.api.policy.ContainerContext;
import org.carapace.api.policy.EnforcementMode;
import org.carapace.api.policy.ExecWhitelist;
import org.carapace.api.policy.Exemption;
import org.carapace.api.policy.ImageRule;
import org.carapace.api.policy.PolicySnapshot;
import org.carapace.enforcement.internal.GateProtocol.ProtocolException;
import org.carapace.enforcement.internal.OciBundle.BundleException;

/**
 * Takes the gate's whole decision path through the JIT compiler before the first container needs it.
 *
 * <p>Containers are created rarely on a vehicle, so without this the decision code would stay interpreted for the
 * device's whole uptime: measured here, the first 250 decisions of a fresh runtime take a median of 5 ms, against
 * 1.7 ms once about 500 have run. The warm-up decides a synthetic container many times, on its own thread at the
 * lowest scheduling priority, with everything a real decision does — the request parsed as the hook sends it,
 * {@code config.json} read, the root file system pinned through a descriptor and hashed (the file digest cache
 * answering, as for a whitelisted image), the policy matched, the answer and the security event built, and the mount
 * tables read and compared as for a container — but none of it reaches the real policy, the decision log, EventAdmin
 * or MQTT: its decider is its own, its policy allows only the synthetic image, and nothing is posted.
 *
 * <p>The synthetic bundle lives in a directory of the data directory that is removed afterwards.
 */
final class GateWarmup {

    /** How one warm-up went. */
    record Outcome(int decisions, long millis, long medianMicrosOfLast, String problem) {
    }

    private static final int LAST = 100;

    private final ImageHasher hasher;
    private final ManifestStore manifests;
    private final GateDecider.Settings settings;
    private final ContainerRootfs.MountNamespace namespaces;
    private final Path directory;

    GateWarmup(ImageHasher hasher, ManifestStore manifests, GateDecider.Settings settings,
               ContainerRootfs.MountNamespace namespaces, Path directory) {
        this.hasher = hasher;
        this.manifests = manifests;
        this.settings = settings;
        this.namespaces = namespaces;
        this.directory = directory;
    }

    /**
     * Decides the synthetic container up to {@code decisions} times, for at most {@code maxMillis}, while
     * {@code keepGoing} holds. Never throws: a problem ends the warm-up and is named in the outcome.
     */
    Outcome run(int decisions, long maxMillis, BooleanSupplier keepGoing) {
        long start = System.nanoTime();
        long deadline = start + maxMillis * 1_000_000L;
        long[] last = new long[LAST];
        int done = 0;
        String problem = null;
        try {
            deleteTree(directory);
            Path bundle = createBundle();
            Path rootfs = bundle.resolve("rootfs");
            long pid = ProcessHandle.current().pid();
            byte[] request = request(bundle, pid);
            ObjectMapper mapper = GateProtocol.mapper(32);
            SyntheticPolicy policy = new SyntheticPolicy();
            GateDecider decider = new GateDecider(hasher, manifests, settings,
                (statePid, root, destinations) -> hostView(rootfs, root, destinations));
            while (done < decisions && keepGoing.getAsBoolean() && System.nanoTime() - deadline < 0) {
                long t0 = System.nanoTime();
                GateProtocol.Request parsed = GateProtocol.parse(request, mapper);
                GateDecision decision = decider.decide(parsed.state(), policy);
                if (decision.verdict() != Verdict.ALLOW) {
                    if (done == 0 && policy.allowed == null && decision.rootfsDigest().isPresent()) {
                        // the first decision finds the synthetic image's digest (as the decider computes it, with its
                        // exclusions); from then on the synthetic policy allows exactly that
                        policy.allow(decision.rootfsDigest().get());
                        continue;
                    }
                    problem = "the synthetic container was refused: " + decision.reason();
                    break;
                }
                GateProtocol.answer(decision);
                GateEndpoint.event(decision).toProperties(System.currentTimeMillis());
                // the mount tables, read and compared as for a container (this process has no mount of its own,
                // which is the one answer it can give)
                try (ContainerRootfs.Pinned unused = namespaces.pin(pid, rootfs, List.of())) {
                    problem = "the runtime's own process was taken for a container";
                    break;
                } catch (BundleException expected) {
                    // "has no mount of its own"
                }
                last[done % LAST] = System.nanoTime() - t0;
                done++;
            }
        } catch (IOException | ProtocolException | RuntimeException e) {
            problem = e.toString();
        } finally {
            try {
                deleteTree(directory);
            } catch (IOException e) {
                problem = problem == null ? "cannot remove " + directory + ": " + e.getMessage() : problem;
            }
        }
        long[] window = Arrays.copyOf(last, Math.min(done, LAST));
        Arrays.sort(window);
        long median = window.length == 0 ? 0 : window[window.length / 2] / 1000;
        return new Outcome(done, (System.nanoTime() - start) / 1_000_000, median, problem);
    }

    /**
     * The gate's self-test for over-the-air updates (docs/ota.md §3): three real decisions on the synthetic container,
     * through the same parser, decider, hasher and policy matching as a container's. The image the policy does not list
     * must be refused; once the policy lists its digest it must be allowed; after one byte of one of its programs
     * changes it must be refused again. Nothing reaches the real policy, the decision log or EventAdmin.
     *
     * @throws IllegalStateException naming the decision that came out wrong
     * @throws Exception when the synthetic container cannot be built or decided
     */
    void selfTest() throws Exception {
        try {
            deleteTree(directory);
            Path bundle = createBundle();
            Path rootfs = bundle.resolve("rootfs");
            byte[] request = request(bundle, ProcessHandle.current().pid());
            ObjectMapper mapper = GateProtocol.mapper(32);
            SyntheticPolicy policy = new SyntheticPolicy();
            GateDecider decider = new GateDecider(hasher, manifests, settings,
                (statePid, root, destinations) -> hostView(rootfs, root, destinations));
            GateDecision unknown = decider.decide(GateProtocol.parse(request, mapper).state(), policy);
            if (unknown.verdict() == Verdict.ALLOW || unknown.rootfsDigest().isEmpty()) {
                throw new IllegalStateException("self-test: an image the policy does not list was " + unknown.verdict() + ": "
                    + unknown.reason());
            }
            policy.allow(unknown.rootfsDigest().get());
            GateDecision listed = decider.decide(GateProtocol.parse(request, mapper).state(), policy);
            if (listed.verdict() != Verdict.ALLOW) {
                throw new IllegalStateException("self-test: the listed image was " + listed.verdict() + ": " + listed.reason());
            }
            // the tampered program is a new file of another size: rewritten in place at the same size, only its ctime
            // would tell the hasher's cache it changed, and on a file system with coarse timestamps it may not
            Path program = rootfs.resolve("bin/busybox");
            byte[] bytes = Files.readAllBytes(program);
            byte[] changed = Arrays.copyOf(bytes, bytes.length + 1);
            changed[bytes.length / 2] ^= 1;
            Path replacement = program.resolveSibling(".busybox.tampered");
            Files.write(replacement, changed);
            Files.setPosixFilePermissions(replacement, PosixFilePermissions.fromString("rwxr-xr-x"));
            Files.move(replacement, program, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            GateDecision tampered = decider.decide(GateProtocol.parse(request, mapper).state(), policy);
            if (tampered.verdict() == Verdict.ALLOW || tampered.rootfsDigest().equals(listed.rootfsDigest())) {
                throw new IllegalStateException("self-test: the image with /bin/busybox changed (one byte flipped, one added) was "
                    + tampered.verdict()
                    + " (digest " + tampered.rootfsDigest().orElse("none") + ")");
            }
        } finally {
            deleteTree(directory);
        }
    }

    /** The synthetic rootfs pinned as a container's is; its mount points are config.json's destinations. */
    private static ContainerRootfs.Pinned hostView(Path expected, Path root, List<String> destinations) throws BundleException {
        if (!root.equals(expected)) {
            throw new BundleException("warm-up: unexpected root file system " + root);
        }
        ContainerRootfs.Pinned pinned = ContainerRootfs.hostDirectory(root);
        return new ContainerRootfs.Pinned() {
            @Override
            public Path path() {
                return pinned.path();
            }

            @Override
            public List<String> mountPoints() {
                return destinations;
            }

            @Override
            public void close() {
                pinned.close();
            }
        };
    }

    /** A small image shaped like busybox's (a few programs, links, configuration) and runc's config.json for it. */
    private Path createBundle() throws IOException {
        Path bundle = directory.resolve("bundle");
        Path rootfs = bundle.resolve("rootfs");
        for (String dir : List.of("bin", "etc", "lib", "usr/bin", "usr/share/doc", "proc", "sys", "dev", "tmp", "var/log")) {
            Files.createDirectories(rootfs.resolve(dir));
        }
        byte[] program = new byte[48 * 1024];
        for (int i = 0; i < program.length; i++) {
            program[i] = (byte) (i * 31 + (i >>> 7));
        }
        Files.write(rootfs.resolve("bin/busybox"), program);
        Files.setPosixFilePermissions(rootfs.resolve("bin/busybox"), PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.writeString(rootfs.resolve("etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n");
        Files.writeString(rootfs.resolve("etc/group"), "root:x:0:\n");
        Files.writeString(rootfs.resolve("etc/os-release"), "NAME=carapace-warmup\n");
        Files.writeString(rootfs.resolve("usr/share/doc/README"), "synthetic image of the gate's warm-up\n");
        Files.write(rootfs.resolve("lib/libc.so.6"), Arrays.copyOf(program, 16 * 1024));
        for (String tool : List.of("sh", "ls", "cat", "true")) {
            Files.createSymbolicLink(rootfs.resolve("bin").resolve(tool), Path.of("busybox"));
        }
        Files.createSymbolicLink(rootfs.resolve("usr/bin/env"), Path.of("/bin/busybox"));
        Files.createSymbolicLink(rootfs.resolve("etc/mtab"), Path.of("/proc/mounts"));

        ObjectMapper json = new ObjectMapper();
        ObjectNode config = json.createObjectNode();
        config.put("ociVersion", "1.0.2");
        ObjectNode process = config.putObject("process");
        process.put("terminal", false);
        process.putArray("args").add("/bin/true");
        process.put("cwd", "/");
        config.putObject("root").put("path", rootfs.toString()).put("readonly", false);
        config.put("hostname", "warmup");
        ArrayNode mounts = config.putArray("mounts");
        mounts.addObject().put("destination", "/proc").put("type", "proc").put("source", "proc");
        mounts.addObject().put("destination", "/dev").put("type", "tmpfs").put("source", "tmpfs");
        mounts.addObject().put("destination", "/sys").put("type", "sysfs").put("source", "sysfs");
        ObjectNode linux = config.putObject("linux");
        linux.putArray("maskedPaths").add("/proc/kcore").add("/proc/keys").add("/sys/firmware");
        linux.putArray("readonlyPaths").add("/proc/sys").add("/proc/sysrq-trigger");
        linux.putArray("namespaces").addObject().put("type", "mount");
        Files.write(bundle.resolve("config.json"), json.writerWithDefaultPrettyPrinter().writeValueAsBytes(config));
        return bundle;
    }

    private static byte[] request(Path bundle, long pid) {
        String state = "{\"ociVersion\":\"1.0.2\",\"id\":\"carapace-gate-warmup\",\"status\":\"creating\",\"pid\":" + pid
            + ",\"bundle\":\"" + bundle.toString().replace("\\", "\\\\").replace("\"", "\\\"") + "\","
            + "\"annotations\":{\"org.opencontainers.image.ref.name\":\"warmup\"}}";
        return (GateProtocol.MAGIC + " " + GateProtocol.VERSION + " createRuntime\n" + state).getBytes(StandardCharsets.UTF_8);
    }

    static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        // walkFileTree does not follow symbolic links: a link in the tree is removed, never what it points to
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
                if (e != null) {
                    throw e;
                }
                Files.delete(dir);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    /** Allows the synthetic image only; no exemptions, no revocations. Never seen outside the warm-up. */
    private static final class SyntheticPolicy implements PolicySnapshot {
        private AllowedImage allowed;

        void allow(String digest) {
            allowed = new AllowedImage(new ImageRule("carapace-gate-warmup", digest, Optional.empty(), EnforcementMode.ENFORCE,
                ExecWhitelist.EMPTY, List.of(), List.of(), List.of()), "warmup", 1);
        }

        @Override
        public long generation() {
            return allowed == null ? 1 : 2;
        }

        @Override
        public Instant createdAt() {
            return Instant.EPOCH;
        }

        @Override
        public boolean isEmpty() {
            return false; // so the decision goes all the way to the digest
        }

        @Override
        public Map<String, Long> versions() {
            return Map.of("warmup", 1L);
        }

        @Override
        public Optional<Instant> expires() {
            return Optional.empty();
        }

        @Override
        public Optional<AllowedImage> lookup(String rootfsDigest) {
            return allowed != null && allowed.rule().rootfsDigest().equals(rootfsDigest) ? Optional.of(allowed) : Optional.empty();
        }

        @Override
        public boolean isRevoked(String digest) {
            return false;
        }

        @Override
        public Collection<AllowedImage> images() {
            return allowed == null ? List.of() : List.of(allowed);
        }

        @Override
        public int imageCount() {
            return images().size();
        }

        @Override
        public Set<String> revocations() {
            return Set.of();
        }

        @Override
        public List<Exemption> exemptions() {
            return List.of();
        }

        @Override
        public Optional<Exemption> exemptionFor(ContainerContext container) {
            return Optional.empty();
        }
    }
}
