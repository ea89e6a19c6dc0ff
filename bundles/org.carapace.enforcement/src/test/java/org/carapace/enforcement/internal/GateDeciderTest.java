package org.carapace.enforcement.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.carapace.api.enforcement.ContainerState;
import org.carapace.api.enforcement.GateDecision;
import org.carapace.api.enforcement.Verdict;
import org.carapace.api.image.HashOptions;
import org.carapace.api.image.ImageHashResult;
import org.carapace.api.image.ImageSource;
import org.carapace.api.policy.AllowedImage;
import org.carapace.api.policy.ContainerContext;
import org.carapace.api.policy.EnforcementMode;
import org.carapace.api.policy.ExecWhitelist;
import org.carapace.api.policy.Exemption;
import org.carapace.api.policy.ImageRule;
import org.carapace.api.policy.PolicySnapshot;
import org.carapace.imagehash.internal.ImageHashEngine;
import org.carapace.imagehash.internal.ImageLimits;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The decision with the real hashing engine on real directories, against a fixed policy snapshot: every verdict,
 * with the mount destinations a runtime adds, and with the stored image changed in each way the gate must see.
 */
class GateDeciderTest {

    @TempDir
    Path tmp;

    /**
     * These tests are about matching: they look at the host's directory. Pinning the container's own view of it is
     * {@link ContainerRootfsTest}'s subject, with real mount namespaces.
     */
    static final ContainerRootfs.Locator HOST_VIEW = (pid, rootfs, destinations) -> pinned(rootfs, destinations);

    private ImageHashEngine hasher;
    private ManifestStore store;
    private GateDecider decider;
    private Path bundle;
    private Path rootfs;

    /** A policy snapshot fixed by the test: the decision's only view of the policy. */
    static final class FixedPolicy implements PolicySnapshot {
        final Map<String, AllowedImage> images = new HashMap<>();
        final Set<String> revoked = new java.util.HashSet<>();
        final List<Exemption> exemptions = new ArrayList<>();
        long generation = 1;

        FixedPolicy allow(String name, String digest, EnforcementMode mode) {
            images.put(digest, new AllowedImage(new ImageRule(name, digest, Optional.empty(), mode, ExecWhitelist.EMPTY,
                List.of(), List.of(), List.of()), "base", 1));
            generation++;
            return this;
        }

        @Override public long generation() { return generation; }
        @Override public Instant createdAt() { return Instant.EPOCH; }
        @Override public boolean isEmpty() { return images.isEmpty() && revoked.isEmpty() && exemptions.isEmpty(); }
        @Override public Map<String, Long> versions() { return Map.of("base", 1L); }
        @Override public Optional<Instant> expires() { return Optional.empty(); }
        @Override public Optional<AllowedImage> lookup(String d) {
            return revoked.contains(d) ? Optional.empty() : Optional.ofNullable(images.get(d));
        }
        @Override public boolean isRevoked(String d) { return revoked.contains(d); }
        @Override public Collection<AllowedImage> images() {
            return images.values().stream().filter(i -> !revoked.contains(i.rule().rootfsDigest())).toList();
        }
        @Override public int imageCount() { return images().size(); }
        @Override public Set<String> revocations() { return Set.copyOf(revoked); }
        @Override public List<Exemption> exemptions() { return List.copyOf(exemptions); }
        @Override public Optional<Exemption> exemptionFor(ContainerContext c) {
            return exemptions.stream().filter(e -> e.matches(c)).findFirst();
        }
    }

    @BeforeEach
    void setUp() throws IOException {
        hasher = new ImageHashEngine(ImageLimits.DEFAULTS, 2, 1000);
        store = new ManifestStore(tmp.resolve("manifests"), hasher, 1 << 20, 8);
        decider = new GateDecider(hasher, store, new GateDecider.Settings(1 << 20, 5, HashOptions.defaults(), 4), HOST_VIEW);
        bundle = tmp.resolve("bundle");
        rootfs = bundle.resolve("rootfs");
        for (String dir : List.of("bin", "etc", "proc", "sys", "dev", "run", "tmp")) {
            Files.createDirectories(rootfs.resolve(dir));
        }
        write("bin/tool", "#!/bin/sh\necho tool\n", "rwxr-xr-x");
        write("etc/passwd", "root:x:0:0:root:/root:/bin/sh\n", "rw-r--r--");
        Files.createSymbolicLink(rootfs.resolve("bin/sh"), Path.of("tool"));
        config(List.of());
    }

