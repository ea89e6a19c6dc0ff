package org.carapace.secoc.internal;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import org.carapace.api.secoc.AuthenticationBuildException;
import org.carapace.api.secoc.FreshnessManager;
import org.carapace.api.secoc.FreshnessType;
import org.carapace.api.secoc.FreshnessUnavailableException;
import org.carapace.api.secoc.MacSession;
import org.carapace.api.secoc.SecOcParameters;
import org.carapace.api.secoc.SecOcProfile;
import org.carapace.api.secoc.SecuredChannel;
import org.carapace.api.secoc.VerificationResult;
import org.carapace.api.secoc.VerifiedPdu;

/**
 * One-shot protection and verification for engineers reading traces ({@code carapace secoc protect|verify}): the
 * same codec, MAC and freshness reconstruction as a channel, with the freshness state given on the command line
 * and kept nowhere. Public only for the CLI on its flat class path; the package is not exported.
 */
public final class SecOcTool {

    private SecOcTool() {
    }

    /** The outcome of {@link #verify}. */
    public record Verification(VerificationResult result, long freshnessValue, byte[] authentic, String detail) {
    }

    /**
     * Builds the Secured I-PDU of {@code payload} with the complete freshness value {@code freshness}.
     *
     * @throws IllegalArgumentException if the key does not fit the algorithm or the value does not fit the length
     */
    public static byte[] protect(SecOcParameters parameters, byte[] key, int dataId, long freshness, byte[] payload) {
        if (parameters.freshnessLength() < 64 && Long.compareUnsigned(freshness, Bits.mask(parameters.freshnessLength())) > 0) {
            throw new IllegalArgumentException("freshness value " + Long.toUnsignedString(freshness) + " does not fit in "
                + parameters.freshnessLength() + " bits");
        }
        FreshnessManager fixed = new FreshnessManager() {
            @Override
            public int length() {
                return parameters.freshnessLength();
            }

            @Override
            public long nextTxFreshness() throws FreshnessUnavailableException {
                return freshness;
            }

            @Override
            public VerificationResult rxCandidate(long truncated, int truncatedLength, int attempt, long[] candidate) {
                return VerificationResult.FRESHNESS_FAILURE;
            }

            @Override
            public VerificationResult rxAccept(long value) {
                return VerificationResult.FRESHNESS_FAILURE;
            }

            @Override
            public long lastAccepted() {
                return 0;
            }
        };
        KeyRing ring = ring(key);
        try {
            return channel(parameters, ring, dataId, fixed, payload.length).protect(payload);
        } catch (AuthenticationBuildException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        } finally {
            ring.destroy();
        }
    }

    /**
     * Verifies a Secured I-PDU against the last accepted freshness value, rebuilding the complete value from the
     * transmitted bits like a receiver would ({@code COUNTER}: the counter rule; {@code JASPAR}: with the trip and
     * reset counters of {@code lastAccepted}; {@code NONE}: no freshness).
     *
     * @param jaspar the JASPAR layout {trip, reset, message, flag} bits, for {@code JASPAR} only
     */
    public static Verification verify(SecOcParameters parameters, byte[] key, int dataId, FreshnessType type, long lastAccepted,
                                      int[] jaspar, byte[] pdu) {
        long ceiling = CounterFreshness.ceiling(Math.max(1, parameters.freshnessLength()));
        long restored = lastAccepted + 1;
        FreshnessManager freshness;
        switch (type) {
            case NONE:
                freshness = new NoFreshness();
                break;
            case COUNTER:
                freshness = new CounterFreshness(parameters.freshnessLength(), 0, Reservation.inMemory(1, ceiling),
                    Reservation.inMemory(restored, ceiling));
                break;
            case JASPAR: {
                JasparLayout layout = new JasparLayout(jaspar[0], jaspar[1], jaspar[2], jaspar[3]);
                if (layout.length() != parameters.freshnessLength()) {
                    throw new IllegalArgumentException("the JASPAR layout has " + layout.length() + " bits, the freshness value "
                        + parameters.freshnessLength());
                }
                JasparDomain domain = JasparDomain.slave("cli", layout);
                if (!domain.synchronise(layout.tripResetOfValue(lastAccepted))) {
                    throw new IllegalArgumentException("the last freshness value must carry a trip and a reset counter of at least 1");
                }
                freshness = new JasparFreshness(domain, Reservation.inMemory(1, ceiling), Reservation.inMemory(restored, ceiling));
                break;
            }
            default:
                throw new IllegalArgumentException("the CLI verifies COUNTER, JASPAR or NONE freshness, not " + type);
        }
        KeyRing ring = ring(key);
        try {
            SecOcChannel channel = channel(parameters, ring, dataId, freshness, pdu.length);
            VerifiedPdu result = new VerifiedPdu();
            VerificationResult r = channel.verify(pdu, 0, pdu.length, result);
            if (r == VerificationResult.SUCCESS) {
                return new Verification(r, result.freshnessValue(), result.copyAuthentic(pdu), "verified");
            }
            int parse = new PduCodec(dataId, parameters, Math.min(pdu.length, parameters.maxAuthenticLength())).parse(pdu, 0, pdu.length);
            String detail = parse < 0 ? "malformed: " + PduCodec.describe(parse)
                : r == VerificationResult.FRESHNESS_FAILURE ? "no fresh freshness value" : "MAC mismatch";
            return new Verification(r, 0, new byte[0], detail);
        } finally {
            ring.destroy();
        }
    }

