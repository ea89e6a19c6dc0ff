package org.carapace.api.monitoring;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;
import org.carapace.api.events.Severity;

/**
 * One security event as the back end receives it: event model version {@value #MODEL_VERSION}, modelled on the
 * AUTOSAR IdsM qualified security event (event definition id, sensor, count, timestamp, context data), with the
 * device identity, a per-device sequence number and both time bases added.
 *
 * <p>Instances are immutable and valid by construction: every bound below is checked in the constructor, which
 * throws {@link IllegalArgumentException} naming the member that was wrong. Context values are normalised:
 * integral numbers become {@link Long}, other numbers {@link Double} (finite only), and lists are copied.
 *
 * @param deviceId the device that saw the event ({@link MonitoringTopics#isName})
 * @param sequence the device's sequence number, from 1, gap-free and never reused by that device
 * @param bootId identifies the epoch of {@code monotonicNanos}: the kernel's boot id (or one per runtime start
 *               when the kernel offers none); 1 to 64 characters of {@code [A-Za-z0-9-]}
 * @param time the device's wall-clock time of the (first) occurrence, UTC
 * @param monotonicNanos the device's monotonic clock at the (first) occurrence, nanoseconds; resets with a new
 *                       {@code bootId}
 * @param eventId the IdsM event definition id, 0 to 0xFFFE
 * @param type the event type's name ({@code SecurityEventType} name, or one a newer device knows)
 * @param category the event category, also the last level of the MQTT topic
 * @param sensor the reporting component, normally a bundle symbolic name
 * @param severity the severity configured on the device for this type
 * @param count occurrences this event stands for (aggregation sums them), 1 to 65535 as in IdsM
 * @param message one line for a human, at most {@value #MAX_MESSAGE_CHARS} characters
 * @param context bounded details; empty for events reported in brief mode
 * @param truncated whether the device shortened the message or context to fit its bounds
 * @param idsm the same event as binary IdsM frames, when the device is configured to add them; else {@code null}
 */