    @AfterEach
    void tearDown() {
        hasher.close();
    }

    private void write(String path, String content, String mode) throws IOException {
        Path file = rootfs.resolve(path);
        Files.writeString(file, content, StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(mode));
    }

    private void config(List<String> mounts) throws IOException {
        StringBuilder json = new StringBuilder("{\"ociVersion\":\"1.0.2\",\"root\":{\"path\":\"rootfs\"},\"mounts\":[");
        for (int i = 0; i < mounts.size(); i++) {
            json.append(i == 0 ? "" : ",").append("{\"destination\":\"").append(mounts.get(i)).append("\",\"type\":\"bind\"}");
        }
        Files.writeString(bundle.resolve("config.json"), json.append("]}").toString());
    }

    private ContainerState state() {
        return new ContainerState("1.0.2", "c1", "creating", 42, bundle, Map.of());
    }

    /** Seals the rootfs as it is now: full digest, and its manifest in the store. */
    private String seal(boolean keepManifest) throws Exception {
        ImageHashResult sealed = hasher.hash(new ImageSource.RootfsDirectory(rootfs), HashOptions.defaults().withStrict(true));
        if (keepManifest) {
            ByteArrayOutputStream json = new ByteArrayOutputStream();
            hasher.writeManifest(sealed.manifest(), json);
            store.add(json.toByteArray());
        }
        return sealed.rootfsDigest().toString();
    }

    @Test
    void anUntouchedImageIsAllowedByItsFullDigest() throws Exception {
        FixedPolicy policy = new FixedPolicy().allow("app:1", seal(false), EnforcementMode.ENFORCE);
        GateDecision d = decider.decide(state(), policy);
        assertEquals(Verdict.ALLOW, d.verdict(), d.reason());
        assertEquals(Optional.of("app:1"), d.imageName());
        assertEquals(Optional.of(rootfs.toRealPath()), d.rootfs());
    }

    @Test
    void mountDestinationsPresentInTheImageAreMatchedThroughItsManifest() throws Exception {
        String sealed = seal(true);
        FixedPolicy policy = new FixedPolicy().allow("app:1", sealed, EnforcementMode.ENFORCE);
        // what podman does: its mount points appear in the rootfs, and are left out of the digest
        config(List.of("/proc", "/sys", "/dev", "/etc/hosts", "/run/.containerenv"));
        Files.writeString(rootfs.resolve("etc/hosts"), "");
        Files.writeString(rootfs.resolve("run/.containerenv"), "");
        GateDecision d = decider.decide(state(), policy);
        assertEquals(Verdict.ALLOW, d.verdict(), d.reason());
        assertEquals(Optional.of("app:1"), d.imageName());
        // guards look the image's rules up under the policy's digest, not the one hashed without the mount points
        assertEquals(Optional.of(sealed), d.policyDigest());
        assertTrue(d.rootfsDigest().isPresent() && !d.rootfsDigest().get().equals(sealed), d.toString());
    }

    @Test
    void withoutAManifestLeftOutMountPointsCannotBeMatchedAndAreRefused() throws Exception {
        FixedPolicy policy = new FixedPolicy().allow("app:1", seal(false), EnforcementMode.ENFORCE);
        config(List.of("/proc"));
        GateDecision d = decider.decide(state(), policy);
        assertEquals(Verdict.REFUSE, d.verdict());
        assertTrue(d.reason().contains("is not allowed by the policy"), d.reason());
    }

    @Test
    void gate_changedByteIsRefusedNamingThePath() throws Exception {
        FixedPolicy policy = new FixedPolicy().allow("app:1", seal(true), EnforcementMode.ENFORCE);
        write("bin/tool", "#!/bin/sh\necho evil\n", "rwxr-xr-x");
        GateDecision d = decider.decide(state(), policy);
        assertEquals(Verdict.REFUSE, d.verdict());
        assertEquals(Optional.of("app:1"), d.imageName());
        assertEquals(1, d.differences().size(), d.differences().toString());
        assertTrue(d.differences().get(0).startsWith("/bin/tool"), d.differences().toString());
    }