    private static KeyRing ring(byte[] key) {
        KeyRing ring = new KeyRing(Map.of("cli", new SecretKeyMaterial("cli", key)));
        Arrays.fill(key, (byte) 0);
        return ring;
    }

    /** A channel on the ring's key; destroying the ring closes its sessions and wipes the key. */
    private static SecOcChannel channel(SecOcParameters parameters, KeyRing ring, int dataId, FreshnessManager freshness, int maxLength) {
        try {
            MacSession tx = ring.open(parameters.algorithm(), "cli");
            MacSession rx = ring.open(parameters.algorithm(), "cli");
            return new SecOcChannel("cli", dataId, parameters, Math.min(maxLength, parameters.maxAuthenticLength()),
                FreshnessType.COUNTER, freshness, tx, new MacSession[] {rx}, FailureSink.IGNORE);
        } catch (org.carapace.api.secoc.KeyUnavailableException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    /**
     * A channel with persistent counter freshness in {@code stateDir}, outside any framework: for benchmarks
     * (bench/jmh). Reservation blocks are given directly, without the checks a configured channel gets.
     */
    public static SecuredChannel counterChannel(String name, SecOcParameters parameters, byte[] key, int dataId, Path stateDir,
                                                long txBlock, long rxBlock) throws Exception {
        int length = parameters.freshnessLength();
        Executor background = daemonExecutor(name);
        FreshnessManager freshness = new CounterFreshness(length, 0,
            new Reservation(new ReservationFile(stateDir.resolve(name + "-tx.fv")), txBlock, CounterFreshness.ceiling(length), background),
            new Reservation(new ReservationFile(stateDir.resolve(name + "-rx.fv")), rxBlock, CounterFreshness.ceiling(length), background));
        return channel(parameters, ring(key), dataId, freshness, 1024);
    }

    /**
     * A JASPAR (profile 3) channel whose domain is a master with its trip counter in {@code stateDir}: for benchmarks.
     * Sender and receiver share the domain.
     */
    public static SecuredChannel jasparChannel(String name, byte[] key, int dataId, Path stateDir, long txBlock, long rxBlock)
        throws Exception {
        JasparLayout layout = JasparLayout.DEFAULT;
        JasparDomain domain = JasparDomain.master(name, layout, new ReservationFile(stateDir.resolve(name + "-trip.fv")));
        Executor background = daemonExecutor(name);
        long ceiling = CounterFreshness.ceiling(64);
        FreshnessManager freshness = new JasparFreshness(domain,
            new Reservation(new ReservationFile(stateDir.resolve(name + "-tx.fv")), txBlock << layout.flag(), ceiling, background),
            new Reservation(new ReservationFile(stateDir.resolve(name + "-rx.fv")), rxBlock << layout.flag(), ceiling, background));
        return channel(SecOcProfile.PROFILE_3.parameters(), ring(key), dataId, freshness, 1024);
    }

    private static Executor daemonExecutor(String name) {
        return Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "secoc-reservations-" + name);
            t.setDaemon(true);
            return t;
        });
    }

    /** Writes a complete freshness value as its MSB-aligned byte array (docs/secoc.md). */
    public static byte[] freshnessBytes(long value, int bits) {
        byte[] out = new byte[(bits + 7) / 8];
        Bits.writeAligned(out, 0, value, bits);
        return out;
    }

    /**
     * Reads an MSB-aligned freshness byte array of exactly {@code ceil(bits/8)} bytes.
     *
     * @throws IllegalArgumentException if the length is wrong or the padding bits are not zero
     */
    public static long freshnessValue(byte[] bytes, int bits) {
        if (bits < 0 || bits > 64 || bytes.length != (bits + 7) / 8) {
            throw new IllegalArgumentException("a " + bits + "-bit freshness value has " + (bits + 7) / 8 + " bytes, not " + bytes.length);
        }
        if (bits == 0) {
            return 0;
        }
        int padding = 8 * bytes.length - bits;
        if ((bytes[bytes.length - 1] & ((1 << padding) - 1)) != 0) {
            throw new IllegalArgumentException("freshness bytes are MSB-aligned: the last " + padding + " bits must be zero");
        }
        return Bits.readAligned(bytes, 0, bits);
    }
}
