package org.carapace.api.monitoring;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.Arrays;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class IdsmFrameTest {

    private static final HexFormat HEX = HexFormat.of();

    @Test
    void eventFrameMatchesTheReferenceExample() {
        // REFERENCES.md, IDS protocol example: version 1, context + timestamp, IdsM 1, sensor 0, event 0x8001, count 3
        IdsmFrame frame = new IdsmFrame(1, 1, 0, 0x8001, 3, IdsmFrame.Timestamp.of(Instant.ofEpochSecond(1, 5)), new byte[] {42});
        byte[] encoded = frame.encode();
        assertEquals("1300408001000300", HEX.formatHex(encoded, 0, 8));
    }

    @Test
    void referenceEventFrameDecodes() throws MalformedEventException {
        IdsmFrame frame = IdsmFrame.decode(HEX.parseHex("1000408001000300"));
        assertEquals(1, frame.protocolVersion());
        assertEquals(1, frame.idsmInstanceId());
        assertEquals(0, frame.sensorInstanceId());
        assertEquals(0x8001, frame.eventId());
        assertEquals(3, frame.count());
        assertEquals(null, frame.timestamp());
        assertEquals(null, frame.contextData());
    }

    @Test
    void timestampFrameLayout() {
        IdsmFrame frame = new IdsmFrame(1, 1023, 63, 0x8060, 65535, new IdsmFrame.Timestamp(true, 0x01020304L, 999_999_999), null);
        byte[] encoded = frame.encode();
        assertEquals(16, encoded.length);
        assertEquals("12ffff8060ffff00", HEX.formatHex(encoded, 0, 8));
        // bit 63 source=OEM, bit 62 reserved, bits 61..32 nanoseconds (999,999,999 = 0x3B9AC9FF), bits 31..0 seconds
        assertEquals("bb9ac9ff01020304", HEX.formatHex(encoded, 8, 16));
    }

    @Test
    void shortAndLongContextLengths() throws MalformedEventException {
        byte[] small = new byte[127];
        byte[] large = new byte[128];
        Arrays.fill(large, (byte) 7);
        byte[] encodedSmall = new IdsmFrame(1, 1, 2, 0x8001, 1, null, small).encode();
        assertEquals(8 + 1 + 127, encodedSmall.length);
        assertEquals(127, encodedSmall[8]);
        byte[] encodedLarge = new IdsmFrame(1, 1, 2, 0x8001, 1, null, large).encode();
        assertEquals(8 + 4 + 128, encodedLarge.length);
        assertEquals("80000080", HEX.formatHex(encodedLarge, 8, 12));
        assertArrayEquals(large, IdsmFrame.decode(encodedLarge).contextData());
    }

    @Test
    void roundTrip() throws MalformedEventException {
        IdsmFrame frame = new IdsmFrame(2, 513, 17, 0x8002, 9, new IdsmFrame.Timestamp(false, 12345, 678), "{\"a\":1}".getBytes());
        assertEquals(frame, IdsmFrame.decode(frame.encode()));
    }

    @Test
    void truncatedContextIsRefused() {
        byte[] encoded = new IdsmFrame(1, 1, 0, 0x8001, 1, null, new byte[10]).encode();
        MalformedEventException e = assertThrows(MalformedEventException.class,
            () -> IdsmFrame.decode(Arrays.copyOf(encoded, encoded.length - 1)));
        assertTrue(e.getMessage().contains("claims 10 bytes"), e.getMessage());
    }

    @Test
    void signatureFlagIsRefused() {
        MalformedEventException e = assertThrows(MalformedEventException.class, () -> IdsmFrame.decode(HEX.parseHex("1400408001000300")));
        assertTrue(e.getMessage().contains("signature"), e.getMessage());
    }

    @Test
    void trailingBytesAndReservedBitsAreRefused() {
        assertThrows(MalformedEventException.class, () -> IdsmFrame.decode(HEX.parseHex("100040800100030000")));
        assertThrows(MalformedEventException.class, () -> IdsmFrame.decode(HEX.parseHex("1000408001000301")));
        assertThrows(MalformedEventException.class, () -> IdsmFrame.decode(HEX.parseHex("12004080010003004000000000000000")));
        assertThrows(MalformedEventException.class, () -> IdsmFrame.decode(HEX.parseHex("100040ffff000300")));
        assertThrows(MalformedEventException.class, () -> IdsmFrame.decode(HEX.parseHex("1000408001000000")));
    }

    @Test
    void outOfRangeFieldsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new IdsmFrame(16, 1, 0, 1, 1, null, null));
        assertThrows(IllegalArgumentException.class, () -> new IdsmFrame(1, 1024, 0, 1, 1, null, null));
        assertThrows(IllegalArgumentException.class, () -> new IdsmFrame(1, 1, 64, 1, 1, null, null));
        assertThrows(IllegalArgumentException.class, () -> new IdsmFrame(1, 1, 0, 1, 65536, null, null));
        assertThrows(IllegalArgumentException.class, () -> new IdsmFrame.Timestamp(true, 1L << 32, 0));
    }
}