    @Test
    void gate_addedRemovedSetuidAndRetargetedAreEachRefusedNamingThePath() throws Exception {
        FixedPolicy policy = new FixedPolicy().allow("app:1", seal(true), EnforcementMode.ENFORCE);
        write("bin/dropped", "x", "rwxr-xr-x");
        assertDiffersAt(policy, "/bin/dropped");
        Files.delete(rootfs.resolve("bin/dropped"));
        Files.delete(rootfs.resolve("etc/passwd"));
        assertDiffersAt(policy, "/etc/passwd");
        write("etc/passwd", "root:x:0:0:root:/root:/bin/sh\n", "rw-r--r--");
        Files.setAttribute(rootfs.resolve("bin/tool"), "unix:mode", 04755); // setuid
        assertDiffersAt(policy, "/bin/tool");
        Files.setPosixFilePermissions(rootfs.resolve("bin/tool"), PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.delete(rootfs.resolve("bin/sh"));
        Files.createSymbolicLink(rootfs.resolve("bin/sh"), Path.of("/tmp/evil"));
        assertDiffersAt(policy, "/bin/sh");
    }

    private void assertDiffersAt(FixedPolicy policy, String path) {
        GateDecision d = decider.decide(state(), policy);
        assertEquals(Verdict.REFUSE, d.verdict(), d.reason());
        assertTrue(d.differences().stream().anyMatch(x -> x.startsWith(path)), path + " not in " + d.differences());
    }

    @Test
    void auditModeAllowsAChangedImageAndSaysWhy() throws Exception {
        String sealed = seal(true);
        FixedPolicy policy = new FixedPolicy().allow("app:1", sealed, EnforcementMode.AUDIT);
        write("etc/passwd", "root:x:0:0:root:/root:/bin/sh\nevil:x:0:0::/:/bin/sh\n", "rw-r--r--");
        GateDecision d = decider.decide(state(), policy);
        assertEquals(Verdict.AUDIT, d.verdict(), d.reason());
        assertEquals("audit", d.mode());
        assertEquals(Optional.of(sealed), d.policyDigest(), "the allowed image the content is closest to");
        assertTrue(d.differences().get(0).startsWith("/etc/passwd"), d.differences().toString());
    }

    @Test
    void gate_revokedImageIsRefusedEvenThoughItIsListed() throws Exception {
        String digest = seal(true);
        FixedPolicy policy = new FixedPolicy().allow("app:1", digest, EnforcementMode.ENFORCE);
        policy.revoked.add(digest);
        assertEquals(Verdict.REFUSE, decider.decide(state(), policy).verdict());
        config(List.of("/proc")); // also when matched through the manifest
        GateDecision d = decider.decide(state(), policy);
        assertEquals(Verdict.REFUSE, d.verdict());
        assertTrue(d.reason().contains("revoked"), d.reason());
    }

    @Test
    void anExemptedPlatformContainerIsAllowedWhateverItsContent() throws Exception {
        FixedPolicy policy = new FixedPolicy().allow("other", "sha256:" + "0".repeat(64), EnforcementMode.ENFORCE);
        policy.exemptions.add(new Exemption("platform-agent", Map.of("io.carapace.role", "platform"), Optional.empty(),
            Optional.empty()));
        ContainerState platform = new ContainerState("1.0.2", "agent", "creating", 1, bundle,
            Map.of("io.carapace.role", "platform"));
        GateDecision d = decider.decide(platform, policy);
        assertEquals(Verdict.ALLOW, d.verdict(), d.reason());
        assertEquals("exempt", d.mode());
        assertEquals(Verdict.REFUSE, decider.decide(state(), policy).verdict(), "the exemption matches only its containers");
    }

    @Test
    void gate_noPolicyRefusesEverything() throws Exception {
        seal(true);
        GateDecision d = decider.decide(state(), new FixedPolicy());
        assertEquals(Verdict.REFUSE, d.verdict());
        assertTrue(d.reason().contains("no signed policy"), d.reason());
    }

    @Test
    void gate_brokenBundlesAreRefusedNamingTheProblem() throws Exception {
        FixedPolicy policy = new FixedPolicy().allow("app:1", seal(false), EnforcementMode.ENFORCE);
        Files.writeString(bundle.resolve("config.json"), "{\"root\":{\"path\":\"missing\"}}");
        assertTrue(decider.decide(state(), policy).reason().contains("missing"));
        Files.writeString(bundle.resolve("config.json"), "{\"root\":{\"path\":\"rootfs\"}, \"root\":{}}");
        assertTrue(decider.decide(state(), policy).reason().contains("not valid JSON"));
        Files.delete(bundle.resolve("config.json"));
        assertTrue(decider.decide(state(), policy).reason().contains("config.json"));
        Files.writeString(bundle.resolve("config.json"), "{\"root\":{\"path\":\"/\"}}");
        GateDecision hostRoot = decider.decide(state(), policy);
        assertEquals(Verdict.REFUSE, hostRoot.verdict());
        assertTrue(hostRoot.reason().contains("host's /"), hostRoot.reason());
    }

    @Test
    void gate_tamperedStoredManifestIsIgnoredAndReported() throws Exception {
        String digest = seal(true);
        FixedPolicy policy = new FixedPolicy().allow("app:1", digest, EnforcementMode.ENFORCE);
        Path file = store.directory().resolve(ManifestStore.fileName(digest));
        // a fresh store without the cache, reading the file an attacker rewrote with another image's manifest
        String json = Files.readString(file);
        assertTrue(json.contains("\"target\":\"tool\""), json);
        Files.writeString(file, json.replace("\"target\":\"tool\"", "\"target\":\"evil\""));
        ManifestStore fresh = new ManifestStore(store.directory(), hasher, 1 << 20, 8);
        GateDecider second = new GateDecider(hasher, fresh, new GateDecider.Settings(1 << 20, 5, HashOptions.defaults(), 4), HOST_VIEW);
        config(List.of("/proc"));
        assertEquals(Verdict.REFUSE, second.decide(state(), policy).verdict());
        assertFalse(second.drainWarnings().isEmpty());
    }

    @Test
    void preloadHoldsThePolicysManifestsSoTheFirstDecisionDoesNotReadThem() throws Exception {
        String digest = seal(true);
        FixedPolicy policy = new FixedPolicy().allow("app:1", digest, EnforcementMode.ENFORCE)
            .allow("missing:1", "sha256:" + "ab".repeat(32), EnforcementMode.ENFORCE);
        ManifestStore fresh = new ManifestStore(store.directory(), hasher, 1 << 20, 8);
        GateDecider second = new GateDecider(hasher, fresh, new GateDecider.Settings(1 << 20, 5, HashOptions.defaults(), 4), HOST_VIEW);
        assertEquals(1, second.preload(policy, 8), "only the stored manifest is held");
        // gone from the disk: a decision that needs the manifest (a mount point left out) must use the one held
        Files.delete(store.directory().resolve(ManifestStore.fileName(digest)));
        config(List.of("/proc"));
        GateDecision d = second.decide(state(), policy);
        assertEquals(Verdict.ALLOW, d.verdict(), d.reason());
        assertEquals(0, new GateDecider(hasher, new ManifestStore(store.directory(), hasher, 1 << 20, 8),
            new GateDecider.Settings(1 << 20, 5, HashOptions.defaults(), 4), HOST_VIEW).preload(policy, 8));
    }

    @Test
    void preloadStopsAtItsLimitAndReportsATamperedManifest() throws Exception {
        String first = seal(true);
        write("bin/tool", "#!/bin/sh\necho other\n", "rwxr-xr-x");
        String second = seal(true);
        FixedPolicy policy = new FixedPolicy().allow("a:1", first, EnforcementMode.ENFORCE).allow("b:1", second, EnforcementMode.ENFORCE);
        assertEquals(1, new GateDecider(hasher, new ManifestStore(store.directory(), hasher, 1 << 20, 8),
            new GateDecider.Settings(1 << 20, 5, HashOptions.defaults(), 4), HOST_VIEW).preload(policy, 1));
        Path file = store.directory().resolve(ManifestStore.fileName(second));
        String json = Files.readString(file);
        assertTrue(json.contains("\"target\":\"tool\""), json);
        Files.writeString(file, json.replace("\"target\":\"tool\"", "\"target\":\"evil\""));
        GateDecider fresh = new GateDecider(hasher, new ManifestStore(store.directory(), hasher, 1 << 20, 8),
            new GateDecider.Settings(1 << 20, 5, HashOptions.defaults(), 4), HOST_VIEW);
        int held = fresh.preload(policy, 8);
        List<String> warnings = fresh.drainWarnings();
        assertEquals(1, held, warnings.toString());
        assertEquals(1, warnings.size(), warnings.toString());
    }

    @Test
    void manifestStoreRefusesJsonThatIsNotAManifest() {
        Exception e = assertThrows(Exception.class,
            () -> store.add("{\"formatVersion\":1}".getBytes(StandardCharsets.UTF_8)));
        assertFalse(e.getMessage().isEmpty());
    }

    @Test
    void podmansMtabLinkIsLeftOutOnlyWhenItIsExactlyThatLink() throws Exception {
        FixedPolicy policy = new FixedPolicy().allow("app:1", seal(true), EnforcementMode.ENFORCE);
        GateDecider podman = new GateDecider(hasher, store, new GateDecider.Settings(1 << 20, 5, HashOptions.defaults(), 4,
            ContainerGateComponent.runtimeLinks(new String[] {"/etc/mtab -> /proc/mounts"})), HOST_VIEW);
        config(List.of("/proc"));
        Path mtab = rootfs.resolve("etc/mtab");
        Files.createSymbolicLink(mtab, Path.of("/proc/mounts"));
        GateDecision linked = podman.decide(state(), policy);
        assertEquals(Verdict.ALLOW, linked.verdict(), linked.reason());

        Files.delete(mtab);
        Files.createSymbolicLink(mtab, Path.of("/etc/shadow"));
        GateDecision retargeted = podman.decide(state(), policy);
        assertEquals(Verdict.REFUSE, retargeted.verdict());
        assertEquals(List.of("/etc/mtab: added (symlink)"), retargeted.differences());

        Files.delete(mtab);
        write("etc/mtab", "not a link\n", "rw-r--r--");
        GateDecision file = podman.decide(state(), policy);
        assertEquals(Verdict.REFUSE, file.verdict());
        assertEquals(List.of("/etc/mtab: added (file)"), file.differences());
    }

    @Test
    void runtimeLinksMustBeAbsolutePathsWithATarget() {
        for (String bad : new String[] {"etc/mtab -> /proc/mounts", "/etc/mtab", "/etc/../mtab -> x", "/ -> x", "/etc/mtab -> "}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ContainerGateComponent.runtimeLinks(new String[] {bad}), bad);
            assertTrue(e.getMessage().contains(bad), e.getMessage());
        }
    }

