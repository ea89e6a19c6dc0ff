package org.carapace.api.monitoring;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.io.JsonStringEncoder;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.Objects;

/**
 * An authenticated event as it travels over MQTT: a DSSE envelope (the signed-envelope format of in-toto and
 * sigstore) holding the exact bytes of the encoded event and one authenticator over them.
 *
 * <pre>{@code {"payloadType":"application/vnd.carapace.event.v1+json","payload":"<base64>",
 *  "signatures":[{"keyid":"hmac-sha256:0f1e2d3c4b5a6978","sig":"<base64>"}]}}</pre>
 *
 * <p>The authenticator covers {@link #pae(String, byte[]) PAE(payloadType, payload)}, never re-serialised JSON, so
 * no canonical form is needed. Carapace writes and accepts exactly one signature.
 *
 * @param payloadType the DSSE payload type, {@link EventCodec#PAYLOAD_TYPE} for events
 * @param payload the encoded event (copied in and out)
 * @param keyId the id of the key that made the authenticator
 * @param signature the authenticator: an HMAC-SHA-256 tag (32 bytes) for the {@code hmac-sha256} scheme
 */
public record EventEnvelope(String payloadType, byte[] payload, String keyId, byte[] signature) {

    /** Longest key id accepted. */
    public static final int MAX_KEY_ID_CHARS = 128;

    public EventEnvelope {
        Objects.requireNonNull(payloadType, "payloadType");
        if (payloadType.isEmpty() || payloadType.length() > 128) {
            throw new IllegalArgumentException("payloadType must be 1 to 128 characters");
        }
        payload = Objects.requireNonNull(payload, "payload").clone();
        if (keyId == null || keyId.isEmpty() || keyId.length() > MAX_KEY_ID_CHARS) {
            throw new IllegalArgumentException("keyid must be 1 to " + MAX_KEY_ID_CHARS + " characters");
        }
        signature = Objects.requireNonNull(signature, "signature").clone();
        if (signature.length == 0 || signature.length > 512) {
            throw new IllegalArgumentException("sig must be 1 to 512 bytes, was " + signature.length);
        }
    }

    @Override
    public byte[] payload() {
        return payload.clone();
    }

    @Override
    public byte[] signature() {
        return signature.clone();
    }

    /**
     * DSSE pre-authentication encoding: {@code "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body}, lengths in
     * ASCII decimal bytes (DSSE protocol, "Signature definition").
     */
    public static byte[] pae(String payloadType, byte[] payload) {
        byte[] type = payloadType.getBytes(StandardCharsets.UTF_8);
        byte[] header = ("DSSEv1 " + type.length + " " + payloadType + " " + payload.length + " ").getBytes(StandardCharsets.UTF_8);
        byte[] pae = Arrays.copyOf(header, header.length + payload.length);
        System.arraycopy(payload, 0, pae, header.length, payload.length);
        return pae;
    }

    /** The envelope as compact JSON, the MQTT payload of an event message. */
    public byte[] toJson() {
        // written by hand: the base64 members need no escaping, and a generic JSON writer checking each of their
        // characters was the largest cost of sealing an event
        byte[] type = JsonStringEncoder.getInstance().quoteAsUTF8(payloadType);
        byte[] id = JsonStringEncoder.getInstance().quoteAsUTF8(keyId);
        byte[] body = Base64.getEncoder().encode(payload);
        byte[] sig = Base64.getEncoder().encode(signature);
        byte[] out = new byte[PREFIX.length + type.length + PAYLOAD.length + body.length + KEYID.length + id.length + SIG.length
            + sig.length + SUFFIX.length];
        int at = 0;
        for (byte[] part : new byte[][] {PREFIX, type, PAYLOAD, body, KEYID, id, SIG, sig, SUFFIX}) {
            System.arraycopy(part, 0, out, at, part.length);
            at += part.length;
        }
        return out;
    }

    private static final byte[] PREFIX = ascii("{\"payloadType\":\"");
    private static final byte[] PAYLOAD = ascii("\",\"payload\":\"");
    private static final byte[] KEYID = ascii("\",\"signatures\":[{\"keyid\":\"");
    private static final byte[] SIG = ascii("\",\"sig\":\"");
    private static final byte[] SUFFIX = ascii("\"}]}");

    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * Reads an envelope.
     *
     * @throws MalformedEventException when it is not a DSSE envelope with exactly one signature
     */
    public static EventEnvelope fromJson(byte[] json) throws MalformedEventException {
        String type = null;
        byte[] body = null;
        String keyId = null;
        byte[] sig = null;
        int signatures = 0;
        try (JsonParser parser = Json.parser("envelope", json)) {
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String member = parser.currentName();
                parser.nextToken();
                switch (member) {
                    case "payloadType" -> type = Json.text(parser, "envelope.payloadType");
                    case "payload" -> body = Json.base64(parser, "envelope.payload");
                    case "signatures" -> {
                        if (parser.currentToken() != JsonToken.START_ARRAY) {
                            throw new MalformedEventException("envelope.signatures", "must be an array");
                        }
                        while (parser.nextToken() == JsonToken.START_OBJECT) {
                            signatures++;
                            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                                String field = parser.currentName();
                                parser.nextToken();
                                switch (field) {
                                    case "keyid" -> keyId = Json.text(parser, "envelope.signatures.keyid");
                                    case "sig" -> sig = Json.base64(parser, "envelope.signatures.sig");
                                    default -> parser.skipChildren();
                                }
                            }
                        }
                        if (parser.currentToken() != JsonToken.END_ARRAY) {
                            throw new MalformedEventException("envelope.signatures", "must hold objects");
                        }
                    }
                    default -> parser.skipChildren();
                }
            }
            Json.requireEnd("envelope", parser);
        } catch (IOException e) {
            throw new MalformedEventException("envelope", "not valid JSON: " + e.getMessage(), e);
        }
        if (type == null || body == null) {
            throw new MalformedEventException("envelope", "payloadType and payload are required");
        }
        if (signatures != 1 || keyId == null || sig == null) {
            throw new MalformedEventException("envelope.signatures", "must hold exactly one {keyid, sig}, had " + signatures);
        }
        try {
            return new EventEnvelope(type, body, keyId, sig);
        } catch (IllegalArgumentException e) {
            throw new MalformedEventException("envelope", e.getMessage(), e);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof EventEnvelope e && e.payloadType.equals(payloadType) && Arrays.equals(e.payload, payload)
            && e.keyId.equals(keyId) && Arrays.equals(e.signature, signature);
    }

    @Override
    public int hashCode() {
        return Objects.hash(payloadType, keyId) * 31 + Arrays.hashCode(payload);
    }

    @Override
    public String toString() {
        return "EventEnvelope[" + payloadType + ", " + payload.length + " bytes, keyid=" + keyId + "]";
    }
}
