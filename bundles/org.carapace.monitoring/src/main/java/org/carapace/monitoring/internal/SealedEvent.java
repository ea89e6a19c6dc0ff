package org.carapace.monitoring.internal;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.carapace.api.monitoring.EventCodec;
import org.carapace.api.monitoring.EventEnvelope;

/**
 * How the journal stores an authenticated event: the event JSON and its authenticator as bytes, not the base64
 * envelope that goes on the wire. A third smaller on disk (a million events queued offline is the design case),
 * and the base64 work moves from the reporting threads to the publisher.
 *
 * <pre>key id length (1) | key id (ASCII) | authenticator length (1) | authenticator | event JSON</pre>
 * The payload type is always {@link EventCodec#PAYLOAD_TYPE}. The journal's CRC protects these bytes.
 */
final class SealedEvent {

    private static final byte[] PAYLOAD_TYPE = EventCodec.PAYLOAD_TYPE.getBytes(StandardCharsets.US_ASCII);
    /** Bytes of the envelope JSON around its variable parts (see {@link EventEnvelope#toJson()}). */
    private static final int ENVELOPE_FRAME =
        "{\"payloadType\":\"\",\"payload\":\"\",\"signatures\":[{\"keyid\":\"\",\"sig\":\"\"}]}".length();

    private SealedEvent() {
    }

    static byte[] encode(EventEnvelope envelope) {
        byte[] keyId = envelope.keyId().getBytes(StandardCharsets.US_ASCII);
        byte[] tag = envelope.signature();
        byte[] json = envelope.payload();
        if (keyId.length > 255 || tag.length > 255) {
            throw new IllegalArgumentException("key id or authenticator too long for the journal");
        }
        return ByteBuffer.allocate(2 + keyId.length + tag.length + json.length)
            .put((byte) keyId.length).put(keyId).put((byte) tag.length).put(tag).put(json).array();
    }

    /** The envelope to publish. */
    static EventEnvelope decode(byte[] sealed) {
        ByteBuffer in = ByteBuffer.wrap(sealed);
        byte[] keyId = new byte[in.get() & 0xFF];
        in.get(keyId);
        byte[] tag = new byte[in.get() & 0xFF];
        in.get(tag);
        byte[] json = new byte[in.remaining()];
        in.get(json);
        return new EventEnvelope(EventCodec.PAYLOAD_TYPE, json, new String(keyId, StandardCharsets.US_ASCII), tag);
    }

    /** The size of the envelope JSON on the wire, without building it (for the traffic limit). */
    static int wireLength(EventEnvelope envelope) {
        return ENVELOPE_FRAME + PAYLOAD_TYPE.length + base64Length(envelope.payload().length) + envelope.keyId().length()
            + base64Length(envelope.signature().length);
    }

    private static int base64Length(int bytes) {
        return 4 * ((bytes + 2) / 3);
    }
}
