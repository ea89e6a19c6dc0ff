package org.carapace.monitoring.internal;

/**
 * IdsM reporting modes of an event type: whether it is reported, with or without context data, and whether it
 * passes through the per-type filters (forward-every-Nth, aggregation, threshold).
 */
enum ReportingMode {
    /** Not reported; counted as dropped by the filter. */
    OFF,
    /** Reported without context data. */
    BRIEF,
    /** Reported with context data. */
    DETAILED,
    /** Reported without context data, skipping the per-type filters. */
    BRIEF_BYPASSING_FILTERS,
    /** Reported with context data, skipping the per-type filters. */
    DETAILED_BYPASSING_FILTERS;

    boolean brief() {
        return this == BRIEF || this == BRIEF_BYPASSING_FILTERS;
    }

    boolean bypassesFilters() {
        return this == BRIEF_BYPASSING_FILTERS || this == DETAILED_BYPASSING_FILTERS;
    }
}
