package org.carapace.secoc.internal;

import org.carapace.api.secoc.SecOcParameters;

/**
 * The Secured I-PDU layout of one Data ID, without state: {@code [header] | authentic PDU | truncated FV |
 * truncated MAC | zero padding to a byte} (SWS SecureOnboardCommunication, "Secured I-PDU"; PRS SecOcProtocol).
 *
 * <ul>
 *   <li>the optional header holds the authentic PDU's length, big-endian, in {@code headerLength} bytes;</li>
 *   <li>the trailer bits follow the authentic PDU at once, most significant bit first: the {@code freshnessTxLength}
 *       least significant bits of the freshness value, then the {@code macLength} most significant bits of the
 *       MAC, then zero bits up to the next byte boundary;</li>
 *   <li>the data to authenticate is {@code Data ID (16 bit, big-endian) | authentic PDU | complete freshness
 *       value}, the freshness value in {@code ceil(freshnessLength/8)} bytes, MSB-aligned.</li>
 * </ul>
 *
 * <p>Parsing is strict so that every bit of a PDU matters: the length must match the header exactly and the
 * padding bits must be zero. Nothing here allocates.
 */
final class PduCodec {

    /** {@link #parse} results below zero: why a PDU is malformed. */
    static final int TOO_SHORT = -1;
    static final int HEADER_MISMATCH = -2;
    static final int BAD_PADDING = -3;
    static final int TOO_LONG = -4;

    private final int dataId;
    private final SecOcParameters parameters;
    private final int maxAuthenticLength;
    private final int header;
    private final int fvTx;
    private final int macBits;
    private final int trailerBytes;
    private final int fvBytes;

    PduCodec(int dataId, SecOcParameters parameters, int maxAuthenticLength) {
        if (dataId < 0 || dataId > 0xFFFF) {
            throw new IllegalArgumentException("dataId must be 0..65535, was " + dataId);
        }
        if (maxAuthenticLength < 0 || maxAuthenticLength > parameters.maxAuthenticLength()) {
            throw new IllegalArgumentException("maxAuthenticLength must be 0.." + parameters.maxAuthenticLength()
                + " for a " + parameters.headerLength() + "-byte header, was " + maxAuthenticLength);
        }
        this.dataId = dataId;
        this.parameters = parameters;
        this.maxAuthenticLength = maxAuthenticLength;
        this.header = parameters.headerLength();
        this.fvTx = parameters.freshnessTxLength();
        this.macBits = parameters.macLength();
        this.trailerBytes = parameters.trailerBytes();
        this.fvBytes = parameters.freshnessBytes();
    }

    int dataId() {
        return dataId;
    }

    SecOcParameters parameters() {
        return parameters;
    }

    int maxAuthenticLength() {
        return maxAuthenticLength;
    }

    /** Bytes of the data to authenticate for an authentic PDU of this length. */
    int macInputLength(int authenticLength) {
        return 2 + authenticLength + fvBytes;
    }

    /** Largest data-to-authenticate buffer this layout needs. */
    int maxMacInputLength() {
        return macInputLength(maxAuthenticLength);
    }

    /** Writes {@code Data ID | authentic PDU} at the start of {@code buffer} (the prefix shared by all attempts). */
    void writeMacPrefix(byte[] authentic, int offset, int length, byte[] buffer) {
        buffer[0] = (byte) (dataId >>> 8);
        buffer[1] = (byte) dataId;
        System.arraycopy(authentic, offset, buffer, 2, length);
    }

    /** Writes the complete freshness value after the prefix; answers the data-to-authenticate length. */
    int writeMacFreshness(byte[] buffer, int authenticLength, long freshness) {
        Bits.writeAligned(buffer, 2 + authenticLength, freshness, parameters.freshnessLength());
        return macInputLength(authenticLength);
    }

    /**
     * Writes a Secured I-PDU: header, authentic PDU (copied from {@code authentic}, overlap allowed), then the
     * trailer with the low {@code freshnessTxLength} bits of {@code freshness} and the first {@code macLength} bits
     * of {@code mac}. Answers its length.
     */
    int encode(byte[] authentic, int offset, int length, long freshness, byte[] mac, byte[] out, int outOffset) {
        System.arraycopy(authentic, offset, out, outOffset + header, length);
        long size = length;
        for (int i = header - 1; i >= 0; i--) {
            out[outOffset + i] = (byte) size;
            size >>>= 8;
        }
        int trailer = outOffset + header + length;
        for (int i = 0; i < trailerBytes; i++) {
            out[trailer + i] = 0;
        }
        int bit = 8 * trailer;
        Bits.write(out, bit, freshness, fvTx);
        Bits.copyFrom(mac, 0, out, bit + fvTx, macBits);
        return header + length + trailerBytes;
    }

    /**
     * Checks the layout of {@code secured[offset, offset+length)} and answers the authentic PDU's length, or one of
     * the negative codes {@link #TOO_SHORT}, {@link #HEADER_MISMATCH}, {@link #BAD_PADDING}, {@link #TOO_LONG}.
     */
    int parse(byte[] secured, int offset, int length) {
        if (length < header + trailerBytes) {
            return TOO_SHORT;
        }
        int authenticLength;
        if (header > 0) {
            long declared = 0;
            for (int i = 0; i < header; i++) {
                declared = (declared << 8) | (secured[offset + i] & 0xFF);
            }
            if (declared != (long) length - header - trailerBytes) {
                return HEADER_MISMATCH;
            }
            authenticLength = (int) declared;
        } else {
            authenticLength = length - trailerBytes;
        }
        if (authenticLength > maxAuthenticLength) {
            return TOO_LONG;
        }
        int padding = 8 * trailerBytes - parameters.trailerBits();
        if (padding > 0) {
            int last = secured[offset + length - 1] & ((1 << padding) - 1);
            if (last != 0) {
                return BAD_PADDING;
            }
        }
        return authenticLength;
    }

    /** The truncated freshness value of a PDU that {@link #parse} accepted. */
    long truncatedFreshness(byte[] secured, int offset, int authenticLength) {
        return Bits.read(secured, 8 * (offset + header + authenticLength), fvTx);
    }

    /** Copies the truncated MAC of a parsed PDU into {@code mac}, MSB-aligned. */
    void truncatedMac(byte[] secured, int offset, int authenticLength, byte[] mac) {
        Bits.copyTo(secured, 8 * (offset + header + authenticLength) + fvTx, mac, macBits);
    }

    /** Offset of the authentic PDU inside a Secured I-PDU starting at {@code offset}. */
    int authenticOffset(int offset) {
        return offset + header;
    }

    static String describe(int parseCode) {
        switch (parseCode) {
            case TOO_SHORT: return "shorter than header and trailer";
            case HEADER_MISMATCH: return "length header disagrees with the PDU length";
            case BAD_PADDING: return "non-zero padding bits after the MAC";
            case TOO_LONG: return "authentic PDU longer than the configured maximum";
            default: return "well-formed";
        }
    }
}
