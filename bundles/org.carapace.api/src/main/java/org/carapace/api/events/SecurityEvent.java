package org.carapace.api.events;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * One security event as a bundle reports it, before monitoring adds device id, sequence number and time base.
 *
 * <p>Post it with {@code eventAdmin.postEvent(new Event(e.topic(), e.toProperties()))}. Context values must be
 * strings, numbers, booleans or lists of those; monitoring bounds their size before anything leaves the device.
 *
 * @param type what happened
 * @param sensor who saw it: the reporting bundle's symbolic name
 * @param message one line for a human, without secrets
 * @param count how many occurrences this event stands for, at least 1
 * @param context bounded key/value details (container id, digest, path, ...); copied
 */
public record SecurityEvent(SecurityEventType type, String sensor, String message, int count,
                            Map<String, Object> context) {

    /** Root of every Carapace security event topic. Subscribe to {@code TOPIC_ROOT + "/*"} for all of them. */
    public static final String TOPIC_ROOT = "org/carapace/security";

    /** Event property: the event definition id (Integer). */
    public static final String PROP_EVENT_ID = "carapace.event.id";
    /** Event property: the {@link SecurityEventType} name (String). */
    public static final String PROP_TYPE = "carapace.event.type";
    /** Event property: the reporting bundle (String). */
    public static final String PROP_SENSOR = "carapace.event.sensor";
    /** Event property: the human-readable line (String). */
    public static final String PROP_MESSAGE = "carapace.event.message";
    /** Event property: the occurrence count (Integer, at least 1). */
    public static final String PROP_COUNT = "carapace.event.count";
    /** Event property: the context map (Map of String to Object). */
    public static final String PROP_CONTEXT = "carapace.event.context";
    /** Event property: wall-clock time of the observation in epoch milliseconds (Long). */
    public static final String PROP_TIMESTAMP = "timestamp";

    public SecurityEvent {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(sensor, "sensor");
        Objects.requireNonNull(message, "message");
        if (count < 1) {
            throw new IllegalArgumentException("count must be at least 1, was " + count);
        }
        context = Collections.unmodifiableMap(new LinkedHashMap<>(context == null ? Map.of() : context));
    }

    /** A single occurrence. */
    public static SecurityEvent of(SecurityEventType type, String sensor, String message, Map<String, Object> context) {
        return new SecurityEvent(type, sensor, message, 1, context);
    }

    public String topic() {
        return type.topic();
    }

    /** The EventAdmin properties for this event, with the given wall-clock time. */
    public Map<String, Object> toProperties(long epochMillis) {
        Map<String, Object> props = new LinkedHashMap<>();
        props.put(PROP_EVENT_ID, type.id());
        props.put(PROP_TYPE, type.name());
        props.put(PROP_SENSOR, sensor);
        props.put(PROP_MESSAGE, message);
        props.put(PROP_COUNT, count);
        props.put(PROP_CONTEXT, context);
        props.put(PROP_TIMESTAMP, epochMillis);
        return props;
    }
}
