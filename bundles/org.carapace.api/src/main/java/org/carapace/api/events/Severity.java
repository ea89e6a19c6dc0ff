package org.carapace.api.events;

/** How urgent a security event is. Severity is configuration on the device, never part of the IdsM wire frame. */
public enum Severity {
    INFO, LOW, MEDIUM, HIGH, CRITICAL
}
