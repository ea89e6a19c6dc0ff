package org.carapace.secoc.internal;

/**
 * Bit-granular reads and writes, most significant bit first: bit 0 of a buffer is the most significant bit of its
 * first byte. This is how SecOC packs the truncated freshness value and the truncated MAC contiguously after the
 * authentic PDU, and how it aligns freshness values of odd lengths in byte arrays (the 10-bit value 0011010110b is
 * {@code 35 80}). No allocation.
 */
final class Bits {

    private Bits() {
    }

    /** Writes the {@code count} least significant bits of {@code value} at bit {@code bitPosition}, MSB first. */
    static void write(byte[] buffer, int bitPosition, long value, int count) {
        int position = bitPosition;
        int remaining = count;
        while (remaining > 0) {
            int index = position >>> 3;
            int used = position & 7;
            int free = 8 - used;
            int take = Math.min(free, remaining);
            int chunk = (int) ((value >>> (remaining - take)) & ((1L << take) - 1));
            int shift = free - take;
            int mask = ((1 << take) - 1) << shift;
            buffer[index] = (byte) ((buffer[index] & ~mask) | (chunk << shift));
            position += take;
            remaining -= take;
        }
    }

    /** Reads {@code count} (at most 64) bits at bit {@code bitPosition} as an unsigned number. */
    static long read(byte[] buffer, int bitPosition, int count) {
        long value = 0;
        int position = bitPosition;
        int remaining = count;
        while (remaining > 0) {
            int index = position >>> 3;
            int used = position & 7;
            int free = 8 - used;
            int take = Math.min(free, remaining);
            int chunk = ((buffer[index] & 0xFF) >>> (free - take)) & ((1 << take) - 1);
            value = (value << take) | chunk;
            position += take;
            remaining -= take;
        }
        return value;
    }

    /** Copies the first {@code count} bits of {@code source} (MSB first) to bit {@code bitPosition} of the target. */
    static void copyFrom(byte[] source, int sourceOffset, byte[] target, int bitPosition, int count) {
        int full = count >>> 3;
        for (int i = 0; i < full; i++) {
            write(target, bitPosition + 8 * i, source[sourceOffset + i] & 0xFF, 8);
        }
        int rest = count & 7;
        if (rest > 0) {
            write(target, bitPosition + 8 * full, (source[sourceOffset + full] & 0xFF) >>> (8 - rest), rest);
        }
    }

    /**
     * Copies {@code count} bits at bit {@code bitPosition} of {@code source} into {@code target}, MSB-aligned from
     * {@code target[0]}: the bits past {@code count} in the last byte are zero.
     */
    static void copyTo(byte[] source, int bitPosition, byte[] target, int count) {
        int full = count >>> 3;
        for (int i = 0; i < full; i++) {
            target[i] = (byte) read(source, bitPosition + 8 * i, 8);
        }
        int rest = count & 7;
        if (rest > 0) {
            target[full] = (byte) (read(source, bitPosition + 8 * full, rest) << (8 - rest));
        }
    }

    /**
     * Writes a value of {@code bits} bits MSB-aligned into {@code ceil(bits/8)} bytes at {@code offset}: the
     * freshness value in the data to authenticate.
     */
    static void writeAligned(byte[] buffer, int offset, long value, int bits) {
        int bytes = (bits + 7) >>> 3;
        long aligned = bits == 0 ? 0 : value << (8 * bytes - bits);
        for (int i = bytes - 1; i >= 0; i--) {
            buffer[offset + i] = (byte) aligned;
            aligned >>>= 8;
        }
    }

    /** Reads an MSB-aligned value of {@code bits} bits from {@code ceil(bits/8)} bytes. */
    static long readAligned(byte[] buffer, int offset, int bits) {
        return read(buffer, 8 * offset, bits);
    }

    /**
     * Compares the first {@code count} bits of two MSB-aligned arrays in time that depends only on {@code count}.
     */
    static boolean equalBits(byte[] a, int aOffset, byte[] b, int bOffset, int count) {
        int diff = 0;
        int full = count >>> 3;
        for (int i = 0; i < full; i++) {
            diff |= a[aOffset + i] ^ b[bOffset + i];
        }
        int rest = count & 7;
        if (rest > 0) {
            int mask = (0xFF << (8 - rest)) & 0xFF;
            diff |= (a[aOffset + full] ^ b[bOffset + full]) & mask;
        }
        return diff == 0;
    }

    /** The mask of the {@code bits} least significant bits (all ones for 64). */
    static long mask(int bits) {
        return bits >= 64 ? -1L : (1L << bits) - 1;
    }
}
