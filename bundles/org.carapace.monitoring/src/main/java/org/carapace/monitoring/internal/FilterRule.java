package org.carapace.monitoring.internal;

import java.util.Objects;
import org.carapace.api.events.SecurityEventType;
import org.carapace.api.events.Severity;

/**
 * The configured filters of one event type, applied in the IdsM order: reporting mode, forward-every-Nth,
 * aggregation over a window, threshold.
 *
 * @param type the event type
 * @param mode the reporting mode
 * @param severity the severity reported for this type ({@code null}: the type's default)
 * @param forwardEveryNth 1 forwards every occurrence; N forwards the first, then every N-th after it
 * @param aggregationWindowMillis 0 off; else occurrences within a window become one event with the counts summed,
 *                                reported when the window ends
 * @param threshold 0 or 1 off; else an aggregated event is reported only when its summed count reaches this
 *                  (needs an aggregation window)
 */
record FilterRule(SecurityEventType type, ReportingMode mode, Severity severity, int forwardEveryNth,
                  long aggregationWindowMillis, int threshold) {

    FilterRule {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(mode, "mode");
        if (forwardEveryNth < 1) {
            throw new IllegalArgumentException(type + ": forwardEveryNth must be at least 1, was " + forwardEveryNth);
        }
        if (aggregationWindowMillis < 0 || aggregationWindowMillis > 86_400_000L) {
            throw new IllegalArgumentException(type + ": aggregationWindowMillis must be 0 to 86400000, was " + aggregationWindowMillis);
        }
        if (threshold < 0 || threshold > 65_535) {
            throw new IllegalArgumentException(type + ": threshold must be 0 to 65535, was " + threshold);
        }
        if (threshold > 1 && aggregationWindowMillis == 0) {
            throw new IllegalArgumentException(type + ": a threshold of " + threshold + " needs an aggregation window");
        }
    }

    /** The rule of a type nobody configured: detailed, every occurrence, default severity. */
    static FilterRule defaultFor(SecurityEventType type) {
        return new FilterRule(type, ReportingMode.DETAILED, null, 1, 0, 0);
    }

    Severity effectiveSeverity() {
        return severity != null ? severity : type.defaultSeverity();
    }
}
