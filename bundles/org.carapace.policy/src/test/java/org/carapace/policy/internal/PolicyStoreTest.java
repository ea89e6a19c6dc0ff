package org.carapace.policy.internal;

import static org.carapace.policy.internal.Fixtures.ADDITIONAL_1;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.carapace.api.events.SecurityEventType;
import org.carapace.api.policy.ContainerContext;
import org.carapace.api.policy.ImageRule;
import org.carapace.api.policy.PolicyChange;
import org.carapace.api.policy.PolicyDocument;
import org.carapace.api.policy.PolicySnapshot;
import org.carapace.api.policy.PolicyStatus;
import org.carapace.api.policy.Revocation;
import org.carapace.api.policy.StreamLimitException;
import org.carapace.api.policy.StreamStatus;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The store's behaviour: effective policy, events, persistence, and what happens to tampered files at rest. */
class PolicyStoreTest {

    @TempDir
    Path dir;

    private static final ImageRule NAV = Fixtures.image("nav", 1);
    private static final ImageRule MEDIA = Fixtures.image("media", 2);
    private static final ImageRule MAPS = Fixtures.image("maps", 3);

    private static PolicyDocument base(long version, List<Revocation> revocations, ImageRule... images) {
        return Fixtures.base(version, List.of(images), revocations);
    }