    @Test
    void membersThatDifferOnlyInCaseAreRefused() throws Exception {
        FixedPolicy policy = new FixedPolicy().allow("app:1", seal(true), EnforcementMode.ENFORCE);
        // runc (Go) would read the last of "mounts"/"Mounts"; the gate would read "mounts": a different container
        Files.writeString(bundle.resolve("config.json"), "{\"ociVersion\":\"1.0.2\",\"root\":{\"path\":\"rootfs\"},"
            + "\"mounts\":[{\"destination\":\"/bin\",\"type\":\"tmpfs\"}],\"Mounts\":[]}");
        GateDecision d = decider.decide(state(), policy);
        assertEquals(Verdict.REFUSE, d.verdict());
        assertTrue(d.reason().contains("differ only in case, 'mounts' and 'Mounts'"), d.reason());
        // Go folds the long s (U+017F) to s: "Mount\u017f" is "mounts" to runc
        Files.writeString(bundle.resolve("config.json"), "{\"ociVersion\":\"1.0.2\",\"root\":{\"path\":\"rootfs\"},"
            + "\"mounts\":[],\"Mount\u017f\":[]}");
        assertEquals(Verdict.REFUSE, decider.decide(state(), policy).verdict());
    }

    @Test
    void theMountsTheContainerReallyHasDecideNotTheListInConfigJson() throws Exception {
        String sealed = seal(true);
        FixedPolicy policy = new FixedPolicy().allow("app:1", sealed, EnforcementMode.ENFORCE);
        config(List.of("/proc"));
        // config.json lists only /proc, but the container's namespace has a mount over /bin too
        ContainerRootfs.Locator withBin = (pid, root, destinations) -> pinned(root, List.of("/bin", "/proc"));
        GateDecider real = new GateDecider(hasher, store, new GateDecider.Settings(1 << 20, 5, HashOptions.defaults(), 4), withBin);
        GateDecision d = real.decide(state(), policy);
        assertEquals(Verdict.REFUSE, d.verdict());
        assertTrue(d.reason().contains("the container has a mount at /bin, not an allowed mount destination"), d.reason());
        // config.json lists /sys, but nothing is mounted there: the image's /sys is what the container sees, and hashed
        Files.createDirectories(rootfs.resolve("sys/evil"));
        write("sys/evil/x", "#!/bin/sh\necho evil\n", "rwxr-xr-x");
        config(List.of("/proc", "/sys"));
        ContainerRootfs.Locator procOnly = (pid, root, destinations) -> pinned(root, List.of("/proc"));
        GateDecision hidden = new GateDecider(hasher, store, new GateDecider.Settings(1 << 20, 5, HashOptions.defaults(), 4),
            procOnly).decide(state(), policy);
        assertEquals(Verdict.REFUSE, hidden.verdict());
        assertTrue(hidden.differences().stream().anyMatch(p -> p.startsWith("/sys/evil")), hidden.toString());
    }

