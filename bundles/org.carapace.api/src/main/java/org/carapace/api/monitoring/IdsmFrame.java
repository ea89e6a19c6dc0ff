package org.carapace.api.monitoring;

import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.Arrays;
import java.util.Objects;

/**
 * An event in the binary AUTOSAR IDS protocol (the IdsM "qualified security event" as sent to an IdsR), for back
 * ends that expect it. The encoding is big-endian, frames in this order:
 *
 * <ol>
 *   <li>event frame, 8 bytes: protocol version (high nibble of byte 0) and flags (low nibble: bit 0 context data,
 *       bit 1 timestamp, bit 2 signature); IdsM instance id (10 bit) {@code << 6 |} sensor instance id (6 bit) in
 *       bytes 1–2; event definition id in bytes 3–4; count in bytes 5–6; byte 7 reserved (0);</li>
 *   <li>timestamp frame, 8 bytes, when flag bit 1 is set: bit 63 the source (0 AUTOSAR time base, 1 OEM),
 *       bit 62 reserved (0), bits 61–32 nanoseconds (30 bit), bits 31–0 seconds;</li>
 *   <li>context data, when flag bit 0 is set: its length in 1 byte when below 128, else in 4 bytes with the top
 *       bit set, then the bytes.</li>
 * </ol>
 * Carapace never sets the signature flag (the {@link EventEnvelope} authenticates the whole event) and refuses to
 * decode frames that carry one. Example (version 1, context and timestamp, IdsM 1, sensor 0, event 0x8001,
 * count 3): event frame {@code 13 0040 8001 0003 00}.
 *
 * @param protocolVersion 0 to 15; the value a given AUTOSAR release uses is configuration
 * @param idsmInstanceId 0 to 1023
 * @param sensorInstanceId 0 to 63
 * @param eventId 0 to 0xFFFE
 * @param count 1 to 65535
 * @param timestamp the timestamp frame, or {@code null}
 * @param contextData the opaque context data (copied in and out), or {@code null}
 */
