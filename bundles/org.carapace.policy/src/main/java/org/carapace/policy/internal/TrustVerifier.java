package org.carapace.policy.internal;

import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.bouncycastle.crypto.params.AsymmetricKeyParameter;
import org.carapace.api.trust.BadSignatureException;
import org.carapace.api.trust.Envelope;
import org.carapace.api.trust.EnvelopeSignature;
import org.carapace.api.trust.ExpiredException;
import org.carapace.api.trust.KeyId;
import org.carapace.api.trust.Role;
import org.carapace.api.trust.RoleKeys;
import org.carapace.api.trust.RoleNotDefinedException;
import org.carapace.api.trust.RootVersionException;
import org.carapace.api.trust.ThresholdNotMetException;
import org.carapace.api.trust.TrustException;
import org.carapace.api.trust.TrustRoot;
import org.carapace.api.trust.TrustedKey;
import org.carapace.api.trust.UnknownKeyException;
import org.carapace.api.trust.VerifiedPayload;
import org.carapace.api.trust.WrongPayloadTypeException;

/**
 * Verifies envelopes against one trust root: k-of-n over distinct key ids, every signature of a role key must
 * verify, signatures by other keys never count. Its keys are decoded once. Immutable and thread-safe; a rotation
 * yields a new verifier.
 */
public final class TrustVerifier {

    private final TrustRoot root;
    private final Map<KeyId, AsymmetricKeyParameter> decoded = new HashMap<>();

    /** @throws IllegalArgumentException when a key of the root does not decode (a root parsed by RootCodec always does) */
    public TrustVerifier(TrustRoot root) {
        this.root = root;
        for (TrustedKey key : root.keys().values()) {
            decoded.put(key.id(), PublicKeys.decode(key.algorithm(), key.subjectPublicKeyInfo()));
        }
    }

    public TrustRoot root() {
        return root;
    }

    /**
     * Verifies an envelope for a role at {@code now}.
     *
     * @see org.carapace.api.trust.TrustService#verify(Envelope, Role, String)
     */
    public VerifiedPayload verify(Envelope envelope, Role role, String payloadType, Instant now) throws TrustException {
        requireType(envelope, payloadType);
        if (root.expiredAt(now)) {
            throw new ExpiredException("trust root v" + root.version(), root.expires().orElseThrow(), now);
        }
        RoleKeys keys = root.role(role).orElseThrow(() -> new RoleNotDefinedException(role));
        Set<KeyId> unknown = new TreeSet<>();
        Set<KeyId> verified = count(envelope, role, keys, unknown);
        requireThreshold(role, keys.threshold(), verified, unknown);
        return new VerifiedPayload(role, payloadType, envelope.payload(), verified, root.version());
    }

    /**
     * Verifies a root document as the first root of a device: it must meet its own root-role threshold. Expiry is the
     * caller's to check ({@link #requireNotExpired}): a device walking its chain of roots only cares about the last.
     *
     * @return a verifier for the new root
     */
    public static TrustVerifier bootstrap(Envelope envelope, RootCodec codec) throws TrustException {
        requireType(envelope, TrustRoot.PAYLOAD_TYPE);
        TrustVerifier next = new TrustVerifier(codec.parse(envelope.payload()));
        RoleKeys keys = next.root.roles().get(Role.ROOT);
        Set<KeyId> unknown = new TreeSet<>();
        requireThreshold(Role.ROOT, keys.threshold(), next.count(envelope, Role.ROOT, keys, unknown), unknown);
        return next;
    }

    /**
     * Verifies a rotation to the next root (TUF §5.3.4-5.3.5, Uptane §5.4.4.3): signed by the root-role threshold of
     * this root <em>and</em> of the new one, version exactly this one's plus one. Neither root's expiry matters here
     * (rotation is the way out of an expired root); the caller checks the final root's ({@link #requireNotExpired}).
     *
     * @return a verifier for the new root
     */
    public TrustVerifier rotate(Envelope envelope, RootCodec codec) throws TrustException {
        requireType(envelope, TrustRoot.PAYLOAD_TYPE);
        TrustVerifier next = new TrustVerifier(codec.parse(envelope.payload()));
        RoleKeys oldKeys = root.roles().get(Role.ROOT);
        RoleKeys newKeys = next.root.roles().get(Role.ROOT);
        // a signature counts for the old root, the new one, or both; only one in neither is unknown
        Set<KeyId> unknown = new TreeSet<>();
        for (EnvelopeSignature signature : envelope.signatures()) {
            if (!oldKeys.keyIds().contains(signature.keyId()) && !newKeys.keyIds().contains(signature.keyId())) {
                unknown.add(signature.keyId());
            }
        }
        requireThreshold(Role.ROOT, oldKeys.threshold(), count(envelope, Role.ROOT, oldKeys, new TreeSet<>()), unknown);
        if (next.root.version() != root.version() + 1) {
            throw new RootVersionException(root.version(), next.root.version());
        }
        requireThreshold(Role.ROOT, newKeys.threshold(), next.count(envelope, Role.ROOT, newKeys, new TreeSet<>()), unknown);
        return next;
    }

    /** Refuses this verifier's root if it has expired at {@code now}. */
    public void requireNotExpired(Instant now) throws ExpiredException {
        if (root.expiredAt(now)) {
            throw new ExpiredException("trust root v" + root.version(), root.expires().orElseThrow(), now);
        }
    }

    /** The distinct role keys whose signatures verify; fails on the first role-key signature that does not. */
    private Set<KeyId> count(Envelope envelope, Role role, RoleKeys keys, Set<KeyId> unknown) throws BadSignatureException {
        byte[] pae = envelope.preAuthenticationEncoding();
        Set<KeyId> verified = new TreeSet<>();
        for (EnvelopeSignature signature : envelope.signatures()) {
            KeyId id = signature.keyId();
            if (!keys.keyIds().contains(id)) {
                unknown.add(id);
                continue;
            }
            TrustedKey key = root.keys().get(id);
            if (!PublicKeys.verify(key.algorithm(), decoded.get(id), pae, signature.signature())) {
                throw new BadSignatureException(role, id);
            }
            verified.add(id); // a set: the same key signing twice counts once
        }
        return verified;
    }

    private static void requireThreshold(Role role, int threshold, Set<KeyId> verified, Set<KeyId> unknown)
        throws TrustException {
        if (verified.size() >= threshold) {
            return;
        }
        if (!unknown.isEmpty()) {
            throw new UnknownKeyException(role, unknown);
        }
        throw new ThresholdNotMetException(role, threshold, verified);
    }

    private static void requireType(Envelope envelope, String payloadType) throws WrongPayloadTypeException {
        if (!envelope.payloadType().equals(payloadType)) {
            throw new WrongPayloadTypeException(payloadType, envelope.payloadType());
        }
    }
}