    @Test
    void maskedPathsMayHideOnlyWhatIsMountedNotTheImage() throws Exception {
        FixedPolicy policy = new FixedPolicy().allow("app:1", seal(true), EnforcementMode.ENFORCE);
        Files.writeString(bundle.resolve("config.json"), "{\"ociVersion\":\"1.0.2\",\"root\":{\"path\":\"rootfs\"},"
            + "\"mounts\":[{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\"}],"
            + "\"linux\":{\"maskedPaths\":[\"/proc/kcore\",\"/etc/passwd\"]}}");
        GateDecision d = decider.decide(state(), policy);
        assertEquals(Verdict.REFUSE, d.verdict());
        assertTrue(d.reason().contains("linux.maskedPaths hides /etc/passwd, which is part of the image"), d.reason());
        Files.writeString(bundle.resolve("config.json"), "{\"ociVersion\":\"1.0.2\",\"root\":{\"path\":\"rootfs\"},"
            + "\"mounts\":[{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\"}],"
            + "\"linux\":{\"maskedPaths\":[\"/proc/kcore\",\"/proc/keys\"]}}");
        GateDecision ok = decider.decide(state(), policy);
        assertEquals(Verdict.ALLOW, ok.verdict(), ok.reason());
        // runc masks after pivot_root, following links: /proc/self/root is the container's root again
        for (String sneaky : List.of("/proc/self/root/etc/passwd", "/proc/1/root/usr/bin", "/proc/net/../root/etc")) {
            Files.writeString(bundle.resolve("config.json"), "{\"ociVersion\":\"1.0.2\",\"root\":{\"path\":\"rootfs\"},"
                + "\"mounts\":[{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\"}],"
                + "\"linux\":{\"maskedPaths\":[\"" + sneaky + "\"]}}");
            GateDecision refused = decider.decide(state(), policy);
            assertEquals(Verdict.REFUSE, refused.verdict(), sneaky);
            assertTrue(refused.reason().contains("maskedPaths"), refused.reason());
        }
    }

