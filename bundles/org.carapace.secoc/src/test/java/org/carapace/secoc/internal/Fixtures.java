package org.carapace.secoc.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import org.carapace.api.secoc.FreshnessManager;
import org.carapace.api.secoc.FreshnessType;
import org.carapace.api.secoc.KeyUnavailableException;
import org.carapace.api.secoc.MacAlgorithm;
import org.carapace.api.secoc.MacSession;
import org.carapace.api.secoc.SecOcParameters;
import org.carapace.api.secoc.VerificationResult;

/** Keys, channels and freshness managers shared by the tests. */
final class Fixtures {

    /** RFC 4493 / SP 800-38B D.1 AES-128 key. */
    static final String RFC4493_KEY = "2b7e151628aed2a6abf7158809cf4f3c";

    private Fixtures() {
    }

    static byte[] hex(String s) {
        return HexFormat.of().parseHex(s.replace(" ", ""));
    }

    static String hex(byte[] b) {
        return HexFormat.of().formatHex(b);
    }

    static KeyRing ring(String... idsAndHexKeys) {
        Map<String, SecretKeyMaterial> keys = new LinkedHashMap<>();
        for (int i = 0; i < idsAndHexKeys.length; i += 2) {
            keys.put(idsAndHexKeys[i], new SecretKeyMaterial(idsAndHexKeys[i], hex(idsAndHexKeys[i + 1])));
        }
        return new KeyRing(keys);
    }

    static MacSession session(MacAlgorithm algorithm, String hexKey) {
        try {
            return ring("k", hexKey).open(algorithm, "k");
        } catch (KeyUnavailableException e) {
            throw new IllegalStateException(e);
        }
    }

    static Reservation reservation(Path file, long block, int length) {
        try {
            return new Reservation(new ReservationFile(file), block, CounterFreshness.ceiling(length), Runnable::run);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (ReservationFile.CorruptStateException e) {
            throw new IllegalStateException(e);
        }
    }

    static CounterFreshness counter(Path dir, String name, int length, long block) {
        return new CounterFreshness(length, 0, reservation(dir.resolve(name + "-tx.fv"), block, length),
            reservation(dir.resolve(name + "-rx.fv"), block, length));
    }

    /** A channel whose sender and receiver share one counter manager (fine: the two sides keep separate state). */
    static SecOcChannel channel(String name, int dataId, SecOcParameters parameters, FreshnessManager freshness,
                                String hexKey, FailureSink sink) {
        return new SecOcChannel(name, dataId, parameters, Math.min(256, parameters.maxAuthenticLength()), FreshnessType.COUNTER, freshness,
            session(parameters.algorithm(), hexKey), new MacSession[] {session(parameters.algorithm(), hexKey)}, sink);
    }

    /**
     * A freshness manager that hands out one given value and accepts on receive whatever candidate the counter rule
     * gives against a given last value: for reproducing known-answer vectors.
     */
    static final class FixedFreshness implements FreshnessManager {
        private final int length;
        long txValue;
        long lastAccepted;

        FixedFreshness(int length, long txValue, long lastAccepted) {
            this.length = length;
            this.txValue = txValue;
            this.lastAccepted = lastAccepted;
        }

        @Override
        public int length() {
            return length;
        }

        @Override
        public long nextTxFreshness() {
            return txValue;
        }

        @Override
        public VerificationResult rxCandidate(long truncated, int truncatedLength, int attempt, long[] candidate) {
            candidate[0] = truncatedLength >= length ? truncated
                : (lastAccepted & ~Bits.mask(truncatedLength)) | truncated;
            return VerificationResult.SUCCESS;
        }

        @Override
        public VerificationResult rxAccept(long freshness) {
            lastAccepted = freshness;
            return VerificationResult.SUCCESS;
        }

        @Override
        public long lastAccepted() {
            return lastAccepted;
        }
    }

    /** Counts what a channel reported. */
    static final class CountingSink implements FailureSink {
        int verification;
        int freshness;
        int malformed;

        @Override
        public void dropped(VerificationResult result, int parseCode, long truncatedFreshness) {
            if (parseCode < 0) {
                malformed++;
            }
            if (result == VerificationResult.FRESHNESS_FAILURE) {
                freshness++;
            } else {
                verification++;
            }
        }
    }
}
