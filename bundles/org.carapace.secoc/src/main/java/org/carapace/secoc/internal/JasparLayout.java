package org.carapace.secoc.internal;

/**
 * The JASPAR freshness value: {@code trip counter | reset counter | message counter | reset flag}, most significant
 * first (SWS SecureOnboardCommunication annex, SecOC profile 3 "JASPAR"; the exact lengths are not fixed there:
 * configuration). The reset flag is the low {@code flag} bits of the reset counter. Limits: trip and reset counters
 * at most 24 bits, the message counter at most 48, and the sum at most 64.
 *
 * @param trip bits of the trip counter (+1 per start-up of the freshness master)
 * @param reset bits of the reset counter (+1 per reset cycle)
 * @param message bits of the message counter (+1 per transmission, restarts with each reset cycle)
 * @param flag bits of the reset flag
 */
record JasparLayout(int trip, int reset, int message, int flag) {

    /** A 64-bit layout: 16-bit trip, 20-bit reset, 26-bit message counter and a 2-bit reset flag. */
    static final JasparLayout DEFAULT = new JasparLayout(16, 20, 26, 2);

    JasparLayout {
        if (trip < 1 || trip > 24) {
            throw new IllegalArgumentException("JASPAR trip counter must have 1..24 bits, not " + trip);
        }
        if (reset < 1 || reset > 24) {
            throw new IllegalArgumentException("JASPAR reset counter must have 1..24 bits, not " + reset);
        }
        if (message < 1 || message > 48) {
            throw new IllegalArgumentException("JASPAR message counter must have 1..48 bits, not " + message);
        }
        if (flag < 1 || flag > reset) {
            throw new IllegalArgumentException("JASPAR reset flag must have 1.." + reset + " bits (the reset counter's), not " + flag);
        }
        if (trip + reset + message + flag > 64) {
            throw new IllegalArgumentException("JASPAR freshness value would have " + (trip + reset + message + flag) + " bits, over 64");
        }
    }

    /** Bits of the whole freshness value. */
    int length() {
        return trip + reset + message + flag;
    }

    long tripMax() {
        return Bits.mask(trip);
    }

    long resetMax() {
        return Bits.mask(reset);
    }

    long messageMax() {
        return Bits.mask(message);
    }

    long flagMask() {
        return Bits.mask(flag);
    }

    /** {@code trip | reset} as one number, the value a synchronisation message carries. */
    long tripReset(long tripCounter, long resetCounter) {
        return (tripCounter << reset) | resetCounter;
    }

    long tripOf(long tripReset) {
        return tripReset >>> reset;
    }

    long resetOf(long tripReset) {
        return tripReset & Bits.mask(reset);
    }

    /** The freshness value for a trip/reset pair and a message counter. */
    long compose(long tripReset, long messageCounter) {
        long resetCounter = tripReset & Bits.mask(reset);
        return (((tripReset << message) | messageCounter) << flag) | (resetCounter & flagMask());
    }

    /** The {@code trip | reset} part of a freshness value. */
    long tripResetOfValue(long value) {
        return value >>> (message + flag);
    }

    long messageOfValue(long value) {
        return (value >>> flag) & messageMax();
    }
}
