package org.carapace.protection.internal;

import org.carapace.api.events.SecurityEventType;

/**
 * The answer to one permission event.
 *
 * @param allow what the kernel is told
 * @param ignoreMask fanotify events to stop asking about for this inode in this container (an ignore mark), 0 for none
 * @param violation the rule the access broke ({@code null} when it broke none); in audit mode the access is allowed
 *                  and still carries its violation, to be reported
 * @param rule short name of the rule ({@code exec-whitelist}, {@code library}, {@code file-protection},
 *             {@code associated-execution}) for reports
 * @param reason one line for a human
 */
record Verdict(boolean allow, long ignoreMask, SecurityEventType violation, String rule, String reason) {

    static final Verdict ALLOW = new Verdict(true, 0, null, null, null);

    static Verdict allow(long ignoreMask) {
        return ignoreMask == 0 ? ALLOW : new Verdict(true, ignoreMask, null, null, null);
    }
}
