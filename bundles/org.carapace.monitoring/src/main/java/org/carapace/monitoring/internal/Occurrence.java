package org.carapace.monitoring.internal;

import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.carapace.api.events.SecurityEventType;

/**
 * One security event as monitoring received it, already bounded (see {@link ContextBounds}).
 *
 * @param type what happened
 * @param sensor who reported it
 * @param message the bounded message
 * @param count occurrences reported, 1 to 65535
 * @param context the bounded context
 * @param truncated whether bounding shortened anything
 * @param time wall-clock time of the observation
 * @param monotonicNanos the monotonic clock when monitoring received it
 */
record Occurrence(SecurityEventType type, String sensor, String message, int count, Map<String, Object> context,
                  boolean truncated, Instant time, long monotonicNanos) {

    Occurrence {
        context = Collections.unmodifiableMap(new LinkedHashMap<>(context));
    }

    Occurrence withCount(int newCount) {
        return new Occurrence(type, sensor, message, newCount, context, truncated, time, monotonicNanos);
    }
}
