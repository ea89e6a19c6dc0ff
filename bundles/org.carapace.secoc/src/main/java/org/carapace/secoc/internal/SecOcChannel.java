package org.carapace.secoc.internal;

import java.util.Objects;
import org.carapace.api.secoc.AuthenticationBuildException;
import org.carapace.api.secoc.ChannelStatistics;
import org.carapace.api.secoc.FreshnessException;
import org.carapace.api.secoc.FreshnessManager;
import org.carapace.api.secoc.FreshnessType;
import org.carapace.api.secoc.FreshnessUnavailableException;
import org.carapace.api.secoc.MacSession;
import org.carapace.api.secoc.MacVerificationException;
import org.carapace.api.secoc.MalformedPduException;
import org.carapace.api.secoc.SecOcParameters;
import org.carapace.api.secoc.SecuredChannel;
import org.carapace.api.secoc.VerificationException;
import org.carapace.api.secoc.VerificationResult;
import org.carapace.api.secoc.VerifiedPdu;

/**
 * A SecOC channel without OSGi: codec, freshness manager and MAC sessions of one Data ID.
 *
 * <p>Transmit (SWS SecureOnboardCommunication, authentication of a Secured I-PDU): get a freshness value, build
 * {@code Data ID | authentic PDU | FV}, compute the MAC, write {@code [header] | PDU | FV LSBs | MAC MSBs}.
 * Receive (verification of a Secured I-PDU): parse strictly, rebuild the complete freshness value from its
 * truncated bits, and for each attempt check the MAC under the current key and, during a rotation, the previous
 * key; only then record the freshness value. Anything else drops the PDU with the standard result code and tells
 * the {@link FailureSink}. The receive path allocates nothing.
 */
final class SecOcChannel implements SecuredChannel {

    private final String name;
    private final PduCodec codec;
    private final SecOcParameters parameters;
    private final FreshnessType freshnessType;
    private final FreshnessManager freshness;
    private final MacSession txSession;
    private final MacSession[] rxSessions;
    private final FailureSink sink;

    private final Object txLock = new Object();
    private final byte[] txMacInput;
    private final byte[] txMac;

    private final Object rxLock = new Object();
    private final byte[] rxMacInput;
    private final byte[] rxMac;
    private final long[] rxCandidate = new long[1];
    private final VerifiedPdu scratchResult = new VerifiedPdu();

    private volatile long protectedPdus;
    private volatile long buildFailures;
    private volatile long verified;
    private volatile long macFailures;
    private volatile long freshnessFailures;
    private volatile long malformed;
    private volatile StatisticsSource events = () -> new long[2];

    /** Event counters come from the aggregator. */
    interface StatisticsSource {
        /** {events posted, failures aggregated}. */
        long[] counts();
    }

    /**
     * @param rxSessions the current key first, then the previous key during a rotation (1 or 2 sessions)
     */
    SecOcChannel(String name, int dataId, SecOcParameters parameters, int maxAuthenticLength, FreshnessType freshnessType,
                 FreshnessManager freshness, MacSession txSession, MacSession[] rxSessions, FailureSink sink) {
        this.name = Objects.requireNonNull(name, "name");
        this.parameters = Objects.requireNonNull(parameters, "parameters");
        this.codec = new PduCodec(dataId, parameters, maxAuthenticLength);
        this.freshnessType = Objects.requireNonNull(freshnessType, "freshnessType");
        this.freshness = Objects.requireNonNull(freshness, "freshness");
        if (freshness.length() != parameters.freshnessLength()) {
            throw new IllegalArgumentException("freshness manager has " + freshness.length() + " bits, the layout "
                + parameters.freshnessLength());
        }
        this.txSession = Objects.requireNonNull(txSession, "txSession");
        if (rxSessions.length < 1 || rxSessions.length > 2) {
            throw new IllegalArgumentException("one or two receive keys, not " + rxSessions.length);
        }
        for (MacSession s : rxSessions) {
            if (s.algorithm() != parameters.algorithm()) {
                throw new IllegalArgumentException("key " + s.keyId() + " is for " + s.algorithm() + ", the channel uses "
                    + parameters.algorithm());
            }
        }
        if (txSession.algorithm() != parameters.algorithm()) {
            throw new IllegalArgumentException("key " + txSession.keyId() + " is for " + txSession.algorithm()
                + ", the channel uses " + parameters.algorithm());
        }
        this.rxSessions = rxSessions.clone();
        this.sink = Objects.requireNonNull(sink, "sink");
        int macBytes = parameters.algorithm().macLength() / 8;
        this.txMacInput = new byte[codec.maxMacInputLength()];
        this.rxMacInput = new byte[codec.maxMacInputLength()];
        this.txMac = new byte[macBytes];
        this.rxMac = new byte[macBytes];
    }

