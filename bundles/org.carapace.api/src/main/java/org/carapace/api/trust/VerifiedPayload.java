package org.carapace.api.trust;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Collections;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * The payload of an envelope that met the threshold of a role. Only this form of a payload may be trusted; it
 * still has to be parsed and checked for version, expiry and device binding by its consumer.
 *
 * @param role the role the signatures were checked for
 * @param payloadType the envelope's payload type (as required by the caller)
 * @param payload the exact signed bytes; copied in and out
 * @param signers the distinct keys of the role whose signatures verified, at least the threshold; copied
 * @param rootVersion the version of the trust root that verified it
 */
public record VerifiedPayload(Role role, String payloadType, byte[] payload, Set<KeyId> signers, long rootVersion) {

    public VerifiedPayload {
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(payloadType, "payloadType");
        Objects.requireNonNull(payload, "payload");
        payload = payload.clone();
        signers = Collections.unmodifiableSet(new TreeSet<>(signers));
        if (signers.isEmpty()) {
            throw new IllegalArgumentException("a verified payload has at least one signer");
        }
    }

    @Override
    public byte[] payload() {
        return payload.clone();
    }

    /** The payload as a read-only view, without copying it (large documents). */
    public ByteBuffer payloadBuffer() {
        return ByteBuffer.wrap(payload).asReadOnlyBuffer();
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof VerifiedPayload that && role == that.role && payloadType.equals(that.payloadType)
            && Arrays.equals(payload, that.payload) && signers.equals(that.signers) && rootVersion == that.rootVersion;
    }

    @Override
    public int hashCode() {
        return Objects.hash(role, payloadType, Arrays.hashCode(payload), signers, rootVersion);
    }

    @Override
    public String toString() {
        return "VerifiedPayload[" + role + ", " + payloadType + ", " + payload.length + " bytes, signers " + signers.size()
            + ", root v" + rootVersion + "]";
    }
}
