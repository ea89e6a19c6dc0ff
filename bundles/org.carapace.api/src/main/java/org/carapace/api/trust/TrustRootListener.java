package org.carapace.api.trust;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Told when the device's trust root changes (whiteboard: register a service of this type). A consumer that keeps
 * documents verified under the old root should verify them again: keys may have been removed.
 *
 * <p>Called synchronously after the new root took effect, on the thread that installed it; implementations must be
 * quick and must not call {@link TrustService#install(byte[])}.
 */
@ConsumerType
public interface TrustRootListener {

    /**
     * @param previous the root before, or {@code null} when the device had none
     * @param current the root now in force
     */
    void rootChanged(TrustRoot previous, TrustRoot current);
}
