package org.carapace.policy.internal;

import static org.carapace.policy.internal.Fixtures.ADDITIONAL_1;
import static org.carapace.policy.internal.Fixtures.BASE_1;
import static org.carapace.policy.internal.Fixtures.BASE_2;
import static org.carapace.policy.internal.Fixtures.STRANGER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.carapace.api.events.SecurityEventType;
import org.carapace.api.io.StrictJson;
import org.carapace.api.policy.Exemption;
import org.carapace.api.policy.ImageRule;
import org.carapace.api.policy.PolicyDocument;
import org.carapace.api.policy.PolicyKind;
import org.carapace.api.policy.Revocation;
import org.carapace.api.policy.RoleViolationException;
import org.carapace.api.trust.BadSignatureException;
import org.carapace.api.trust.DocumentTooLargeException;
import org.carapace.api.trust.ExpiredException;
import org.carapace.api.trust.MalformedDocumentException;
import org.carapace.api.trust.RollbackException;
import org.carapace.api.trust.ThresholdNotMetException;
import org.carapace.api.trust.TrustException;
import org.carapace.api.trust.TrustException.Reason;
import org.carapace.api.trust.UnknownKeyException;
import org.carapace.api.trust.WrongDeviceException;
import org.carapace.api.trust.WrongPayloadTypeException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile input against an installed policy (issue item 7). Every test is named after its attack and asserts the typed
 * refusal, that the policy in force is exactly the previous one, that nothing on disk changed, that the refusal was
 * reported, and that a restart still loads the previous policy.
 */
class PolicyAttackTest {

    @TempDir
    Path dir;

    private StoreHarness h;
    private String viewBefore;
    private Map<String, String> filesBefore;
    private long generationBefore;

    private static final ImageRule NAV = Fixtures.image("nav", 1);
    private static final ImageRule MEDIA = Fixtures.image("media", 2);
    private static final ImageRule MAPS = Fixtures.image("maps", 3);
    private static final String REVOKED = Fixtures.digest(666);

    static PolicyDocument baseV(long version, ImageRule... images) {
        return Fixtures.base(version, List.of(images), List.of(new Revocation(REVOKED, "CVE-2026-0666")));
    }

    @BeforeEach
    void installPrevious() throws Exception {
        h = new StoreHarness(dir);
        h.store.install(Fixtures.signedBase(baseV(1, NAV)));
        h.store.install(Fixtures.signedBase(baseV(2, NAV, MEDIA)));
        h.store.install(Fixtures.signed(Fixtures.additional("maps", 1, List.of(MAPS)), ADDITIONAL_1));
        viewBefore = StoreHarness.view(h.store.snapshot());
        assertEquals("{base=2, maps=1} nav@" + NAV.rootfsDigest() + " media@" + MEDIA.rootfsDigest() + " maps@" + MAPS.rootfsDigest(),
            viewBefore);
        filesBefore = h.files();
        generationBefore = h.store.snapshot().generation();
        h.events.types.clear();
    }

    /** The attack is refused with this type and reason, and the previous policy is untouched, in memory and on disk. */
    private <T extends TrustException> T refused(Class<T> type, Reason reason, byte[] attack) throws Exception {
        T e = assertThrows(type, () -> h.store.install(attack));
        assertEquals(reason, e.reason(), e.getMessage());
        assertEquals(viewBefore, StoreHarness.view(h.store.snapshot()), "the previous policy stays in force");
        assertEquals(generationBefore, h.store.snapshot().generation(), "no new snapshot was published");
        assertEquals(filesBefore, h.files(), "nothing on disk changed");
        assertEquals(reason.name(), h.store.status().lastRefusal().orElseThrow().reason());
        assertEquals(List.of(SecurityEventType.POLICY_REJECTED), h.events.types);
        assertEquals(viewBefore, StoreHarness.view(h.restart().snapshot()), "a restart loads the previous policy");
        assertTrue(h.store.status().problems().isEmpty(), h.store.status().problems().toString());
        return e;
    }

    @Test
    @DisplayName("policy/bad-signature")
    void badSignature() throws Exception {
        ObjectNode envelope = tree(Fixtures.signedBase(baseV(3, NAV)));
        ObjectNode sig = (ObjectNode) envelope.get("signatures").get(1);
        byte[] raw = Base64.getDecoder().decode(sig.get("sig").textValue());
        raw[17] ^= 0x04;
        sig.put("sig", Base64.getEncoder().encodeToString(raw));
        BadSignatureException e = refused(BadSignatureException.class, Reason.BAD_SIGNATURE, StrictJson.write(envelope));
        assertEquals(BASE_2.keyId(), e.keyId());
    }

