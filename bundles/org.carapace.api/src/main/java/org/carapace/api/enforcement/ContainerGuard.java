package org.carapace.api.enforcement;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Protects a container from the moment the gate allows it (whiteboard service).
 *
 * <p>The gate calls every registered guard synchronously after it has decided to allow a container and before it
 * answers the runtime, so whatever a guard sets up (for example fanotify marks) is in place before the container's
 * first process runs. A guard must return quickly: its time counts against the hook's timeout.
 *
 * <p>Thread-safe: the gate serves creations concurrently.
 */
@ConsumerType
public interface ContainerGuard {

    /**
     * A container is about to be created from an allowed image.
     *
     * @param decision the gate's decision ({@link Verdict#ALLOW} or {@link Verdict#AUDIT})
     * @param state the container's OCI state
     * @throws GuardException when protection cannot be set up; the gate then refuses the creation (fail closed)
     */
    void containerAllowed(GateDecision decision, ContainerState state) throws GuardException;

    /**
     * A container has stopped (OCI {@code poststop}); release what {@link #containerAllowed} set up. Never throws
     * for expected conditions; may be called for containers this guard never saw.
     */
    void containerStopped(ContainerState state);
}