    private static ContainerRootfs.Pinned pinned(Path root, List<String> mounts) {
        return new ContainerRootfs.Pinned() {
            @Override
            public Path path() {
                return root;
            }

            @Override
            public List<String> mountPoints() {
                return mounts;
            }

            @Override
            public void close() {
            }
        };
    }

    @Test
    void aMountOutsideTheAllowedDestinationsIsRefusedWithItsSource() throws Exception {
        FixedPolicy policy = new FixedPolicy().allow("app:1", seal(true), EnforcementMode.ENFORCE);
        Files.writeString(bundle.resolve("config.json"), "{\"ociVersion\":\"1.0.2\",\"root\":{\"path\":\"rootfs\"},"
            + "\"mounts\":[{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\"},"
            + "{\"destination\":\"/etc\",\"type\":\"bind\",\"source\":\"/tmp/evil_etc\"}]}");
        GateDecision d = decider.decide(state(), policy);
        assertEquals(Verdict.REFUSE, d.verdict());
        assertTrue(d.reason().contains("mount of /tmp/evil_etc over /etc is not an allowed mount destination"), d.reason());
        // a volume the device's configuration allows is left out like the runtime's own mounts
        GateDecider volumes = new GateDecider(hasher, store, new GateDecider.Settings(1 << 20, 5, HashOptions.defaults(), 4,
            Map.of(), ContainerGateComponent.allowedMounts(new String[] {"/proc", "/data", "/data/**"})), HOST_VIEW);
        Files.createDirectories(rootfs.resolve("data")); // the mount point runc creates
        config(List.of("/proc", "/data"));
        assertEquals(Verdict.ALLOW, volumes.decide(state(), policy).verdict());
        assertThrows(IllegalArgumentException.class, () -> ContainerGateComponent.allowedMounts(new String[] {"/**"}));
        assertThrows(IllegalArgumentException.class, () -> ContainerGateComponent.allowedMounts(new String[] {"data/**"}));
    }