    @Test
    @DisplayName("policy/bad-signature-edited-payload")
    void editedPayload() throws Exception {
        // the signatures of version 3, over a payload edited to add an image
        ObjectNode envelope = tree(Fixtures.signedBase(baseV(3, NAV)));
        envelope.put("payload", Base64.getEncoder().encodeToString(PolicyCodec.write(baseV(3, NAV, Fixtures.image("evil", 7)))));
        refused(BadSignatureException.class, Reason.BAD_SIGNATURE, StrictJson.write(envelope));
    }

    @Test
    @DisplayName("policy/unknown-key")
    void unknownKey() throws Exception {
        UnknownKeyException e = refused(UnknownKeyException.class, Reason.UNKNOWN_KEY,
            Fixtures.signed(baseV(3, NAV, Fixtures.image("evil", 7)), STRANGER));
        assertEquals(Set.of(STRANGER.keyId()), e.unknownKeys());
    }

    @Test
    @DisplayName("policy/too-few-signatures")
    void tooFewSignatures() throws Exception {
        ThresholdNotMetException e = refused(ThresholdNotMetException.class, Reason.THRESHOLD_NOT_MET,
            Fixtures.signed(baseV(3, NAV), BASE_1));
        assertEquals(2, e.threshold());
        assertEquals(Set.of(BASE_1.keyId()), e.counted());
    }

    @Test
    @DisplayName("policy/unsigned")
    void unsigned() throws Exception {
        refused(ThresholdNotMetException.class, Reason.THRESHOLD_NOT_MET, Fixtures.signed(baseV(3, NAV)));
    }

    @Test
    @DisplayName("policy/same-key-twice")
    void sameKeyTwice() throws Exception {
        ObjectNode envelope = tree(Fixtures.signed(baseV(3, NAV), BASE_1));
        ArrayNode signatures = (ArrayNode) envelope.get("signatures");
        signatures.add(signatures.get(0).deepCopy());
        ThresholdNotMetException e = refused(ThresholdNotMetException.class, Reason.THRESHOLD_NOT_MET, StrictJson.write(envelope));
        assertEquals(Set.of(BASE_1.keyId()), e.counted(), "two signatures by one key count once");
    }

    @Test
    @DisplayName("policy/additional-key-signs-base")
    void additionalKeySignsBase() throws Exception {
        refused(UnknownKeyException.class, Reason.UNKNOWN_KEY, Fixtures.signed(baseV(3, NAV), ADDITIONAL_1));
    }

    @Test
    @DisplayName("policy/base-relabelled-as-additional")
    void baseRelabelledAsAdditional() throws Exception {
        // a base document (with a new exemption) under the additional payload type, signed by the additional key
        PolicyDocument base = new PolicyDocument(PolicyKind.BASE, "base", 3, Optional.empty(), Set.of(), List.of(NAV), List.of(),
            List.of(new Exemption("everything", Map.of(), Optional.of("/"), Optional.empty())));
        MalformedDocumentException e = refused(MalformedDocumentException.class, Reason.SCHEMA,
            Fixtures.signedPayload(PolicyKind.ADDITIONAL, PolicyCodec.write(base), ADDITIONAL_1));
        assertTrue(e.getMessage().contains("payload type"), e.getMessage());
    }

    @Test
    @DisplayName("policy/wrong-payload-type")
    void wrongPayloadType() throws Exception {
        refused(WrongPayloadTypeException.class, Reason.WRONG_PAYLOAD_TYPE, Fixtures.signedRoot(Fixtures.root(), Fixtures.ROOT_1));
    }

    @Test
    @DisplayName("policy/rollback-version")
    void rollbackVersion() throws Exception {
        byte[] v1 = Fixtures.signedBase(baseV(1, NAV));
        RollbackException e = refused(RollbackException.class, Reason.ROLLBACK, v1);
        assertEquals(2, e.highestAccepted());
        assertEquals(1, e.offered());
    }

    @Test
    @DisplayName("policy/replay-current-version-other-content")
    void replayCurrentVersionOtherContent() throws Exception {
        RollbackException e = refused(RollbackException.class, Reason.REPLAY,
            Fixtures.signedBase(baseV(2, NAV, MEDIA, Fixtures.image("evil", 7))));
        assertEquals(2, e.offered());
    }