public record IdsmFrame(int protocolVersion, int idsmInstanceId, int sensorInstanceId, int eventId, int count,
                        Timestamp timestamp, byte[] contextData) {

    public static final int FLAG_CONTEXT = 0x1;
    public static final int FLAG_TIMESTAMP = 0x2;
    public static final int FLAG_SIGNATURE = 0x4;
    /** Size of the event frame and of the timestamp frame. */
    public static final int FRAME_BYTES = 8;

    public IdsmFrame {
        range("protocolVersion", protocolVersion, 0, 15);
        range("idsmInstanceId", idsmInstanceId, 0, 1023);
        range("sensorInstanceId", sensorInstanceId, 0, 63);
        range("eventId", eventId, 0, QualifiedEvent.MAX_EVENT_ID);
        range("count", count, 1, QualifiedEvent.MAX_COUNT);
        contextData = contextData == null ? null : contextData.clone();
    }

    private static void range(String name, long value, long min, long max) {
        if (value < min || value > max) {
            throw new IllegalArgumentException("IdsM " + name + " must be " + min + " to " + max + ", was " + value);
        }
    }

    @Override
    public byte[] contextData() {
        return contextData == null ? null : contextData.clone();
    }

    /** This frame with another count. */
    public IdsmFrame withCount(int newCount) {
        return new IdsmFrame(protocolVersion, idsmInstanceId, sensorInstanceId, eventId, newCount, timestamp, contextData);
    }

    /** The flags nibble this frame encodes with. */
    public int flags() {
        return (contextData != null ? FLAG_CONTEXT : 0) | (timestamp != null ? FLAG_TIMESTAMP : 0);
    }

    /** The encoded frames: event frame, then the timestamp and context data frames when present. */
    public byte[] encode() {
        int length = FRAME_BYTES + (timestamp != null ? FRAME_BYTES : 0);
        if (contextData != null) {
            length += (contextData.length < 128 ? 1 : 4) + contextData.length;
        }
        ByteBuffer out = ByteBuffer.allocate(length);
        out.put((byte) (protocolVersion << 4 | flags()));
        out.putShort((short) (idsmInstanceId << 6 | sensorInstanceId));
        out.putShort((short) eventId);
        out.putShort((short) count);
        out.put((byte) 0);
        if (timestamp != null) {
            out.putLong(timestamp.encode());
        }
        if (contextData != null) {
            if (contextData.length < 128) {
                out.put((byte) contextData.length);
            } else {
                out.putInt(0x8000_0000 | contextData.length);
            }
            out.put(contextData);
        }
        return out.array();
    }

    /**
     * Decodes frames produced by {@link #encode()} (or by an IdsM with the same layout).
     *
     * @throws MalformedEventException when the bytes are short, have trailing data, set a reserved bit, or carry a
     *                                 signature (not supported)
     */
    public static IdsmFrame decode(byte[] frames) throws MalformedEventException {
        if (frames == null || frames.length < FRAME_BYTES) {
            throw new MalformedEventException("idsm", "an event frame needs 8 bytes, got " + (frames == null ? 0 : frames.length));
        }
        ByteBuffer in = ByteBuffer.wrap(frames);
        int first = in.get() & 0xFF;
        int version = first >>> 4;
        int flags = first & 0xF;
        if ((flags & FLAG_SIGNATURE) != 0) {
            throw new MalformedEventException("idsm", "signature frames are not supported");
        }
        if ((flags & 0x8) != 0) {
            throw new MalformedEventException("idsm", "reserved flag bit 3 is set");
        }
        int instances = in.getShort() & 0xFFFF;
        int eventId = in.getShort() & 0xFFFF;
        int count = in.getShort() & 0xFFFF;
        if (in.get() != 0) {
            throw new MalformedEventException("idsm", "reserved byte 7 of the event frame is not 0");
        }
        if (eventId == 0xFFFF || count == 0) {
            throw new MalformedEventException("idsm", "event id 0xFFFF (invalid) or count 0");
        }
        Timestamp timestamp = null;
        if ((flags & FLAG_TIMESTAMP) != 0) {
            if (in.remaining() < FRAME_BYTES) {
                throw new MalformedEventException("idsm", "the timestamp flag is set but the timestamp frame is missing");
            }
            timestamp = Timestamp.decode(in.getLong());
        }
        byte[] context = null;
        if ((flags & FLAG_CONTEXT) != 0) {
            if (!in.hasRemaining()) {
                throw new MalformedEventException("idsm", "the context flag is set but the context data is missing");
            }
            int length = in.get(in.position()) & 0xFF;
            if (length < 128) {
                in.get();
            } else {
                if (in.remaining() < 4) {
                    throw new MalformedEventException("idsm", "context data length is truncated");
                }
                length = in.getInt() & 0x7FFF_FFFF;
            }
            if (length > in.remaining()) {
                throw new MalformedEventException("idsm", "context data claims " + length + " bytes, " + in.remaining() + " remain");
            }
            context = new byte[length];
            in.get(context);
        }
        if (in.hasRemaining()) {
            throw new MalformedEventException("idsm", in.remaining() + " bytes after the last frame");
        }
        return new IdsmFrame(version, instances >>> 6, instances & 0x3F, eventId, count, timestamp, context);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof IdsmFrame f && f.protocolVersion == protocolVersion && f.idsmInstanceId == idsmInstanceId
            && f.sensorInstanceId == sensorInstanceId && f.eventId == eventId && f.count == count
            && Objects.equals(f.timestamp, timestamp) && Arrays.equals(f.contextData, contextData);
    }

    @Override
    public int hashCode() {
        return Objects.hash(protocolVersion, idsmInstanceId, sensorInstanceId, eventId, count, timestamp)
            * 31 + Arrays.hashCode(contextData);
    }

    @Override
    public String toString() {
        return "IdsmFrame[v" + protocolVersion + " idsm=" + idsmInstanceId + " sensor=" + sensorInstanceId
            + " event=0x" + Integer.toHexString(eventId) + " count=" + count + " timestamp=" + timestamp
            + " context=" + (contextData == null ? "none" : contextData.length + " bytes") + "]";
    }

    /**
     * The IdsM timestamp frame.
     *
     * @param oemSource {@code true} when the time comes from an OEM time base (Carapace: the device's UTC clock),
     *                  {@code false} for the AUTOSAR (StbM) time base
     * @param seconds 0 to 2^32 - 1
     * @param nanoseconds 0 to 999,999,999
     */
    public record Timestamp(boolean oemSource, long seconds, int nanoseconds) {
        public Timestamp {
            range("timestamp seconds", seconds, 0, 0xFFFF_FFFFL);
            range("timestamp nanoseconds", nanoseconds, 0, 999_999_999);
        }

        /** The OEM-source timestamp of a UTC instant between 1970 and 2106. */
        public static Timestamp of(Instant instant) {
            return new Timestamp(true, instant.getEpochSecond(), instant.getNano());
        }

        long encode() {
            return (oemSource ? 1L << 63 : 0L) | ((long) nanoseconds << 32) | seconds;
        }

        static Timestamp decode(long bits) throws MalformedEventException {
            if ((bits & (1L << 62)) != 0) {
                throw new MalformedEventException("idsm", "reserved bit 62 of the timestamp frame is set");
            }
            int nanos = (int) ((bits >>> 32) & 0x3FFF_FFFF);
            if (nanos > 999_999_999) {
                throw new MalformedEventException("idsm", "timestamp nanoseconds " + nanos + " exceed 999,999,999");
            }
            return new Timestamp(bits < 0, bits & 0xFFFF_FFFFL, nanos);
        }
    }
}