    @Test
    void anAnnotationCannotTurnATamperedImageIntoAnAuditedOne() throws Exception {
        String enforced = seal(true);
        write("etc/variant", "audited\n", "rw-r--r--");
        String audited = seal(true);
        Files.delete(rootfs.resolve("etc/variant"));
        FixedPolicy policy = new FixedPolicy().allow("app:1", enforced, EnforcementMode.ENFORCE)
            .allow("app-audited", audited, EnforcementMode.AUDIT);
        write("bin/backdoor", "#!/bin/sh\nid\n", "rwxr-xr-x");
        ContainerState named = new ContainerState("1.0.2", "c1", "creating", 42, bundle,
            Map.of("org.opencontainers.image.ref.name", "app-audited"));
        GateDecision d = decider.decide(named, policy);
        assertEquals(Verdict.REFUSE, d.verdict(), d.reason());
        assertEquals(Optional.of("app:1"), d.imageName());
    }

    @Test
    void anExemptionDoesNotFollowASymbolicLinkIntoItsPrefixNorABorrowedRootfs() throws Exception {
        FixedPolicy policy = new FixedPolicy().allow("other", "sha256:" + "0".repeat(64), EnforcementMode.ENFORCE);
        Path platform = Files.createDirectories(tmp.resolve("platform"));
        policy.exemptions.add(new Exemption("platform-agent", Map.of(), Optional.of(platform.toString()), Optional.empty()));
        // a link inside the exempted prefix that leads to an ordinary bundle
        Path link = Files.createSymbolicLink(platform.resolve("evil"), bundle);
        GateDecision viaLink = decider.decide(new ContainerState("1.0.2", "c1", "creating", 42, link, Map.of()), policy);
        assertEquals(Verdict.REFUSE, viaLink.verdict(), viaLink.reason());
        // a real bundle inside the prefix whose root.path points outside it
        Path inside = Files.createDirectories(platform.resolve("agent"));
        Files.writeString(inside.resolve("config.json"), "{\"ociVersion\":\"1.0.2\",\"root\":{\"path\":\"" + rootfs + "\"}}");
        GateDecision borrowed = decider.decide(new ContainerState("1.0.2", "c1", "creating", 42, inside, Map.of()), policy);
        assertEquals(Verdict.REFUSE, borrowed.verdict());
        assertTrue(borrowed.reason().contains("does not cover root file system"), borrowed.reason());
        // the real thing: a bundle with its own rootfs inside the prefix
        Path own = Files.createDirectories(platform.resolve("own/rootfs"));
        Files.writeString(platform.resolve("own/config.json"), "{\"ociVersion\":\"1.0.2\",\"root\":{\"path\":\"rootfs\"}}");
        GateDecision exempt = decider.decide(new ContainerState("1.0.2", "c1", "creating", 42, own.getParent(), Map.of()), policy);
        assertEquals(Verdict.ALLOW, exempt.verdict(), exempt.reason());
    }

    @Test
    void hashingThatOutlivesItsBudgetStopsAndRefuses() throws Exception {
        FixedPolicy policy = new FixedPolicy().allow("app:1", seal(true), EnforcementMode.ENFORCE);
        // a sparse 8 GiB file: reading it all takes seconds; with a 1 ms budget the walk stops at its first 4 MiB
        try (java.io.RandomAccessFile file = new java.io.RandomAccessFile(rootfs.resolve("bin/huge").toFile(), "rw")) {
            file.setLength(8L << 30);
        }
        GateDecider quick = new GateDecider(hasher, store, new GateDecider.Settings(1 << 20, 5, HashOptions.defaults(), 4,
            Map.of(), GateDecider.DEFAULT_ALLOWED_MOUNTS, 1), HOST_VIEW);
        long start = System.nanoTime();
        GateDecision d = quick.decide(state(), policy);
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertEquals(Verdict.REFUSE, d.verdict());
        assertTrue(d.reason().contains("took longer than 1 ms (maxHashMillis"), d.reason());
        assertTrue(millis < 3000, "stopped after " + millis + " ms, not after reading 8 GiB");
    }
}
