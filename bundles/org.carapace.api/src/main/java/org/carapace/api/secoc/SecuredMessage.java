package org.carapace.api.secoc;

import java.time.Instant;
import java.util.Objects;

/**
 * An authentic PDU that verified, as a transport hands it to {@link SecuredMessageListener}s.
 *
 * @param channel the name of the channel that verified it
 * @param dataId its Data ID
 * @param payload the authentic PDU; copied in and out
 * @param freshnessValue the complete freshness value that verified (unsigned)
 * @param transport how it arrived, for example {@code udp} or {@code mqtt}
 * @param receivedAt when the transport received it
 */
public record SecuredMessage(String channel, int dataId, byte[] payload, long freshnessValue, String transport,
                             Instant receivedAt) {

    public SecuredMessage {
        Objects.requireNonNull(channel, "channel");
        Objects.requireNonNull(transport, "transport");
        Objects.requireNonNull(receivedAt, "receivedAt");
        payload = payload.clone();
    }

    @Override
    public byte[] payload() {
        return payload.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SecuredMessage m && channel.equals(m.channel) && dataId == m.dataId
            && java.util.Arrays.equals(payload, m.payload) && freshnessValue == m.freshnessValue
            && transport.equals(m.transport) && receivedAt.equals(m.receivedAt);
    }

    @Override
    public int hashCode() {
        return Objects.hash(channel, dataId, java.util.Arrays.hashCode(payload), freshnessValue, transport, receivedAt);
    }

    @Override
    public String toString() {
        return "SecuredMessage[channel=" + channel + ", dataId=" + dataId + ", length=" + payload.length + ", fv="
            + Long.toUnsignedString(freshnessValue) + ", transport=" + transport + "]";
    }
}
