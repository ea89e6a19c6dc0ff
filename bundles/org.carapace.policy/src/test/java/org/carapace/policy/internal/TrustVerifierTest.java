package org.carapace.policy.internal;

import static org.carapace.policy.internal.Fixtures.ADDITIONAL_1;
import static org.carapace.policy.internal.Fixtures.BASE_1;
import static org.carapace.policy.internal.Fixtures.BASE_2;
import static org.carapace.policy.internal.Fixtures.NOW;
import static org.carapace.policy.internal.Fixtures.OTA_1;
import static org.carapace.policy.internal.Fixtures.ROOT_1;
import static org.carapace.policy.internal.Fixtures.ROOT_2;
import static org.carapace.policy.internal.Fixtures.STRANGER;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.carapace.api.trust.BadSignatureException;
import org.carapace.api.trust.Envelope;
import org.carapace.api.trust.EnvelopeSignature;
import org.carapace.api.trust.ExpiredException;
import org.carapace.api.trust.Role;
import org.carapace.api.trust.RoleNotDefinedException;
import org.carapace.api.trust.RootVersionException;
import org.carapace.api.trust.ThresholdNotMetException;
import org.carapace.api.trust.TrustRoot;
import org.carapace.api.trust.UnknownKeyException;
import org.carapace.api.trust.VerifiedPayload;
import org.carapace.api.trust.WrongPayloadTypeException;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** k-of-n over distinct keys, strict signatures, roles, root rotation. */
class TrustVerifierTest {

    private static final String TYPE = "application/vnd.example+json";
    private static final byte[] PAYLOAD = "{\"hello\": 1}".getBytes(StandardCharsets.UTF_8);
    private final TrustVerifier verifier = new TrustVerifier(Fixtures.root());
    private final RootCodec roots = new RootCodec(1 << 20);

    private static Envelope signed(SigningKey... keys) {
        return EnvelopeCodec.sign(TYPE, PAYLOAD, List.of(keys));
    }

    @Test
    void thresholdOfDistinctRoleKeysVerifies() throws Exception {
        VerifiedPayload verified = verifier.verify(signed(BASE_1, BASE_2), Role.BASE_POLICY, TYPE, NOW);
        assertArrayEquals(PAYLOAD, verified.payload());
        assertEquals(Set.of(BASE_1.keyId(), BASE_2.keyId()), verified.signers());
        assertEquals(1, verified.rootVersion());
        // an extra signature by a key of another role does not hurt once the threshold is met
        assertEquals(2, verifier.verify(signed(BASE_1, OTA_1, BASE_2), Role.BASE_POLICY, TYPE, NOW).signers().size());
    }

    @Test
    @DisplayName("trust/same-key-twice")
    void sameKeyTwiceCountsOnce() {
        Envelope once = signed(BASE_1);
        List<EnvelopeSignature> twice = new ArrayList<>(once.signatures());
        twice.add(once.signatures().get(0));
        ThresholdNotMetException e = assertThrows(ThresholdNotMetException.class,
            () -> verifier.verify(new Envelope(TYPE, PAYLOAD, twice), Role.BASE_POLICY, TYPE, NOW));
        assertEquals(2, e.threshold());
        assertEquals(Set.of(BASE_1.keyId()), e.counted());
    }

    @Test
    @DisplayName("trust/too-few-signatures")
    void tooFewSignatures() {
        ThresholdNotMetException e = assertThrows(ThresholdNotMetException.class,
            () -> verifier.verify(signed(BASE_2), Role.BASE_POLICY, TYPE, NOW));
        assertEquals(Set.of(BASE_2.keyId()), e.counted());
        assertThrows(ThresholdNotMetException.class, () -> verifier.verify(signed(), Role.BASE_POLICY, TYPE, NOW),
            "an unsigned envelope verifies for no role");
    }

    @Test
    @DisplayName("trust/unknown-key")
    void unknownKey() {
        UnknownKeyException e = assertThrows(UnknownKeyException.class,
            () -> verifier.verify(signed(BASE_1, STRANGER), Role.BASE_POLICY, TYPE, NOW));
        assertEquals(Set.of(STRANGER.keyId()), e.unknownKeys());
        // a key of the root, but of another role, is no key of this role
        UnknownKeyException other = assertThrows(UnknownKeyException.class,
            () -> verifier.verify(signed(ADDITIONAL_1), Role.BASE_POLICY, TYPE, NOW));
        assertEquals(Set.of(ADDITIONAL_1.keyId()), other.unknownKeys());
    }

