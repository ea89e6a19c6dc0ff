package org.carapace.dashboard.internal;

import java.util.Objects;

/**
 * One verified event as the dashboard stores it.
 *
 * @param id the database's id (arrival order); 0 before it is stored
 * @param deviceId the device
 * @param seq the device's sequence number (unique per device)
 * @param boot the device's boot id
 * @param eventMs the event's wall-clock time, epoch ms
 * @param receivedMs when the dashboard received it, epoch ms
 * @param eventDefId the IdsM event definition id
 * @param type the event type
 * @param category the category
 * @param sensor the reporting component
 * @param severity INFO, LOW, MEDIUM, HIGH or CRITICAL
 * @param count occurrences it stands for
 * @param message the device's one-line message (attacker-influenced: shown as text only)
 * @param contextJson the event's context as a JSON object (attacker-influenced)
 * @param truncated the device shortened it
 * @param late it arrived after a higher sequence number
 */
public record StoredEvent(long id, String deviceId, long seq, String boot, long eventMs, long receivedMs, int eventDefId, String type,
                          String category, String sensor, String severity, int count, String message, String contextJson,
                          boolean truncated, boolean late) {

    public StoredEvent {
        Objects.requireNonNull(deviceId, "deviceId");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(severity, "severity");
        Objects.requireNonNull(contextJson, "contextJson");
    }

    /** The same event with the database's id. */
    public StoredEvent withId(long newId) {
        return new StoredEvent(newId, deviceId, seq, boot, eventMs, receivedMs, eventDefId, type, category, sensor, severity, count,
            message, contextJson, truncated, late);
    }
}