public record QualifiedEvent(String deviceId, long sequence, String bootId, Instant time, long monotonicNanos,
                             int eventId, String type, String category, String sensor, Severity severity, int count,
                             String message, Map<String, Object> context, boolean truncated, IdsmFrame idsm) {

    /** The event model version carried in every event as {@code "v"}. */
    public static final int MODEL_VERSION = 1;

    /** Largest IdsM event definition id; 0xFFFF means "invalid" in IdsM. */
    public static final int MAX_EVENT_ID = 0xFFFE;
    /** Largest count (16 bit in the IdsM event frame). */
    public static final int MAX_COUNT = 0xFFFF;
    public static final int MAX_MESSAGE_CHARS = 1024;
    public static final int MAX_SENSOR_CHARS = 128;
    public static final int MAX_CONTEXT_ENTRIES = 64;
    public static final int MAX_CONTEXT_KEY_CHARS = 64;
    public static final int MAX_CONTEXT_VALUE_CHARS = 4096;
    public static final int MAX_CONTEXT_LIST_ELEMENTS = 64;

    private static final Pattern BOOT_ID = Pattern.compile("[A-Za-z0-9-]{1,64}");
    private static final Pattern TYPE = Pattern.compile("[A-Z][A-Z0-9_]{0,63}");

    public QualifiedEvent {
        if (!MonitoringTopics.isName(deviceId)) {
            throw new IllegalArgumentException("device must be a plain name of 1 to 64 characters, was '" + deviceId + "'");
        }
        if (sequence < 1) {
            throw new IllegalArgumentException("seq must be at least 1, was " + sequence);
        }
        if (!isBootId(bootId)) {
            throw new IllegalArgumentException("boot must match " + BOOT_ID + ", was '" + bootId + "'");
        }
        Objects.requireNonNull(time, "time");
        if (monotonicNanos < 0) {
            throw new IllegalArgumentException("mono must not be negative, was " + monotonicNanos);
        }
        if (eventId < 0 || eventId > MAX_EVENT_ID) {
            throw new IllegalArgumentException("id must be 0 to 0xFFFE, was " + eventId);
        }
        if (!isTypeName(type)) {
            throw new IllegalArgumentException("type must match " + TYPE + ", was '" + type + "'");
        }
        if (!MonitoringTopics.isName(category)) {
            throw new IllegalArgumentException("category must be a plain name, was '" + category + "'");
        }
        requireText("sensor", sensor, MAX_SENSOR_CHARS);
        if (sensor.isEmpty()) {
            throw new IllegalArgumentException("sensor must not be empty");
        }
        Objects.requireNonNull(severity, "severity");
        if (count < 1 || count > MAX_COUNT) {
            throw new IllegalArgumentException("count must be 1 to 65535, was " + count);
        }
        requireText("message", message, MAX_MESSAGE_CHARS);
        context = normaliseContext(context);
        if (idsm != null && (idsm.eventId() != eventId || idsm.count() != count)) {
            throw new IllegalArgumentException("idsm frame (event " + idsm.eventId() + ", count " + idsm.count()
                + ") does not match the event (" + eventId + ", " + count + ")");
        }
    }

    // hand-written equivalents of BOOT_ID and TYPE: validation runs for every event
    private static boolean isBootId(String value) {
        if (value == null || value.isEmpty() || value.length() > 64) {
            return false;
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (!(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-')) {
                return false;
            }
        }
        return true;
    }

    private static boolean isTypeName(String value) {
        if (value == null || value.isEmpty() || value.length() > 64 || value.charAt(0) < 'A' || value.charAt(0) > 'Z') {
            return false;
        }
        for (int i = 1; i < value.length(); i++) {
            char c = value.charAt(i);
            if (!(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_')) {
                return false;
            }
        }
        return true;
    }

    /** A copy with another count (aggregation); the IdsM frame, if any, is rebuilt with the new count. */
    public QualifiedEvent withCount(int newCount) {
        return new QualifiedEvent(deviceId, sequence, bootId, time, monotonicNanos, eventId, type, category, sensor,
            severity, newCount, message, context, truncated, idsm == null ? null : idsm.withCount(newCount));
    }

    private static void requireText(String name, String value, int maxChars) {
        Objects.requireNonNull(value, name);
        if (value.length() > maxChars) {
            throw new IllegalArgumentException(name + " must be at most " + maxChars + " characters, was " + value.length());
        }
    }

    private static Map<String, Object> normaliseContext(Map<String, Object> context) {
        if (context == null || context.isEmpty()) {
            return Map.of();
        }
        if (context.size() > MAX_CONTEXT_ENTRIES) {
            throw new IllegalArgumentException("context must have at most " + MAX_CONTEXT_ENTRIES + " entries, had " + context.size());
        }
        Map<String, Object> copy = new LinkedHashMap<>();
        for (Map.Entry<String, Object> entry : context.entrySet()) {
            String key = entry.getKey();
            if (key == null || key.isEmpty() || key.length() > MAX_CONTEXT_KEY_CHARS) {
                throw new IllegalArgumentException("context keys must be 1 to " + MAX_CONTEXT_KEY_CHARS + " characters, was '" + key + "'");
            }
            copy.put(key, normaliseValue("context." + key, entry.getValue(), true));
        }
        return Collections.unmodifiableMap(copy);
    }

    private static Object normaliseValue(String where, Object value, boolean listAllowed) {
        if (value instanceof String) {
            String s = (String) value;
            if (s.length() > MAX_CONTEXT_VALUE_CHARS) {
                throw new IllegalArgumentException(where + " must be at most " + MAX_CONTEXT_VALUE_CHARS + " characters");
            }
            return s;
        }
        if (value instanceof Boolean) {
            return value;
        }
        if (value instanceof Long || value instanceof Integer || value instanceof Short || value instanceof Byte) {
            return ((Number) value).longValue();
        }
        if (value instanceof Double || value instanceof Float) {
            double d = ((Number) value).doubleValue();
            if (!Double.isFinite(d)) {
                throw new IllegalArgumentException(where + " must be a finite number, was " + d);
            }
            return d;
        }
        if (listAllowed && value instanceof List) {
            List<?> list = (List<?>) value;
            if (list.size() > MAX_CONTEXT_LIST_ELEMENTS) {
                throw new IllegalArgumentException(where + " must have at most " + MAX_CONTEXT_LIST_ELEMENTS + " elements");
            }
            List<Object> copy = new ArrayList<>(list.size());
            for (int i = 0; i < list.size(); i++) {
                copy.add(normaliseValue(where + "[" + i + "]", list.get(i), false));
            }
            return Collections.unmodifiableList(copy);
        }
        throw new IllegalArgumentException(where + " must be a string, number, boolean"
            + (listAllowed ? " or a list of those" : "") + ", was " + (value == null ? "null" : value.getClass().getName()));
    }
}
