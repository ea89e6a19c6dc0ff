package org.carapace.policy.internal;

import static org.carapace.policy.internal.Fixtures.ROOT_1;
import static org.carapace.policy.internal.Fixtures.ROOT_2;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.carapace.api.events.SecurityEventType;
import org.carapace.api.trust.NoTrustRootException;
import org.carapace.api.trust.Role;
import org.carapace.api.trust.RootVersionException;
import org.carapace.api.trust.TrustRoot;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Anchor, bootstrap, rotation chain and its rollback protection. */
class TrustStoreTest {

    @TempDir
    Path dir;

    private final Fixtures.MutableClock clock = new Fixtures.MutableClock(Fixtures.NOW);
    private final Fixtures.Recorder events = new Fixtures.Recorder();
    private final List<String> changes = new ArrayList<>();

    private TrustStore store(boolean bootstrap, Optional<String> pin) throws Exception {
        TrustStore store = new TrustStore(new TrustStore.Settings(dir.resolve("anchor.json"), pin, dir.resolve("trust"), bootstrap,
            1 << 20, 16), clock, events, (a, b) -> changes.add((a == null ? "none" : "v" + a.version()) + "->v" + b.version()));
        store.load();
        return store;
    }

    private static TrustRoot rootV(long version, SigningKey rootKey) {
        return Fixtures.root(version, Optional.empty(), List.of(rootKey), 1);
    }

    @Test
    void withoutAnAnchorNothingVerifies() throws Exception {
        TrustStore store = store(false, Optional.empty());
        assertTrue(store.root().isEmpty());
        assertTrue(store.problems().get(0).contains("no trust anchor"));
        byte[] envelope = Fixtures.signedBase(Fixtures.base(1, List.of(), List.of()));
        assertThrows(NoTrustRootException.class,
            () -> store.verify(store.parse(envelope), Role.BASE_POLICY, org.carapace.api.policy.PolicyKind.BASE.payloadType()));
        NoTrustRootException e = assertThrows(NoTrustRootException.class,
            () -> store.install(Fixtures.signedRoot(rootV(1, ROOT_1), ROOT_1)));
        assertTrue(e.getMessage().contains("disabled"), e.getMessage());
        assertFalse(Files.exists(dir.resolve("anchor.json")));
    }

    @Test
    void bootstrapWritesTheAnchorWhenAllowed() throws Exception {
        TrustStore store = store(true, Optional.empty());
        byte[] anchor = Fixtures.signedRoot(rootV(1, ROOT_1), ROOT_1);
        assertThrows(org.carapace.api.trust.UnknownKeyException.class,
            () -> store.install(Fixtures.signedRoot(rootV(1, ROOT_1), ROOT_2)), "a root must meet its own threshold");
        assertEquals(1, store.install(anchor).version());
        assertEquals(List.of("none->v1"), changes);
        assertTrue(Files.exists(dir.resolve("anchor.json")));
        assertEquals(1, store(false, Optional.empty()).root().orElseThrow().version(), "a restart loads the anchor");
    }

    @Test
    @DisplayName("trust/anchor-pin: a swapped anchor is refused")
    void pinnedAnchor() throws Exception {
        byte[] anchor = Fixtures.signedRoot(rootV(1, ROOT_1), ROOT_1);
        Files.write(dir.resolve("anchor.json"), anchor);
        assertEquals(1, store(false, Optional.of(Hashing.sha256(anchor))).root().orElseThrow().version());
        Files.write(dir.resolve("anchor.json"), Fixtures.signedRoot(rootV(1, ROOT_2), ROOT_2));
        TrustStore swapped = store(false, Optional.of(Hashing.sha256(anchor)));
        assertTrue(swapped.root().isEmpty());
        assertTrue(swapped.problems().get(0).contains("pin"), swapped.problems().toString());
        assertTrue(events.types.contains(SecurityEventType.POLICY_LOAD_FAILED));
    }

    @Test
    void rotationsChainAcrossRestarts() throws Exception {
        Files.write(dir.resolve("anchor.json"), Fixtures.signedRoot(rootV(1, ROOT_1), ROOT_1));
        TrustStore store = store(false, Optional.empty());
        store.install(Fixtures.signedRoot(rootV(2, ROOT_2), ROOT_1, ROOT_2));
        store.install(Fixtures.signedRoot(rootV(3, ROOT_1), ROOT_2, ROOT_1));
        assertEquals(List.of("v1->v2", "v2->v3"), changes);
        assertEquals(List.of(SecurityEventType.TRUST_ROOT_ROTATED, SecurityEventType.TRUST_ROOT_ROTATED), events.types);
        RootVersionException e = assertThrows(RootVersionException.class,
            () -> store.install(Fixtures.signedRoot(rootV(5, ROOT_1), ROOT_1)));
        assertEquals(3, e.current());
        assertEquals(3, store(false, Optional.empty()).root().orElseThrow().version());
        // a corrupt primary copy: the second copy carries the chain
        Files.writeString(dir.resolve("trust/roots/2.json"), "{");
        TrustStore repaired = store(false, Optional.empty());
        assertEquals(3, repaired.root().orElseThrow().version());
    }

    @Test
    @DisplayName("trust/rollback-root: deleting a rotation does not bring an older root back")
    void deletedRotationFailsClosed() throws Exception {
        Files.write(dir.resolve("anchor.json"), Fixtures.signedRoot(rootV(1, ROOT_1), ROOT_1));
        TrustStore store = store(false, Optional.empty());
        store.install(Fixtures.signedRoot(rootV(2, ROOT_2), ROOT_1, ROOT_2));
        Files.delete(dir.resolve("trust/roots/2.json"));
        Files.delete(dir.resolve("trust/roots/2.lkg.json"));
        TrustStore after = store(false, Optional.empty());
        assertTrue(after.root().isEmpty(), "fail closed rather than trust root v1's keys again");
        assertTrue(after.problems().get(after.problems().size() - 1).contains("rollback"), after.problems().toString());
    }

    @Test
    void anExpiredRootVerifiesNothingButCanBeRotatedAway() throws Exception {
        Files.write(dir.resolve("anchor.json"), Fixtures.signedRoot(Fixtures.root(1, Optional.of(Fixtures.NOW.plusSeconds(60)),
            List.of(ROOT_1), 1), ROOT_1));
        TrustStore store = store(false, Optional.empty());
        clock.set(Fixtures.NOW.plusSeconds(60));
        byte[] envelope = Fixtures.signedBase(Fixtures.base(1, List.of(), List.of()));
        assertThrows(org.carapace.api.trust.ExpiredException.class,
            () -> store.verify(store.parse(envelope), Role.BASE_POLICY, org.carapace.api.policy.PolicyKind.BASE.payloadType()));
        store.install(Fixtures.signedRoot(rootV(2, ROOT_1), ROOT_1));
        assertEquals(Role.BASE_POLICY, store.verify(store.parse(envelope), Role.BASE_POLICY,
            org.carapace.api.policy.PolicyKind.BASE.payloadType()).role());
    }
}
