package org.carapace.dashboard.internal;

import java.util.Set;

/**
 * A filter over stored events; every member is optional ({@code null}/empty: no condition).
 *
 * @param deviceId one device
 * @param type one event type
 * @param severities any of these severities
 * @param fromMs event time at or after, epoch ms
 * @param toMs event time before, epoch ms
 * @param beforeId ids below (paging backwards)
 * @param afterId ids above (catching up a live stream)
 * @param limit at most this many, newest first (oldest first with {@code afterId})
 */
public record EventQuery(String deviceId, String type, Set<String> severities, Long fromMs, Long toMs, Long beforeId, Long afterId,
                         int limit) {

    public EventQuery {
        severities = severities == null ? Set.of() : Set.copyOf(severities);
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be positive, was " + limit);
        }
    }

    /** Every event, newest first. */
    public static EventQuery latest(int limit) {
        return new EventQuery(null, null, Set.of(), null, null, null, null, limit);
    }

    /** Whether a stored event passes the filter's conditions (ids and limit aside); used for the live stream. */
    public boolean matches(StoredEvent event) {
        return (deviceId == null || deviceId.equals(event.deviceId()))
            && (type == null || type.equals(event.type()))
            && (severities.isEmpty() || severities.contains(event.severity()))
            && (fromMs == null || event.eventMs() >= fromMs)
            && (toMs == null || event.eventMs() < toMs);
    }

    public EventQuery withAfterId(Long id, int newLimit) {
        return new EventQuery(deviceId, type, severities, fromMs, toMs, null, id, newLimit);
    }
}