    @Test
    @DisplayName("policy/expired")
    void expired() throws Exception {
        PolicyDocument v3 = new PolicyDocument(PolicyKind.BASE, "base", 3, Optional.of(Fixtures.NOW.minusSeconds(1)), Set.of(),
            List.of(NAV), List.of(), List.of());
        ExpiredException e = refused(ExpiredException.class, Reason.EXPIRED, Fixtures.signedBase(v3));
        assertEquals(Fixtures.NOW, e.now());
    }

    @Test
    @DisplayName("policy/wrong-device")
    void wrongDevice() throws Exception {
        PolicyDocument v3 = new PolicyDocument(PolicyKind.BASE, "base", 3, Optional.empty(), Set.of("other-vehicle-9"),
            List.of(NAV), List.of(), List.of());
        WrongDeviceException e = refused(WrongDeviceException.class, Reason.WRONG_DEVICE, Fixtures.signedBase(v3));
        assertEquals(Fixtures.DEVICE, e.deviceId());
        assertEquals(Set.of("other-vehicle-9"), e.boundTo());
    }

    @Test
    @DisplayName("policy/truncated-file")
    void truncatedFile() throws Exception {
        byte[] v3 = Fixtures.signedBase(baseV(3, NAV));
        refused(MalformedDocumentException.class, Reason.TRUNCATED, Arrays.copyOf(v3, v3.length / 2));
    }

    @Test
    @DisplayName("policy/huge-document")
    void hugeDocument() throws Exception {
        byte[] huge = new byte[(1 << 20) + 1];
        Arrays.fill(huge, (byte) ' ');
        DocumentTooLargeException e = refused(DocumentTooLargeException.class, Reason.TOO_LARGE, huge);
        assertEquals(1 << 20, e.limit());
    }

    @Test
    @DisplayName("policy/huge-payload")
    void hugePayload() throws Exception {
        // a signed payload within the envelope limit but beyond the document limit
        PolicyLimits small = new PolicyLimits(4096, 16, 1000, 1000, 100, 100, 10, 10);
        h.store = h.open(small, 1 << 20);
        generationBefore = h.store.snapshot().generation();
        ImageRule[] many = new ImageRule[40];
        for (int i = 0; i < many.length; i++) {
            many[i] = Fixtures.image("img" + i, 1000 + i);
        }
        DocumentTooLargeException e = refused(DocumentTooLargeException.class, Reason.TOO_LARGE, Fixtures.signedBase(baseV(3, many)));
        assertEquals(4096, e.limit());
    }

    @Test
    @DisplayName("policy/duplicate-json-keys")
    void duplicateJsonKeys() throws Exception {
        // a correctly signed payload in which "images" appears twice: two parsers could see two different policies
        String payload = new String(PolicyCodec.write(baseV(3, NAV)), StandardCharsets.UTF_8);
        String doubled = payload.replaceFirst("\"images\" : \\[", "\"images\" : [ ],\n  \"images\" : [");
        assertTrue(doubled.length() > payload.length(), "the fixture really duplicates the key");
        refused(MalformedDocumentException.class, Reason.DUPLICATE_KEY,
            Fixtures.signedPayload(PolicyKind.BASE, doubled.getBytes(StandardCharsets.UTF_8), BASE_1, BASE_2));
    }

