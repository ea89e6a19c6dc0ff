package org.carapace.policy.internal;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.carapace.api.io.StrictJson;
import org.carapace.api.trust.Envelope;
import org.carapace.api.trust.EnvelopeSignature;
import org.carapace.api.trust.KeyId;
import org.carapace.api.trust.MalformedDocumentException;
import org.carapace.api.trust.TrustException.Reason;

/**
 * The JSON form of a DSSE envelope: {@code {"payload": base64, "payloadType": string, "signatures": [{"keyid":
 * hex, "sig": base64}]}} (DSSE envelope.md). Reading is strict: standard base64 with padding (signatures also in
 * their one canonical form), key ids in the {@link KeyId} form, no other fields, at most a configured number of
 * signatures.
 *
 * <p>Immutable and thread-safe.
 */
public final class EnvelopeCodec {

    private static final String DOCUMENT = "envelope";

    private final long maxBytes;
    private final JsonFactory factory;
    private final int maxSignatures;

    /**
     * @param maxBytes largest envelope accepted
     * @param maxSignatures most signatures accepted in one envelope
     */
    public EnvelopeCodec(long maxBytes, int maxSignatures) {
        if (maxSignatures < 1) {
            throw new IllegalArgumentException("maxSignatures must be at least 1, was " + maxSignatures);
        }
        if (maxBytes < 64 || maxBytes > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("maxBytes must be between 64 and 2^31-17, was " + maxBytes);
        }
        this.maxBytes = maxBytes;
        this.factory = JsonCursor.factory(maxBytes, 4);
        this.maxSignatures = maxSignatures;
    }

    public long maxBytes() {
        return maxBytes;
    }

    /**
     * Parses an envelope; nothing in it is verified yet. Streaming: the payload is decoded from base64 as it is read,
     * so a large envelope costs its payload once, not a JSON tree.
     */
    public Envelope parse(byte[] bytes) throws MalformedDocumentException {
        byte[][] payload = new byte[1][];
        String[] payloadType = new String[1];
        List<EnvelopeSignature> signatures = new ArrayList<>();
        boolean[] sawSignatures = new boolean[1];
        try (JsonCursor cursor = JsonCursor.open(factory, maxBytes, bytes, DOCUMENT)) {
            cursor.object(JsonCursor.Path.ROOT, (name, path) -> {
                switch (name) {
                    case "payload" -> payload[0] = cursor.base64(path);
                    case "payloadType" -> payloadType[0] = cursor.string(path);
                    case "signatures" -> {
                        sawSignatures[0] = true;
                        cursor.array(path, maxSignatures, element -> signatures.add(signature(cursor, element)));
                    }
                    default -> throw cursor.schema(path, "is not a field of an envelope");
                }
            });
            cursor.finish();
            JsonCursor.Path root = JsonCursor.Path.ROOT;
            if (payload[0] == null) {
                throw cursor.schema(root.field("payload"), "is required");
            }
            if (payloadType[0] == null) {
                throw cursor.schema(root.field("payloadType"), "is required");
            }
            if (!sawSignatures[0]) {
                throw cursor.schema(root.field("signatures"), "is required");
            }
        }
        try {
            return new Envelope(payloadType[0], payload[0], signatures);
        } catch (IllegalArgumentException e) {
            throw new MalformedDocumentException(Reason.SCHEMA, DOCUMENT, "payloadType: " + e.getMessage());
        }
    }

    private static EnvelopeSignature signature(JsonCursor cursor, JsonCursor.Path at) throws MalformedDocumentException {
        String[] keyId = new String[1];
        byte[][] sig = new byte[1][];
        cursor.object(at, (name, path) -> {
            switch (name) {
                case "keyid" -> {
                    keyId[0] = cursor.string(path);
                    if (!KeyId.isValid(keyId[0])) {
                        throw cursor.schema(path, "must be 64 lowercase hex characters (SHA-256 of the public key)");
                    }
                }
                case "sig" -> {
                    sig[0] = canonicalBase64(cursor, path, cursor.string(path));
                    if (sig[0].length == 0 || sig[0].length > 512) {
                        throw cursor.schema(path, "must hold 1 to 512 bytes, holds " + sig[0].length);
                    }
                }
                default -> throw cursor.schema(path, "is not a field of a signature");
            }
        });
        if (keyId[0] == null) {
            throw cursor.schema(at.field("keyid"), "is required");
        }
        if (sig[0] == null) {
            throw cursor.schema(at.field("sig"), "is required");
        }
        return new EnvelopeSignature(new KeyId(keyId[0]), sig[0]);
    }

    private static byte[] canonicalBase64(JsonCursor cursor, JsonCursor.Path path, String text) throws MalformedDocumentException {
        byte[] decoded;
        try {
            decoded = Base64.getDecoder().decode(text);
        } catch (IllegalArgumentException e) {
            throw cursor.schema(path, "is not base64: " + e.getMessage());
        }
        // one encoding per value: padding present, no stray bits (RFC 4648 §3.5)
        if (!Base64.getEncoder().encodeToString(decoded).equals(text)) {
            throw cursor.schema(path, "is not canonical base64 (standard alphabet, with padding)");
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
