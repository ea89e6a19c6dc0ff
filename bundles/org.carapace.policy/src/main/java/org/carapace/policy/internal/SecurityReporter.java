package org.carapace.policy.internal;

import java.util.Map;
import org.carapace.api.events.SecurityEventType;

/** Where the stores report security events; the components post them on EventAdmin. */
@FunctionalInterface
public interface SecurityReporter {

    /** Reports nothing (tools and tests that do not look at events). */
    SecurityReporter NONE = (type, message, context) -> { };

    void report(SecurityEventType type, String message, Map<String, Object> context);
}