    void eventCounts(StatisticsSource source) {
        this.events = source;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public int dataId() {
        return codec.dataId();
    }

    @Override
    public SecOcParameters parameters() {
        return parameters;
    }

    @Override
    public FreshnessType freshnessType() {
        return freshnessType;
    }

    @Override
    public int maxAuthenticLength() {
        return codec.maxAuthenticLength();
    }

    FreshnessManager freshnessManager() {
        return freshness;
    }

    @Override
    public int protect(byte[] authentic, int offset, int length, byte[] out, int outOffset) throws AuthenticationBuildException {
        Objects.checkFromIndexSize(offset, length, authentic.length);
        synchronized (txLock) {
            if (length > codec.maxAuthenticLength()) {
                buildFailures++;
                throw new AuthenticationBuildException(dataId(), "channel " + name + ": authentic PDU of " + length
                    + " bytes is longer than the maximum " + codec.maxAuthenticLength());
            }
            int securedLength = parameters.securedLength(length);
            if (outOffset < 0 || out.length - outOffset < securedLength) {
                buildFailures++;
                throw new AuthenticationBuildException(dataId(), "channel " + name + ": output needs " + securedLength + " bytes");
            }
            long fv;
            try {
                fv = freshness.nextTxFreshness();
            } catch (FreshnessUnavailableException e) {
                buildFailures++;
                throw new AuthenticationBuildException(dataId(), "channel " + name + ": no freshness value: " + e.getMessage(), e);
            }
            codec.writeMacPrefix(authentic, offset, length, txMacInput);
            int macInputLength = codec.writeMacFreshness(txMacInput, length, fv);
            try {
                txSession.generate(txMacInput, 0, macInputLength, txMac, 0);
            } catch (IllegalStateException e) {
                buildFailures++;
                throw new AuthenticationBuildException(dataId(), "channel " + name + ": key " + txSession.keyId() + " retired", e);
            }
            int written = codec.encode(authentic, offset, length, fv, txMac, out, outOffset);
            protectedPdus++;
            return written;
        }
    }

    @Override
    public VerificationResult verify(byte[] secured, int offset, int length, VerifiedPdu result) {
        synchronized (rxLock) {
            int detail = verifyLocked(secured, offset, length, result);
            return detail == 0 ? VerificationResult.SUCCESS : resultOf(detail);
        }
    }

    private static final int MAC_FAILED = 1;
    private static final int NOT_FRESH = 2;

    private static VerificationResult resultOf(int detail) {
        return detail == NOT_FRESH ? VerificationResult.FRESHNESS_FAILURE : VerificationResult.VERIFICATION_FAILURE;
    }

    /** 0 success, {@link #MAC_FAILED}, {@link #NOT_FRESH}, or a negative {@link PduCodec} parse code. */
    private int verifyLocked(byte[] secured, int offset, int length, VerifiedPdu result) {
        result.clear();
        if (offset < 0 || length < 0 || offset > secured.length - length) {
            malformed++;
            sink.dropped(VerificationResult.VERIFICATION_FAILURE, PduCodec.TOO_SHORT, 0);
            return PduCodec.TOO_SHORT;
        }
        int authenticLength = codec.parse(secured, offset, length);
        if (authenticLength < 0) {
            malformed++;
            sink.dropped(VerificationResult.VERIFICATION_FAILURE, authenticLength, 0);
            return authenticLength;
        }
        int fvTxLength = parameters.freshnessTxLength();
        long truncated = codec.truncatedFreshness(secured, offset, authenticLength);
        codec.truncatedMac(secured, offset, authenticLength, rxMac);
        int authenticOffset = codec.authenticOffset(offset);
        codec.writeMacPrefix(secured, authenticOffset, authenticLength, rxMacInput);
        int macBits = parameters.macLength();
        int attempts = parameters.verifyAttempts();
        for (int attempt = 0; attempt < attempts; attempt++) {
            VerificationResult fresh = freshness.rxCandidate(truncated, fvTxLength, attempt, rxCandidate);
            if (fresh != VerificationResult.SUCCESS) {
                if (attempt == 0) {
                    // SWS: no freshness value could be obtained for the first attempt: FRESHNESSFAILURE
                    freshnessFailures++;
                    sink.dropped(VerificationResult.FRESHNESS_FAILURE, 0, truncated);
                    return NOT_FRESH;
                }
                break; // later candidates ran out: the MAC never matched
            }
            long candidate = rxCandidate[0];
            int macInputLength = codec.writeMacFreshness(rxMacInput, authenticLength, candidate);
            for (int key = 0; key < rxSessions.length; key++) {
                if (rxSessions[key].verify(rxMacInput, 0, macInputLength, rxMac, 0, macBits)) {
                    if (freshness.rxAccept(candidate) != VerificationResult.SUCCESS) {
                        freshnessFailures++;
                        sink.dropped(VerificationResult.FRESHNESS_FAILURE, 0, truncated);
                        return NOT_FRESH;
                    }
                    verified++;
                    result.set(authenticOffset, authenticLength, candidate, key);
                    return 0;
                }
            }
        }
        macFailures++;
        sink.dropped(VerificationResult.VERIFICATION_FAILURE, 0, truncated);
        return MAC_FAILED;
    }

    @Override
    public byte[] open(byte[] secured) throws VerificationException {
        synchronized (rxLock) {
            int detail = verifyLocked(secured, 0, secured.length, scratchResult);
            if (detail == 0) {
                return scratchResult.copyAuthentic(secured);
            }
            if (detail == NOT_FRESH) {
                long truncated = secured.length >= parameters.trailerBytes()
                    ? codec.truncatedFreshness(secured, 0, codec.parse(secured, 0, secured.length)) : 0;
                throw new FreshnessException(dataId(), truncated, freshness.lastAccepted(), "channel " + name
                    + ": no fresh freshness value for truncated value " + Long.toUnsignedString(truncated) + " (last accepted "
                    + Long.toUnsignedString(freshness.lastAccepted()) + ")");
            }
            if (detail == MAC_FAILED) {
                throw new MacVerificationException(dataId(), parameters.verifyAttempts(), "channel " + name
                    + ": MAC did not verify (" + parameters.verifyAttempts() + " attempt(s), " + rxSessions.length + " key(s))");
            }
            throw new MalformedPduException(dataId(), secured.length, "channel " + name + ": malformed Secured I-PDU of "
                + secured.length + " bytes: " + PduCodec.describe(detail));
        }
    }

    @Override
    public ChannelStatistics statistics() {
        long[] ev = events.counts();
        return new ChannelStatistics(protectedPdus, buildFailures, verified, macFailures, freshnessFailures, malformed,
            ev[0], ev[1]);
    }

    /** Closes the MAC sessions: their key material is wiped. */
    void close() {
        synchronized (txLock) {
            txSession.close();
        }
        synchronized (rxLock) {
            for (MacSession s : rxSessions) {
                s.close();
            }
        }
    }

    @Override
    public String toString() {
        return "SecuredChannel[" + name + ", dataId=0x" + Integer.toHexString(dataId()) + ", " + parameters + ", " + freshnessType + "]";
    }
}
