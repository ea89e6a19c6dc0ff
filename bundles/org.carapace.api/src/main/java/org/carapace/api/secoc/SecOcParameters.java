package org.carapace.api.secoc;

import java.util.Objects;

/**
 * The lengths and algorithm that fix the layout of a Secured I-PDU:
 * {@code [header] | authentic PDU | truncated freshness value | truncated MAC}.
 *
 * <p>Lengths of the freshness value and the MAC are in bits; the trailer (truncated freshness value followed by the
 * truncated MAC) is packed most significant bit first right after the authentic PDU and padded with zero bits to a
 * whole byte. The MAC is computed over {@code Data ID (16 bit, big-endian) | authentic PDU | complete freshness
 * value} (the freshness value as {@code ceil(freshnessLength / 8)} bytes, most significant bit first).
 *
 * @param headerLength bytes of the authentic-PDU length header, 0 (fixed-length PDUs) to 4
 * @param freshnessLength bits of the complete freshness value, 0 to 64
 * @param freshnessTxLength bits of the freshness value transmitted (its least significant bits), 0 to
 *                          {@code freshnessLength}
 * @param macLength bits of the MAC transmitted (its most significant bits), 1 to the algorithm's MAC length
 * @param algorithm the MAC algorithm
 * @param verifyAttempts how many freshness candidates a receiver tries before reporting a verification failure
 *                       ({@code SecOCAuthenticationVerifyAttempts} + 1), 1 to 64
 */
public record SecOcParameters(int headerLength, int freshnessLength, int freshnessTxLength, int macLength,
                              MacAlgorithm algorithm, int verifyAttempts) {

    /** Largest authentic-PDU length header, in bytes. */
    public static final int MAX_HEADER_LENGTH = 4;
    /** Largest freshness value, in bits. */
    public static final int MAX_FRESHNESS_LENGTH = 64;
    /** Most freshness candidates a receiver may try per PDU. */
    public static final int MAX_VERIFY_ATTEMPTS = 64;

    public SecOcParameters {
        Objects.requireNonNull(algorithm, "algorithm");
        if (headerLength < 0 || headerLength > MAX_HEADER_LENGTH) {
            throw new IllegalArgumentException("headerLength must be 0.." + MAX_HEADER_LENGTH + " bytes, was " + headerLength);
        }
        if (freshnessLength < 0 || freshnessLength > MAX_FRESHNESS_LENGTH) {
            throw new IllegalArgumentException("freshnessLength must be 0..64 bits, was " + freshnessLength);
        }
        if (freshnessTxLength < 0 || freshnessTxLength > freshnessLength) {
            throw new IllegalArgumentException("freshnessTxLength must be 0.." + freshnessLength + " bits (the freshness length), was "
                + freshnessTxLength);
        }
        if (macLength < 1 || macLength > algorithm.macLength()) {
            throw new IllegalArgumentException("macLength must be 1.." + algorithm.macLength() + " bits for " + algorithm + ", was "
                + macLength);
        }
        if (verifyAttempts < 1 || verifyAttempts > MAX_VERIFY_ATTEMPTS) {
            throw new IllegalArgumentException("verifyAttempts must be 1.." + MAX_VERIFY_ATTEMPTS + ", was " + verifyAttempts);
        }
    }

    /** Bits of the trailer: truncated freshness value plus truncated MAC. */
    public int trailerBits() {
        return freshnessTxLength + macLength;
    }

    /** Bytes of the trailer, padding included. */
    public int trailerBytes() {
        return (trailerBits() + 7) / 8;
    }

    /** Bytes of the complete freshness value in the data to authenticate. */
    public int freshnessBytes() {
        return (freshnessLength + 7) / 8;
    }

    /** The largest authentic PDU the header can describe (unbounded, {@link Integer#MAX_VALUE}, without a header). */
    public int maxAuthenticLength() {
        if (headerLength == 0 || headerLength >= 4) {
            return Integer.MAX_VALUE - MAX_HEADER_LENGTH - 64;
        }
        return (1 << (8 * headerLength)) - 1;
    }

    /** Length of the Secured I-PDU that carries an authentic PDU of {@code authenticLength} bytes. */
    public int securedLength(int authenticLength) {
        return headerLength + authenticLength + trailerBytes();
    }

    /** The same parameters with another header length. */
    public SecOcParameters withHeaderLength(int bytes) {
        return new SecOcParameters(bytes, freshnessLength, freshnessTxLength, macLength, algorithm, verifyAttempts);
    }

    /** The same parameters with another number of verify attempts. */
    public SecOcParameters withVerifyAttempts(int attempts) {
        return new SecOcParameters(headerLength, freshnessLength, freshnessTxLength, macLength, algorithm, attempts);
    }
}