    @Test
    @DisplayName("policy/duplicate-json-keys-in-envelope")
    void duplicateJsonKeysInEnvelope() throws Exception {
        String envelope = new String(Fixtures.signedBase(baseV(3, NAV)), StandardCharsets.UTF_8);
        String evilPayload = Base64.getEncoder().encodeToString(PolicyCodec.write(baseV(3, NAV, Fixtures.image("evil", 7))));
        String doubled = envelope.replaceFirst("\\{", "{\"payload\":\"" + evilPayload + "\",");
        refused(MalformedDocumentException.class, Reason.DUPLICATE_KEY, doubled.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    @DisplayName("policy/trailing-garbage")
    void trailingGarbage() throws Exception {
        byte[] v3 = Fixtures.signedBase(baseV(3, NAV));
        byte[] withGarbage = Arrays.copyOf(v3, v3.length + 9);
        System.arraycopy("{\"x\":1}\n".getBytes(StandardCharsets.UTF_8), 0, withGarbage, v3.length, 8);
        refused(MalformedDocumentException.class, Reason.TRAILING_DATA, withGarbage);
    }

    @Test
    @DisplayName("policy/trailing-garbage-in-signed-payload")
    void trailingGarbageInSignedPayload() throws Exception {
        byte[] payload = PolicyCodec.write(baseV(3, NAV));
        byte[] withGarbage = Arrays.copyOf(payload, payload.length + 2);
        withGarbage[payload.length] = '[';
        withGarbage[payload.length + 1] = ']';
        refused(MalformedDocumentException.class, Reason.TRAILING_DATA,
            Fixtures.signedPayload(PolicyKind.BASE, withGarbage, BASE_1, BASE_2));
    }

    @Test
    @DisplayName("policy/additional-lifts-revocation")
    void additionalLiftsRevocation() throws Exception {
        ImageRule revoked = new ImageRule("old-nav", REVOKED, Optional.empty(), NAV.mode(), NAV.exec(), List.of(), List.of(), List.of());
        RoleViolationException e = refused(RoleViolationException.class, Reason.FORBIDDEN_BY_ROLE,
            Fixtures.signed(Fixtures.additional("maps", 2, List.of(MAPS, revoked)), ADDITIONAL_1));
        assertTrue(e.getMessage().contains("cannot lift a revocation"), e.getMessage());
    }

    @Test
    @DisplayName("policy/additional-lifts-revocation-by-manifest-digest")
    void additionalLiftsRevocationByManifest() throws Exception {
        ImageRule sneaky = new ImageRule("nav-rebuilt", Fixtures.digest(4242), Optional.of(REVOKED), NAV.mode(), NAV.exec(),
            List.of(), List.of(), List.of());
        refused(RoleViolationException.class, Reason.FORBIDDEN_BY_ROLE,
            Fixtures.signed(Fixtures.additional("maps", 2, List.of(sneaky)), ADDITIONAL_1));
    }

    @Test
    @DisplayName("policy/additional-changes-exemptions")
    void additionalChangesExemptions() throws Exception {
        ObjectNode payload = tree(PolicyCodec.write(Fixtures.additional("maps", 2, List.of(MAPS))));
        payload.putArray("exemptions").addObject().put("name", "all").put("containerIdPattern", ".*");
        refused(RoleViolationException.class, Reason.FORBIDDEN_BY_ROLE,
            Fixtures.signedPayload(PolicyKind.ADDITIONAL, StrictJson.write(payload), ADDITIONAL_1));
    }

    @Test
    @DisplayName("policy/additional-revokes")
    void additionalRevokes() throws Exception {
        ObjectNode payload = tree(PolicyCodec.write(Fixtures.additional("maps", 2, List.of(MAPS))));
        payload.putArray("revocations");
        refused(RoleViolationException.class, Reason.FORBIDDEN_BY_ROLE,
            Fixtures.signedPayload(PolicyKind.ADDITIONAL, StrictJson.write(payload), ADDITIONAL_1));
    }

    @Test
    @DisplayName("policy/additional-rollback-version")
    void additionalRollback() throws Exception {
        h.store.install(Fixtures.signed(Fixtures.additional("maps", 2, List.of(MAPS, Fixtures.image("maps-2", 4))), ADDITIONAL_1));
        viewBefore = StoreHarness.view(h.store.snapshot());
        filesBefore = h.files();
        generationBefore = h.store.snapshot().generation();
        h.events.types.clear();
        refused(RollbackException.class, Reason.ROLLBACK, Fixtures.signed(Fixtures.additional("maps", 1, List.of(MAPS)), ADDITIONAL_1));
    }

    @Test
    @DisplayName("policy/expired-while-in-force (freeze)")
    void expiresWhileInForce() throws Exception {
        Instant expiry = Fixtures.NOW.plusSeconds(3600);
        PolicyDocument v3 = new PolicyDocument(PolicyKind.BASE, "base", 3, Optional.of(expiry), Set.of(), List.of(NAV), List.of(),
            List.of());
        h.store.install(Fixtures.signedBase(v3));
        assertEquals(Map.of("base", 3L, "maps", 1L), h.store.snapshot().versions());
        h.clock.set(expiry);
        assertTrue(h.store.snapshot().isEmpty(), "an expired base takes itself and the additions out of force");
        assertTrue(h.store.snapshot().lookup(NAV.rootfsDigest()).isEmpty());
        assertEquals("EXPIRED", h.store.status().streams().get(0).state().name());
        assertEquals(new StoreHarness.Change("base", 3, 0, h.store.snapshot().generation(), 0, "expired"),
            h.changes.get(h.changes.size() - 2));
        assertTrue(h.events.types.contains(SecurityEventType.POLICY_REJECTED));
    }

    private static ObjectNode tree(byte[] json) throws Exception {
        return new StrictJson(1 << 24, 32).parseObject(json, "fixture");
    }
}
