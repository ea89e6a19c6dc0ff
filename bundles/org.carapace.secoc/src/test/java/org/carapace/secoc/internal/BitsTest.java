package org.carapace.secoc.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.util.Random;
import org.junit.jupiter.api.Test;

class BitsTest {

    @Test
    void freshnessByteArraysAreMsbAligned() {
        byte[] b = new byte[2];
        Bits.writeAligned(b, 0, 0b0011010110, 10);
        assertEquals("3580", Fixtures.hex(b)); // REFERENCES: the 10-bit value 0011010110b is 35 80
        assertEquals(0b0011010110, Bits.readAligned(b, 0, 10));
    }

    @Test
    void fourBitFreshnessAndTwentyEightBitMacShareOneThirtyTwoBitTrailer() {
        byte[] trailer = new byte[4];
        Bits.write(trailer, 0, 0x9, 4);
        Bits.copyFrom(Fixtures.hex("e9e0a8c2"), 0, trailer, 4, 28);
        assertEquals("9e9e0a8c", Fixtures.hex(trailer));
        assertEquals(0x9, Bits.read(trailer, 0, 4));
        byte[] mac = new byte[4];
        Bits.copyTo(trailer, 4, mac, 28);
        assertEquals("e9e0a8c0", Fixtures.hex(mac), "28 bits MSB-aligned, the rest zero");
    }

    /** Every offset 0..23 and length 0..64 against a BigInteger model of the bit string. */
    @Test
    void writeAndReadAgreeWithABigIntegerModelAtEveryOffsetAndLength() {
        Random random = new Random(4493);
        for (int offset = 0; offset < 24; offset++) {
            for (int count = 0; count <= 64; count++) {
                byte[] buffer = new byte[12];
                random.nextBytes(buffer);
                byte[] before = buffer.clone();
                long value = random.nextLong() & Bits.mask(count);
                Bits.write(buffer, offset, value, count);
                assertEquals(value, Bits.read(buffer, offset, count), "offset " + offset + " count " + count);
                BigInteger expected = new BigInteger(1, before);
                int total = 8 * buffer.length;
                for (int i = 0; i < count; i++) {
                    int bitFromLeft = offset + i;
                    boolean bit = ((value >>> (count - 1 - i)) & 1) == 1;
                    expected = bit ? expected.setBit(total - 1 - bitFromLeft) : expected.clearBit(total - 1 - bitFromLeft);
                }
                assertEquals(expected, new BigInteger(1, buffer), "neighbouring bits untouched, offset " + offset + " count " + count);
            }
        }
    }

    @Test
    void equalBitsIgnoresOnlyTheBitsPastTheLength() {
        byte[] a = Fixtures.hex("abcdef");
        byte[] b = Fixtures.hex("abcdee");
        assertTrue(Bits.equalBits(a, 0, b, 0, 23));
        assertFalse(Bits.equalBits(a, 0, b, 0, 24));
        assertTrue(Bits.equalBits(a, 0, Fixtures.hex("abcd00"), 0, 16));
        assertFalse(Bits.equalBits(a, 0, Fixtures.hex("abcc00"), 0, 16));
    }
}
