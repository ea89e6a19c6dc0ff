package org.carapace.api.secoc;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Protects and verifies the Secured I-PDUs of one Data ID (AUTOSAR SecOC, SWS SecureOnboardCommunication):
 * a codec bound to a layout ({@link SecOcParameters}), a freshness manager and keys of an {@link Authenticator}.
 * No I/O: transports such as {@link SecuredEndpoint} carry the bytes.
 *
 * <p>Registered once per configured channel with the service properties {@link #NAME} and {@link #DATA_ID}.
 * Several channels may share a Data ID (two ECUs simulated in one runtime); the name is unique.
 *
 * <p>Thread-safe: protection and verification each run under a lock of their own, so the freshness state moves
 * atomically with the MAC check. The receive path ({@link #verify(byte[], int, int, VerifiedPdu)}) allocates nothing
 * and throws nothing for a bad PDU: it returns the result code, drops the PDU and reports a security event
 * (rate-limited, see {@code docs/secoc.md}).
 */
@ProviderType
public interface SecuredChannel {

    /** Service property: the channel's unique name (String). */
    String NAME = "secoc.name";
    /** Service property: the Data ID, 0 to 65535 (Integer). */
    String DATA_ID = "secoc.dataId";

    String name();

    /** The 16-bit Data ID that is part of every MAC. */
    int dataId();

    SecOcParameters parameters();

    FreshnessType freshnessType();

    /** The longest authentic PDU this channel accepts, in bytes (configuration and header allow). */
    int maxAuthenticLength();

    /**
     * Builds the Secured I-PDU for {@code authentic[offset, offset+length)} into {@code out[outOffset ...]}
     * (the regions may overlap), consuming one freshness value.
     *
     * @return the length of the Secured I-PDU, {@link SecOcParameters#securedLength(int)}
     * @throws AuthenticationBuildException if no freshness value or key is available, the PDU is longer than
     *                                      {@link #maxAuthenticLength()}, or {@code out} is too small
     */
    int protect(byte[] authentic, int offset, int length, byte[] out, int outOffset) throws AuthenticationBuildException;

    /** Builds the Secured I-PDU for a whole authentic PDU into a new array. */
    default byte[] protect(byte[] authentic) throws AuthenticationBuildException {
        byte[] out = new byte[parameters().securedLength(authentic.length)];
        protect(authentic, 0, authentic.length, out, 0);
        return out;
    }

    /**
     * Verifies {@code secured[offset, offset+length)} and, on success, records its freshness value and fills
     * {@code result} with where the authentic PDU lies. Never throws for a bad PDU.
     *
     * @return {@link VerificationResult#SUCCESS}, {@link VerificationResult#VERIFICATION_FAILURE} (MAC mismatch or
     *         malformed) or {@link VerificationResult#FRESHNESS_FAILURE}; anything but SUCCESS means the PDU was
     *         dropped and counted for a security event
     */
    VerificationResult verify(byte[] secured, int offset, int length, VerifiedPdu result);

    /**
     * Verifies a whole Secured I-PDU and returns a copy of its authentic PDU (convenience, allocates).
     *
     * @throws MalformedPduException if the bytes do not have the channel's layout
     * @throws FreshnessException if no fresh freshness value fits
     * @throws MacVerificationException if no MAC matched
     */
    byte[] open(byte[] secured) throws VerificationException;

    /** Counters since activation. */
    ChannelStatistics statistics();
}
