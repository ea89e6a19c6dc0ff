package org.carapace.api.secoc;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Receives authentic PDUs that verified (whiteboard service). A PDU that failed verification never reaches a
 * listener. Register with {@link SecuredChannel#NAME} or {@link SecuredChannel#DATA_ID} as a service property to
 * hear only one channel or Data ID; without either, a listener hears every channel.
 *
 * <p>Called on the transport's receive thread: return quickly.
 */
@ConsumerType
public interface SecuredMessageListener {

    void received(SecuredMessage message);
}
