package org.carapace.api.monitoring;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Checks on the back end that an envelope was made by the key of the device it claims to come from.
 *
 * <p>Verification covers the payload bytes only: the caller must then decode the payload and check that its
 * {@code device} is {@code deviceId} (and matches the topic) and classify its sequence number (replay, gaps) with
 * a {@link SequenceTracker}. Implementations are thread-safe.
 */
@ProviderType
public interface EventVerifier {

    /**
     * Verifies the envelope's authenticator in constant time.
     *
     * @param deviceId the device the event claims (from the topic)
     * @throws UnknownEventKeyException when no key for the device, or not the named one, is known
     * @throws InvalidAuthenticatorException when the authenticator does not match: forged or altered
     */
    void verify(String deviceId, EventEnvelope envelope) throws EventAuthenticationException;
}
