package org.carapace.dashboard.internal;

import java.util.Map;

/**
 * A device as the overview shows it: its retained status (a presence hint, unauthenticated), its last verified event
 * and its counters ({@code severity.<S>} events, {@code duplicate}, {@code rejected.<reason>}, {@code gap}).
 */
public record DeviceRow(String deviceId, String state, String boot, String statusTime, String statusReason, Long statusReceivedMs,
                        Long lastEventId, Long lastSeq, String lastType, String lastSeverity, Long lastEventMs,
                        Map<String, Long> counters) {

    public DeviceRow {
        counters = Map.copyOf(counters);
    }
}
