package org.carapace.api.platform;

import java.nio.file.Path;
import org.osgi.annotation.versioning.ProviderType;

/**
 * Who this device is and where the runtime keeps its state.
 *
 * <p>Exactly one instance is registered while the platform is configured. Values never change during the
 * lifetime of a registration: a configuration change unregisters it and registers a new one, so holders are
 * reactivated by Declarative Services rather than seeing a path change under them. Thread-safe.
 */
@ProviderType
public interface PlatformInfo {

    /** The device identifier that appears in every event and that policies and update packages bind to. */
    String deviceId();

    /** The name of the runtime profile in use, for example {@code dev} or {@code headunit}. */
    String profile();

    /**
     * The directory for persistent state (policies, counters, event queue). It exists, is owned by the
     * runtime's user and is not readable by others.
     */
    Path dataDir();

    /** The directory for sockets and other state that must not survive a reboot. It exists, mode 0700. */
    Path runDir();
}