    @Test
    @DisplayName("trust/bad-signature")
    void badSignature() {
        Envelope good = signed(BASE_1, BASE_2);
        byte[] sig = good.signatures().get(1).signature();
        sig[5] ^= 0x20;
        Envelope bad = new Envelope(TYPE, PAYLOAD, List.of(good.signatures().get(0), new EnvelopeSignature(BASE_2.keyId(), sig)));
        BadSignatureException e = assertThrows(BadSignatureException.class, () -> verifier.verify(bad, Role.BASE_POLICY, TYPE, NOW));
        assertEquals(BASE_2.keyId(), e.keyId());
        // the signature covers the payload type too (PAE): relabelling breaks it
        Envelope relabelled = new Envelope("application/other", PAYLOAD, good.signatures());
        assertThrows(BadSignatureException.class, () -> verifier.verify(relabelled, Role.BASE_POLICY, "application/other", NOW));
        Envelope edited = new Envelope(TYPE, "{\"hello\": 2}".getBytes(StandardCharsets.UTF_8), good.signatures());
        assertThrows(BadSignatureException.class, () -> verifier.verify(edited, Role.BASE_POLICY, TYPE, NOW));
    }

    @Test
    void wrongTypeUndefinedRoleAndExpiredRoot() {
        assertThrows(WrongPayloadTypeException.class, () -> verifier.verify(signed(BASE_1, BASE_2), Role.BASE_POLICY, "other", NOW));
        assertThrows(RoleNotDefinedException.class, () -> verifier.verify(signed(OTA_1), Role.EVENT_AUTH, TYPE, NOW));
        TrustVerifier expiring = new TrustVerifier(Fixtures.root(1, Optional.of(NOW), List.of(ROOT_1), 1));
        ExpiredException e = assertThrows(ExpiredException.class,
            () -> expiring.verify(signed(BASE_1, BASE_2), Role.BASE_POLICY, TYPE, NOW));
        assertEquals(NOW, e.expires());
    }

    @Test
    @DisplayName("trust/root-rotation needs both thresholds and version + 1")
    void rootRotation() throws Exception {
        TrustRoot next = Fixtures.root(2, Optional.empty(), List.of(ROOT_2), 1);
        TrustVerifier rotated = verifier.rotate(parse(Fixtures.signedRoot(next, ROOT_1, ROOT_2)), roots);
        assertEquals(2, rotated.root().version());
        // only the new keys: the old root never vouched for it
        ThresholdNotMetException unvouched = assertThrows(ThresholdNotMetException.class,
            () -> verifier.rotate(parse(Fixtures.signedRoot(next, ROOT_2)), roots));
        assertEquals(Set.of(), unvouched.counted());
        assertThrows(UnknownKeyException.class, () -> verifier.rotate(parse(Fixtures.signedRoot(next, STRANGER)), roots));
        // only the old keys: the new root's own threshold is not met
        assertThrows(ThresholdNotMetException.class, () -> verifier.rotate(parse(Fixtures.signedRoot(next, ROOT_1)), roots));
        // a skipped version
        TrustRoot skip = Fixtures.root(3, Optional.empty(), List.of(ROOT_2), 1);
        RootVersionException e = assertThrows(RootVersionException.class,
            () -> verifier.rotate(parse(Fixtures.signedRoot(skip, ROOT_1, ROOT_2)), roots));
        assertEquals(1, e.current());
        assertEquals(3, e.offered());
        // the same version again
        TrustRoot same = Fixtures.root(1, Optional.empty(), List.of(ROOT_1), 1);
        assertThrows(RootVersionException.class, () -> verifier.rotate(parse(Fixtures.signedRoot(same, ROOT_1)), roots));
        // a policy envelope is no root
        assertThrows(WrongPayloadTypeException.class, () -> verifier.rotate(signed(ROOT_1), roots));
        // an expired new root rotates (the chain may pass old roots) but may not be the root in force
        TrustRoot expired = Fixtures.root(2, Optional.of(Instant.parse("2020-01-01T00:00:00Z")), List.of(ROOT_2), 1);
        TrustVerifier old = verifier.rotate(parse(Fixtures.signedRoot(expired, ROOT_1, ROOT_2)), roots);
        assertThrows(ExpiredException.class, () -> old.requireNotExpired(NOW));
    }

    private static Envelope parse(byte[] json) throws Exception {
        return new EnvelopeCodec(1 << 20, 16).parse(json);
    }
}
