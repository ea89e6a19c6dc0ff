package org.carapace.api.monitoring;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Makes the authenticator of an event on the device.
 *
 * <p>Implementations hold the device's secret; they are thread-safe.
 */
@ProviderType
public interface EventAuthenticator {

    /** The id of the key, written into each envelope's {@code keyid}. */
    String keyId();

    /** Authenticates {@code payload}: an envelope over PAE(payloadType, payload). */
    EventEnvelope seal(String payloadType, byte[] payload);
}