    @Test
    void emptyStoreAllowsNothingAndSaysSo() throws Exception {
        StoreHarness h = new StoreHarness(dir);
        PolicySnapshot snapshot = h.store.snapshot();
        assertTrue(snapshot.isEmpty());
        assertEquals(0, snapshot.generation());
        assertTrue(snapshot.lookup(NAV.rootfsDigest()).isEmpty());
        assertTrue(snapshot.exemptionFor(new ContainerContext("c1", Path.of("/run/carapace/bundles/agent"),
            Map.of("org.carapace.exempt", "agent"))).isEmpty(), "no policy: no exemption either");
        PolicyStatus status = h.store.status();
        assertEquals(PolicyStatus.State.EMPTY, status.state());
        assertEquals(1, status.trustRootVersion());
        assertTrue(status.problems().get(0).contains("nothing is allowed"), status.problems().toString());
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("policy"))));
    }

    @Test
    void installPublishesAnImmutableSnapshotAndAnEvent() throws Exception {
        StoreHarness h = new StoreHarness(dir);
        PolicySnapshot before = h.store.snapshot();
        PolicyChange change = h.store.install(Fixtures.signedBase(base(1, List.of(), NAV, MEDIA)));
        assertEquals(new PolicyChange(org.carapace.api.policy.PolicyKind.BASE, "base", 0, 1, true, 1, 2), change);
        PolicySnapshot after = h.store.snapshot();
        assertTrue(before.isEmpty(), "a snapshot taken before does not change");
        assertEquals("nav", after.lookup(NAV.rootfsDigest()).orElseThrow().rule().name());
        assertEquals(NAV, after.lookup(NAV.rootfsDigest()).orElseThrow().rule());
        assertEquals("base", after.lookup(NAV.rootfsDigest()).orElseThrow().stream());
        assertEquals(List.of(new StoreHarness.Change("base", 0, 1, 1, 2, "install")), h.changes);
        assertEquals(List.of(SecurityEventType.POLICY_INSTALLED), h.events.types);
        assertEquals("platform-agent", after.exemptionFor(new ContainerContext("agent-1", Path.of("/run/carapace/bundles/agent"),
            Map.of("org.carapace.exempt", "agent"))).orElseThrow().name());
        assertTrue(after.exemptionFor(new ContainerContext("agent-1", Path.of("/var/tmp/agent"),
            Map.of("org.carapace.exempt", "agent"))).isEmpty(), "every criterion must match");
        assertTrue(after.exemptionFor(new ContainerContext("agent-1", Path.of("/run/carapace/bundles-evil/x"),
            Map.of("org.carapace.exempt", "agent"))).isEmpty(), "path prefixes compare whole components");
        assertThrows(UnsupportedOperationException.class, () -> after.versions().put("base", 9L));
    }

    @Test
    @DisplayName("the identical document again is a no-op, not a refusal")
    void identicalDocumentIsIdempotent() throws Exception {
        StoreHarness h = new StoreHarness(dir);
        byte[] v1 = Fixtures.signedBase(base(1, List.of(), NAV));
        h.store.install(v1);
        PolicyChange again = h.store.install(v1);
        assertFalse(again.changed());
        assertEquals(1, again.version());
        assertEquals(1, h.changes.size());
    }

    @Test
    void effectivePolicyIsBasePlusAdditionsMinusRevocations() throws Exception {
        StoreHarness h = new StoreHarness(dir);
        h.store.install(Fixtures.signed(Fixtures.additional("maps", 1, List.of(MAPS)), ADDITIONAL_1));
        assertTrue(h.store.snapshot().isEmpty(), "an addition without a base is not in force");
        assertEquals(StreamStatus.State.SUSPENDED, h.store.status().streams().get(0).state());
        h.store.install(Fixtures.signedBase(base(1, List.of(), NAV, MEDIA)));
        h.assertView("{base=1, maps=1} nav@" + NAV.rootfsDigest() + " media@" + MEDIA.rootfsDigest() + " maps@" + MAPS.rootfsDigest());
        // the base later revokes the addition's image (by manifest digest) and one of its own
        h.store.install(Fixtures.signedBase(base(2, List.of(new Revocation(MAPS.manifestDigest().orElseThrow(), "CVE"),
            new Revocation(MEDIA.rootfsDigest(), "")), NAV, MEDIA)));
        h.assertView("{base=2, maps=1} nav@" + NAV.rootfsDigest());
        PolicySnapshot snapshot = h.store.snapshot();
        assertTrue(snapshot.isRevoked(MEDIA.rootfsDigest()));
        assertTrue(snapshot.lookup(MAPS.rootfsDigest()).isEmpty());
        assertEquals(1, snapshot.imageCount());
        assertEquals(List.of(new StoreHarness.Change("base", 0, 1, 1, 3, "install"), new StoreHarness.Change("maps", 0, 1, 1, 3, "install"),
            new StoreHarness.Change("base", 1, 2, 2, 1, "install")), h.changes);
    }

    @Test
    void baseWinsOverAnAdditionListingTheSameImage() throws Exception {
        StoreHarness h = new StoreHarness(dir);
        h.store.install(Fixtures.signedBase(base(1, List.of(), NAV)));
        ImageRule audit = new ImageRule("nav", NAV.rootfsDigest(), Optional.empty(), org.carapace.api.policy.EnforcementMode.AUDIT,
            NAV.exec(), List.of(), List.of(), List.of());
        h.store.install(Fixtures.signed(Fixtures.additional("weaker", 1, List.of(audit)), ADDITIONAL_1));
        assertEquals("base", h.store.snapshot().lookup(NAV.rootfsDigest()).orElseThrow().stream());
        assertEquals(org.carapace.api.policy.EnforcementMode.ENFORCE,
            h.store.snapshot().lookup(NAV.rootfsDigest()).orElseThrow().rule().mode());
        assertTrue(h.store.status().problems().stream().anyMatch(p -> p.contains("listed twice")), h.store.status().problems().toString());
    }

    @Test
    void streamLimitIsEnforced() throws Exception {
        StoreHarness h = new StoreHarness(dir);
        for (int i = 0; i < 4; i++) {
            h.store.install(Fixtures.signed(Fixtures.additional("s" + i, 1, List.of(Fixtures.image("i" + i, 10 + i))), ADDITIONAL_1));
        }
        StreamLimitException e = assertThrows(StreamLimitException.class,
            () -> h.store.install(Fixtures.signed(Fixtures.additional("s4", 1, List.of(MAPS)), ADDITIONAL_1)));
        assertEquals(4, e.limit());
        // a new version of an existing stream is still fine
        h.store.install(Fixtures.signed(Fixtures.additional("s0", 2, List.of(MAPS)), ADDITIONAL_1));
    }

    @Test
    void restartVerifiesEverythingAgainAndKeepsOnlyTheVersionInForce() throws Exception {
        StoreHarness h = new StoreHarness(dir);
        h.store.install(Fixtures.signedBase(base(1, List.of(), NAV)));
        byte[] v2 = Fixtures.signedBase(base(2, List.of(), NAV, MEDIA));
        h.store.install(v2);
        h.store.install(Fixtures.signed(Fixtures.additional("maps", 1, List.of(MAPS)), ADDITIONAL_1));
        assertFalse(Files.exists(h.policyFile("base", 1, false)), "superseded versions are removed");
        assertArrayEquals(v2, Files.readAllBytes(h.policyFile("base", 2, false)), "stored byte for byte");
        assertArrayEquals(v2, Files.readAllBytes(h.policyFile("base", 2, true)));
        String view = StoreHarness.view(h.store.snapshot());
        h.restart();
        assertEquals(view, StoreHarness.view(h.store.snapshot()));
        assertTrue(h.store.status().problems().isEmpty());
        assertEquals(List.of(new StoreHarness.Change("base", 0, 2, 1, 3, "load"), new StoreHarness.Change("maps", 0, 1, 1, 3, "load")),
            h.changes.subList(h.changes.size() - 2, h.changes.size()));
    }

    @Test
    @DisplayName("policy/at-rest/truncated-file: the last known good copy stays in force and repairs the other")
    void truncatedFileAtRest() throws Exception {
        StoreHarness h = new StoreHarness(dir);
        byte[] v2 = installTwoVersions(h);
        Files.write(h.policyFile("base", 2, false), Arrays.copyOf(v2, v2.length / 3));
        h.events.types.clear();
        h.restart();
        h.assertView("{base=2} nav@" + NAV.rootfsDigest() + " media@" + MEDIA.rootfsDigest());
        assertEquals(List.of(SecurityEventType.POLICY_LOAD_FAILED), h.events.types);
        assertTrue(h.store.status().problems().get(0).contains("TRUNCATED"), h.store.status().problems().toString());
        assertArrayEquals(v2, Files.readAllBytes(h.policyFile("base", 2, false)), "the bad copy was rewritten");
    }

    @Test
    @DisplayName("policy/at-rest/rollback-file: an older signed version swapped in is refused")
    void rollbackFileAtRest() throws Exception {
        StoreHarness h = new StoreHarness(dir);
        installTwoVersions(h);
        Files.write(h.policyFile("base", 2, false), Fixtures.signedBase(base(1, List.of(), NAV)));
        h.restart();
        h.assertView("{base=2} nav@" + NAV.rootfsDigest() + " media@" + MEDIA.rootfsDigest());
        assertTrue(h.store.status().problems().get(0).contains("ROLLBACK"), h.store.status().problems().toString());
        // both copies swapped: no copy of the accepted version verifies, so nothing of that stream is in force
        Files.write(h.policyFile("base", 2, false), Fixtures.signedBase(base(1, List.of(), NAV)));
        Files.write(h.policyFile("base", 2, true), Fixtures.signedBase(base(1, List.of(), NAV)));
        h.restart();
        assertTrue(h.store.snapshot().isEmpty(), "fail closed: an older policy is never used instead");
        assertEquals(StreamStatus.State.FAILED, h.store.status().streams().get(0).state());
        assertEquals(2, h.store.status().streams().get(0).highestAccepted());
        // the real version 2 heals the stream; version 1 stays refused
        assertThrows(org.carapace.api.trust.RollbackException.class,
            () -> h.store.install(Fixtures.signedBase(base(1, List.of(), NAV))));
        h.store.install(Fixtures.signedBase(base(2, List.of(), NAV, MEDIA)));
        h.assertView("{base=2} nav@" + NAV.rootfsDigest() + " media@" + MEDIA.rootfsDigest());
    }

    @Test
    @DisplayName("policy/at-rest/huge-file: a huge file is refused unread")
    void hugeFileAtRest() throws Exception {
        StoreHarness h = new StoreHarness(dir);
        installTwoVersions(h);
        try (var channel = java.nio.channels.FileChannel.open(h.policyFile("base", 2, false), java.nio.file.StandardOpenOption.WRITE)) {
            channel.write(java.nio.ByteBuffer.wrap(new byte[] {' '}), 64L << 20); // sparse: 64 MiB
        }
        h.restart();
        h.assertView("{base=2} nav@" + NAV.rootfsDigest() + " media@" + MEDIA.rootfsDigest());
        assertTrue(h.store.status().problems().get(0).contains("TOO_LARGE"), h.store.status().problems().toString());
    }

    @Test
    @DisplayName("policy/at-rest/counters-deleted: rebuilt from the newest verified document")
    void countersDeleted() throws Exception {
        StoreHarness h = new StoreHarness(dir);
        installTwoVersions(h);
        Files.delete(dir.resolve("policy/counters.json"));
        Files.delete(dir.resolve("policy/counters.lkg.json"));
        h.restart();
        h.assertView("{base=2} nav@" + NAV.rootfsDigest() + " media@" + MEDIA.rootfsDigest());
        assertTrue(h.store.status().problems().get(0).contains("rebuilt"), h.store.status().problems().toString());
        assertTrue(Files.exists(dir.resolve("policy/counters.json")));
        assertThrows(org.carapace.api.trust.RollbackException.class,
            () -> h.store.install(Fixtures.signedBase(base(1, List.of(), NAV))));
    }

    @Test
    @DisplayName("policy/at-rest/counters-corrupt: the copy is used")
    void countersCorrupt() throws Exception {
        StoreHarness h = new StoreHarness(dir);
        installTwoVersions(h);
        Files.writeString(dir.resolve("policy/counters.json"),
            "{\"schema\": \"carapace.counters/v1\", \"streams\": {\"base\": {\"version\": 1");
        h.restart();
        h.assertView("{base=2} nav@" + NAV.rootfsDigest() + " media@" + MEDIA.rootfsDigest());
        assertTrue(h.store.status().problems().get(0).contains("counters.json"), h.store.status().problems().toString());
    }

    @Test
    @DisplayName("policy/at-rest/counters-corrupt-without-root: nothing is discarded while nothing can be verified")
    void countersCorruptWhileNoRoot() throws Exception {
        StoreHarness h = new StoreHarness(dir);
        installTwoVersions(h);
        Files.writeString(dir.resolve("policy/counters.json"), "{");
        Files.writeString(dir.resolve("policy/counters.lkg.json"), "{");
        TrustStore noRoot = new TrustStore(new TrustStore.Settings(dir.resolve("missing-anchor.json"), Optional.empty(),
            dir.resolve("trust-empty"), false, 1 << 20, 16), h.clock, h.events, (a, b) -> { });
        noRoot.load();
        PolicyStore blind = new PolicyStore(new PolicyStore.Settings(dir.resolve("policy"), Fixtures.DEVICE, PolicyLimits.DEFAULTS, 4,
            1 << 20), noRoot, h.clock, h.events, PolicyStore.ChangeListener.NONE);
        blind.load("load");
        assertTrue(blind.snapshot().isEmpty());
        assertTrue(Files.exists(h.policyFile("base", 2, false)), "the unverifiable stream is kept for later");
        h.restart();
        h.assertView("{base=2} nav@" + NAV.rootfsDigest() + " media@" + MEDIA.rootfsDigest());
    }

    @Test
    @DisplayName("policy/at-rest/uncommitted-version: files of an installation that never committed are discarded")
    void uncommittedVersion() throws Exception {
        StoreHarness h = new StoreHarness(dir);
        installTwoVersions(h);
        byte[] v3 = Fixtures.signedBase(base(3, List.of(), NAV));
        Files.write(h.policyFile("base", 3, false), v3);
        Files.createDirectories(h.policyFile("planted", 1, false).getParent());
        Files.write(h.policyFile("planted", 1, false), Fixtures.signed(Fixtures.additional("planted", 1, List.of(MAPS)), ADDITIONAL_1));
        h.restart();
        h.assertView("{base=2} nav@" + NAV.rootfsDigest() + " media@" + MEDIA.rootfsDigest());
        assertFalse(Files.exists(h.policyFile("base", 3, false)));
        assertFalse(Files.exists(h.policyFile("planted", 1, false).getParent()));
    }

    @Test
    @DisplayName("policy/at-rest/stream-deleted and policy/at-rest/directory-planted: the load completes, fail closed")
    void streamDeletedAndDirectoryPlanted() throws Exception {
        StoreHarness h = new StoreHarness(dir);
        installTwoVersions(h);
        h.store.install(Fixtures.signed(Fixtures.additional("maps", 1, List.of(MAPS)), ADDITIONAL_1));
        Path planted = h.policyFile("maps", 7, false);
        Files.createDirectories(planted);
        Files.writeString(planted.resolve("x"), "x");
        Files.delete(h.policyFile("base", 2, false));
        Files.delete(h.policyFile("base", 2, true));
        Files.delete(h.policyFile("base", 2, false).getParent());
        h.restart();
        assertTrue(h.store.snapshot().isEmpty(), "no base: nothing in force");
        List<StreamStatus> streams = h.store.status().streams();
        assertEquals(StreamStatus.State.FAILED, streams.get(0).state());
        assertEquals(StreamStatus.State.SUSPENDED, streams.get(1).state());
        List<String> problems = h.store.status().problems();
        assertTrue(problems.stream().anyMatch(p -> p.contains("cannot remove stray")), problems.toString());
    }

    @Test
    @DisplayName("a storage failure half way changes nothing")
    void storageFailureChangesNothing() throws Exception {
        StoreHarness h = new StoreHarness(dir);
        installTwoVersions(h);
        // the second copy cannot be written: a non-empty directory stands where it goes (works as root too)
        Path blocker = h.policyFile("base", 3, true);
        Files.createDirectories(blocker);
        Files.writeString(blocker.resolve("x"), "x");
        Map<String, String> files = h.files();
        assertThrows(java.io.IOException.class, () -> h.store.install(Fixtures.signedBase(base(3, List.of(), NAV))));
        assertEquals(files, h.files(), "the first copy was removed again, the counters untouched");
        assertEquals("STORAGE", h.store.status().lastRefusal().orElseThrow().reason());
        h.assertView("{base=2} nav@" + NAV.rootfsDigest() + " media@" + MEDIA.rootfsDigest());
        Files.delete(blocker.resolve("x"));
        Files.delete(blocker);
        h.restart();
        h.assertView("{base=2} nav@" + NAV.rootfsDigest() + " media@" + MEDIA.rootfsDigest());
    }

    @Test
    void rootRotationReverifiesTheStore() throws Exception {
        StoreHarness h = new StoreHarness(dir);
        installTwoVersions(h);
        // a new root whose base role no longer trusts BASE_2: the stored base no longer meets its threshold
        var next = Fixtures.root(2, Optional.empty(), List.of(Fixtures.ROOT_2), 1);
        var roles = new java.util.EnumMap<>(next.roles());
        roles.put(org.carapace.api.trust.Role.BASE_POLICY, new org.carapace.api.trust.RoleKeys(
            java.util.Set.of(Fixtures.BASE_1.keyId(), Fixtures.OTA_1.keyId()), 2));
        var rotated = new org.carapace.api.trust.TrustRoot(2, Optional.empty(), next.keys(), roles);
        h.trust.install(Fixtures.signedRoot(rotated, Fixtures.ROOT_1, Fixtures.ROOT_2));
        h.store.load("root-changed");
        assertTrue(h.store.snapshot().isEmpty());
        assertEquals(new StoreHarness.Change("base", 2, 0, h.store.snapshot().generation(), 0, "root-changed"),
            h.changes.get(h.changes.size() - 1));
        assertTrue(h.store.status().problems().stream().anyMatch(p -> p.contains("UNKNOWN_KEY")), h.store.status().problems().toString());
    }

    private static byte[] installTwoVersions(StoreHarness h) throws Exception {
        h.store.install(Fixtures.signedBase(base(1, List.of(), NAV)));
        byte[] v2 = Fixtures.signedBase(base(2, List.of(), NAV, MEDIA));
        h.store.install(v2);
        return v2;
    }
}
