package org.carapace.policy.internal;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.carapace.api.trust.Envelope;
import org.carapace.api.trust.EnvelopeSignature;
import org.carapace.api.trust.KeyId;
import org.carapace.api.trust.MalformedDocumentException;
import org.carapace.api.trust.TrustException.Reason;

/**
 * The JSON form of a DSSE envelope: {@code {"payload": base64, "payloadType": string, "signatures": [{"keyid":
 * hex, "sig": base64}]}} (DSSE envelope.md). Reading is strict: standard base64 with padding in its one canonical
 * form, key ids in the {@link KeyId} form, no other fields, at most a configured number of signatures.
 *
 * <p>Immutable and thread-safe.
 */
public final class EnvelopeCodec {

    private static final String DOCUMENT = "envelope";

    private final StrictJson json;
    private final int maxSignatures;

    /**
     * @param maxBytes largest envelope accepted
     * @param maxSignatures most signatures accepted in one envelope
     */
    public EnvelopeCodec(long maxBytes, int maxSignatures) {
        if (maxSignatures < 1) {
            throw new IllegalArgumentException("maxSignatures must be at least 1, was " + maxSignatures);
        }
        this.json = new StrictJson(maxBytes, 4);
        this.maxSignatures = maxSignatures;
    }

    public long maxBytes() {
        return json.maxBytes();
    }

    /** Parses an envelope; nothing in it is verified yet. */
    public Envelope parse(byte[] bytes) throws MalformedDocumentException {
        Fields top = Fields.of(DOCUMENT, json.parseObject(bytes, DOCUMENT));
        byte[] payload = base64(top, "payload", top.string("payload"));
        String payloadType = top.string("payloadType");
        List<EnvelopeSignature> signatures = new ArrayList<>();
        for (Fields entry : top.objects("signatures", true, maxSignatures)) {
            String keyId = entry.string("keyid");
            if (!KeyId.isValid(keyId)) {
                throw entry.error("keyid", "must be 64 lowercase hex characters (SHA-256 of the public key)");
            }
            byte[] sig = base64(entry, "sig", entry.string("sig"));
            if (sig.length == 0 || sig.length > 512) {
                throw entry.error("sig", "must hold 1 to 512 bytes, holds " + sig.length);
            }
            entry.end();
            signatures.add(new EnvelopeSignature(new KeyId(keyId), sig));
        }
        top.end();
        try {
            return new Envelope(payloadType, payload, signatures);
        } catch (IllegalArgumentException e) {
            throw new MalformedDocumentException(Reason.SCHEMA, DOCUMENT, "payloadType: " + e.getMessage());
        }
    }

    private static byte[] base64(Fields fields, String field, String text) throws MalformedDocumentException {
        byte[] decoded;
        try {
            decoded = Base64.getDecoder().decode(text);
        } catch (IllegalArgumentException e) {
            throw fields.error(field, "is not base64: " + e.getMessage());
        }
        // one encoding per value: padding present, no stray bits (RFC 4648 §3.5)
        if (!Base64.getEncoder().encodeToString(decoded).equals(text)) {
            throw fields.error(field, "is not canonical base64 (standard alphabet, with padding)");
        }
        return decoded;
    }

    /** The envelope as compact JSON with a final newline. */
    public static byte[] write(Envelope envelope) {
        ObjectNode top = StrictJson.object();
        top.put("payload", Base64.getEncoder().encodeToString(envelope.payload()));
        top.put("payloadType", envelope.payloadType());
        ArrayNode signatures = top.putArray("signatures");
        for (EnvelopeSignature signature : envelope.signatures()) {
            ObjectNode entry = signatures.addObject();
            entry.put("keyid", signature.keyId().hex());
            entry.put("sig", Base64.getEncoder().encodeToString(signature.signature()));
        }
        return StrictJson.writeCompact(top);
    }

    /**
     * Signs a payload with each key, over the DSSE pre-authentication encoding; a key given twice signs once.
     */
    public static Envelope sign(String payloadType, byte[] payload, List<SigningKey> keys) {
        byte[] pae = Envelope.preAuthenticationEncoding(payloadType, payload);
        List<EnvelopeSignature> signatures = new ArrayList<>();
        List<KeyId> seen = new ArrayList<>();
        for (SigningKey key : keys) {
            if (!seen.contains(key.keyId())) {
                seen.add(key.keyId());
                signatures.add(new EnvelopeSignature(key.keyId(), key.sign(pae)));
            }
        }
        return new Envelope(payloadType, payload, signatures);
    }
}
