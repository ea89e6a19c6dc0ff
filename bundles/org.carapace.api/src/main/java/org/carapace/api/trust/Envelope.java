package org.carapace.api.trust;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * A DSSE envelope (in-toto/sigstore Dead Simple Signing Envelope): a payload, its type, and signatures over the
 * pre-authentication encoding of both. On the wire it is the JSON object
 * {@code {"payload": base64, "payloadType": string, "signatures": [{"keyid": hex, "sig": base64}]}}.
 *
 * <p>This record is the parsed, <em>unverified</em> form: nothing in it is trusted until
 * {@link TrustService#verify(Envelope, Role, String)} has accepted it.
 *
 * @param payloadType the payload's media type, printable ASCII; covered by the signatures
 * @param payload the exact payload bytes that were signed; copied in and out
 * @param signatures the signatures, in envelope order; copied
 */
public record Envelope(String payloadType, byte[] payload, List<EnvelopeSignature> signatures) {

    public Envelope {
        Objects.requireNonNull(payloadType, "payloadType");
        Objects.requireNonNull(payload, "payload");
        Objects.requireNonNull(signatures, "signatures");
        if (payloadType.isEmpty() || !payloadType.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
            throw new IllegalArgumentException("a payload type is non-empty printable ASCII without spaces");
        }
        payload = payload.clone();
        signatures = List.copyOf(signatures);
    }

    @Override
    public byte[] payload() {
        return payload.clone();
    }

    /** The number of payload bytes, without copying them. */
    public int payloadLength() {
        return payload.length;
    }

    /** The payload as a read-only view, without copying it (large documents). */
    public ByteBuffer payloadBuffer() {
        return ByteBuffer.wrap(payload).asReadOnlyBuffer();
    }

    /**
     * The bytes every signature covers: DSSE v1 {@code PAE(type, body) = "DSSEv1" SP LEN(type) SP type SP LEN(body)
     * SP body}, lengths as ASCII decimal byte counts (DSSE protocol.md, "Signature definition").
     */
    public byte[] preAuthenticationEncoding() {
        return preAuthenticationEncoding(payloadType, payload);
    }

    /** {@code PAE(type, body)} for any type and body; see {@link #preAuthenticationEncoding()}. */
    public static byte[] preAuthenticationEncoding(String payloadType, byte[] body) {
        byte[] type = payloadType.getBytes(StandardCharsets.UTF_8);
        byte[] header = ("DSSEv1 " + type.length + " " + payloadType + " " + body.length + " ").getBytes(StandardCharsets.UTF_8);
        byte[] pae = Arrays.copyOf(header, header.length + body.length);
        System.arraycopy(body, 0, pae, header.length, body.length);
        return pae;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof Envelope that && payloadType.equals(that.payloadType)
            && Arrays.equals(payload, that.payload) && signatures.equals(that.signatures);
    }

    @Override
    public int hashCode() {
        return Objects.hash(payloadType, Arrays.hashCode(payload), signatures);
    }

    @Override
    public String toString() {
        return "Envelope[" + payloadType + ", " + payload.length + " bytes, " + signatures.size() + " signatures]";
    }
}
