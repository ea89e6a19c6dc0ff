package org.carapace.api.secoc;

import java.io.IOException;
import org.osgi.annotation.versioning.ProviderType;

/**
 * A {@link SecuredChannel} bound to a transport: UDP datagrams between ECUs, or MQTT messages on the vehicle's local
 * broker. {@link #send(byte[])} protects and transmits; received PDUs are verified by the channel and the authentic
 * ones passed to {@link SecuredMessageListener}s. Registered with {@link SecuredChannel#NAME},
 * {@link SecuredChannel#DATA_ID} and {@link #TRANSPORT}. Thread-safe.
 */
@ProviderType
public interface SecuredEndpoint {

    /** Service property: the transport, {@code udp} or {@code mqtt}. */
    String TRANSPORT = "secoc.transport";

    /** The channel that protects and verifies this endpoint's PDUs. */
    SecuredChannel channel();

    /** The transport's name, as in {@link #TRANSPORT}. */
    String transport();

    /**
     * Protects an authentic PDU and sends it.
     *
     * @throws AuthenticationBuildException if it cannot be protected (nothing is sent)
     * @throws IOException if the transport cannot send it
     */
    void send(byte[] authentic) throws AuthenticationBuildException, IOException;
}
