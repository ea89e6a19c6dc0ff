package org.carapace.monitoring.internal;

/**
 * Device-wide limits applied after the per-type filters (IdsM rate and traffic limitation), so that a flood of
 * events cannot become a denial of service of the link, the journal or the back end.
 *
 * @param maxEvents events forwarded per interval; 0 for no limit
 * @param maxBytes bytes (authenticated envelopes) forwarded per interval; 0 for no limit
 * @param intervalMillis the interval of both limits
 * @param applyToBypass whether events of types in a {@code *_BYPASSING_FILTERS} mode count against and obey the limits
 */
record DeviceLimits(int maxEvents, long maxBytes, long intervalMillis, boolean applyToBypass) {

    DeviceLimits {
        if (maxEvents < 0 || maxBytes < 0) {
            throw new IllegalArgumentException("rate and traffic limits must not be negative");
        }
        if (intervalMillis < 1 || intervalMillis > 3_600_000) {
            throw new IllegalArgumentException("limit interval must be 1 to 3600000 ms, was " + intervalMillis);
        }
    }

    static DeviceLimits none() {
        return new DeviceLimits(0, 0, 1000, true);
    }
}
