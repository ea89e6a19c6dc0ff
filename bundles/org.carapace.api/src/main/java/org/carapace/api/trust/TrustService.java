package org.carapace.api.trust;

import java.io.IOException;
import java.util.Optional;
import org.osgi.annotation.versioning.ProviderType;

/**
 * Verifies signed envelopes against the device's current trust root, and replaces that root by rotation.
 *
 * <p>One service is registered while the trust component is configured, even when the device has no root yet
 * (then {@link #root()} is empty and every verification fails with {@link NoTrustRootException}: fail closed).
 * Thread-safe: verifications run concurrently; a rotation is atomic, so a verification sees either the old or the
 * new root, never a mix. Changes of the root are announced to {@link TrustRootListener} services.
 */
@ProviderType
public interface TrustService {

    /** The root in force, if the device has one. */
    Optional<TrustRoot> root();

    /**
     * Parses an envelope from its JSON bytes, within the configured size, nesting and signature-count limits.
     * Duplicate object keys, trailing bytes after the object, unknown fields and non-canonical base64 are refused.
     *
     * @throws MalformedDocumentException (including {@link DocumentTooLargeException}) naming what was wrong
     */
    Envelope parse(byte[] envelopeJson) throws MalformedDocumentException;

    /**
     * Verifies a parsed envelope for a role: the payload type must equal {@code payloadType}; the root must not have
     * expired; every signature made by a key of the role must verify; and at least the role's threshold of
     * <em>distinct</em> role keys must have signed (a key that signs twice counts once). Signatures by keys that
     * are not keys of the role do not count; if the threshold is not met and such signatures are present, the
     * refusal is {@link UnknownKeyException}, otherwise {@link ThresholdNotMetException}.
     *
     * @return the verified payload; its bytes are the exact signed bytes
     * @throws NoTrustRootException when the device has no root
     * @throws ExpiredException when the root has expired
     * @throws RoleNotDefinedException when the root defines no keys for the role
     * @throws WrongPayloadTypeException when the envelope carries another payload type
     * @throws BadSignatureException when a signature of a role key does not verify
     * @throws UnknownKeyException when the threshold is not met and a signature names a key outside the role
     * @throws ThresholdNotMetException when fewer distinct role keys signed than the threshold
     */
    VerifiedPayload verify(Envelope envelope, Role role, String payloadType) throws TrustException;

    /** {@link #parse(byte[])} then {@link #verify(Envelope, Role, String)}. */
    default VerifiedPayload verify(byte[] envelopeJson, Role role, String payloadType) throws TrustException {
        return verify(parse(envelopeJson), role, payloadType);
    }

    /**
     * Installs a new root. With a root in force this is a rotation: the new root's version must be exactly the
     * current one plus one and its envelope must meet the {@link Role#ROOT} thresholds of both the current and the
     * new root. Without a root it is a bootstrap, accepted only if the configuration allows bootstrapping and the
     * document meets its own root threshold. The new root is written atomically before it takes effect; on any
     * failure the current root stays in force and nothing on disk changes.
     *
     * @param envelopeJson the new root's envelope
     * @return the root now in force
     * @throws TrustException when the new root is refused ({@link RootVersionException} for a version that is not
     *                        exactly one more, or any verification failure)
     * @throws IOException when it could not be stored; the current root stays in force
     */
    TrustRoot install(byte[] envelopeJson) throws TrustException, IOException;
}
