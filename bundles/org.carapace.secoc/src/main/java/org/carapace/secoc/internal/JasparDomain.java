package org.carapace.secoc.internal;

import java.io.IOException;

/**
 * The trip and reset counters shared by the JASPAR channels of one freshness domain.
 *
 * <p>A <b>master</b> owns them: at each start-up it raises the trip counter (persisted in a
 * {@link ReservationFile} before it is used, so a restart never repeats a trip) and restarts the reset counter at 1;
 * every reset cycle it raises the reset counter. Overflow rules (JASPAR): trip counter at its maximum: trip and reset
 * counters restart (at 1); reset counter at its maximum: held. A <b>slave</b> learns them from authenticated
 * synchronisation messages: it takes a pair greater than or equal to its own (equal: a periodic repeat, no change),
 * or, only when its trip counter is at the maximum, the restarted trip 1. Until the first synchronisation a slave
 * has none (0), and its channels can neither send nor accept.
 *
 * <p>Thread-safe.
 */
final class JasparDomain {

    enum Role { MASTER, SLAVE }

    private final String name;
    private final JasparLayout layout;
    private final Role role;
    private volatile long tripReset;

    private JasparDomain(String name, JasparLayout layout, Role role, long tripReset) {
        this.name = name;
        this.layout = layout;
        this.role = role;
        this.tripReset = tripReset;
    }

    /** A master: raises the persisted trip counter before anything uses it. */
    static JasparDomain master(String name, JasparLayout layout, ReservationFile tripFile)
        throws IOException, ReservationFile.CorruptStateException {
        long stored = tripFile.read().orElse(0);
        long trip = stored >= layout.tripMax() ? 1 : stored + 1;
        if (stored >= layout.tripMax()) {
            // trip counter overflow: trip and reset restart; the record must go down, so replace it deliberately
            java.nio.file.Files.deleteIfExists(tripFile.path());
            tripFile = new ReservationFile(tripFile.path());
        }
        tripFile.write(trip);
        return new JasparDomain(name, layout, Role.MASTER, layout.tripReset(trip, 1));
    }

    /** A slave: nothing until the first synchronisation message. */
    static JasparDomain slave(String name, JasparLayout layout) {
        return new JasparDomain(name, layout, Role.SLAVE, 0);
    }

    String name() {
        return name;
    }

    JasparLayout layout() {
        return layout;
    }

    Role role() {
        return role;
    }

    /** {@code trip | reset}, or 0 if not synchronised yet. */
    long tripReset() {
        return tripReset;
    }

    /** Master: the next reset cycle. Answers the new pair (unchanged when the reset counter is held at its maximum). */
    synchronized long advanceReset() {
        if (role != Role.MASTER) {
            throw new IllegalStateException("JASPAR domain " + name + " is a slave: only the master counts reset cycles");
        }
        long reset = layout.resetOf(tripReset);
        if (reset < layout.resetMax()) {
            tripReset = layout.tripReset(layout.tripOf(tripReset), reset + 1);
        }
        return tripReset;
    }

    /** Whether a slave would take this pair from a synchronisation message. */
    boolean acceptable(long offered) {
        if (role != Role.SLAVE) {
            return false;
        }
        long trip = layout.tripOf(offered);
        long reset = layout.resetOf(offered);
        if (trip < 1 || trip > layout.tripMax() || reset < 1) {
            return false;
        }
        long current = tripReset;
        if (Long.compareUnsigned(offered, current) >= 0) {
            return true;
        }
        return layout.tripOf(current) == layout.tripMax() && trip == 1;
    }

    /** Slave: takes the pair of a verified synchronisation message. */
    synchronized boolean synchronise(long offered) {
        if (!acceptable(offered)) {
            return false;
        }
        tripReset = offered;
        return true;
    }

    /** A slave that verified a data PDU of the next reset cycle learns that cycle (the MAC proves it). */
    synchronized void observe(long offered) {
        if (role == Role.SLAVE && Long.compareUnsigned(offered, tripReset) > 0) {
            tripReset = offered;
        }
    }

    @Override
    public String toString() {
        return "JasparDomain[" + name + ", " + role + ", trip=" + layout.tripOf(tripReset) + ", reset=" + layout.resetOf(tripReset) + "]";
    }
}
