package org.carapace.api.monitoring;

import java.util.regex.Pattern;

/**
 * MQTT topic names of Carapace monitoring, version 1.
 *
 * <ul>
 *   <li>{@code carapace/v1/<device>/events/<category>}: authenticated events ({@link EventEnvelope} JSON), QoS 1;</li>
 *   <li>{@code carapace/v1/<device>/status}: the device's retained online/offline status (also its last will);</li>
 *   <li>{@code carapace/v1/<device>/commands/<name>}: authenticated commands from the back end to the device
 *       ({@link CommandHandler}), QoS 1, never retained.</li>
 * </ul>
 * A back end subscribes to {@code carapace/v1/+/events/#}, or shares that subscription among consumers with
 * {@code $share/<group>/carapace/v1/+/events/#} (MQTT 5 §4.8.2; Mosquitto 2 also honours it for MQTT 3.1.1 clients).
 */
public final class MonitoringTopics {

    /** First levels of every Carapace monitoring topic. */
    public static final String ROOT = "carapace/v1";

    /** Wildcard for "every device" in a subscription (MQTT single-level wildcard). */
    public static final String ANY_DEVICE = "+";

    // MQTT 3.1.1 §4.7: topic levels are UTF-8 strings; '+', '#' are wildcards, '/' separates levels, '$' at
    // the start is reserved for the broker. Device ids, categories and share groups are plain names.
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1,64}");

    private MonitoringTopics() {
    }

    /** {@code carapace/v1/<device>/events/<category>}. */
    public static String events(String deviceId, String category) {
        return ROOT + "/" + name("device id", deviceId) + "/events/" + name("category", category);
    }

    /** {@code carapace/v1/<device>/status}, retained. */
    public static String status(String deviceId) {
        return ROOT + "/" + name("device id", deviceId) + "/status";
    }

    /** {@code carapace/v1/<device>/commands/<name>}: a command to one device. */
    public static String commands(String deviceId, String name) {
        return ROOT + "/" + name("device id", deviceId) + "/commands/" + name("command name", name);
    }

    /** The filter for every command to one device: {@code carapace/v1/<device>/commands/+}. */
    public static String commandsFilter(String deviceId) {
        return ROOT + "/" + name("device id", deviceId) + "/commands/+";
    }

    /**
     * The command name of a command topic of this device, or {@code null} when the topic is not one.
     *
     * @param deviceId this device
     * @param topic the topic a message arrived on
     */
    public static String commandName(String deviceId, String topic) {
        String prefix = ROOT + "/" + deviceId + "/commands/";
        if (topic == null || !topic.startsWith(prefix)) {
            return null;
        }
        String name = topic.substring(prefix.length());
        return isName(name) ? name : null;
    }

    /** The filter for every event of one device, or of every device when {@code deviceId} is {@code +}. */
    public static String eventsFilter(String deviceId) {
        return ROOT + "/" + deviceOrWildcard(deviceId) + "/events/#";
    }

    /** The filter for the status of one device, or of every device when {@code deviceId} is {@code +}. */
    public static String statusFilter(String deviceId) {
        return ROOT + "/" + deviceOrWildcard(deviceId) + "/status";
    }

    /** A shared subscription: {@code $share/<group>/<filter>} (MQTT 5 §4.8.2). */
    public static String shared(String group, String filter) {
        return "$share/" + name("share group", group) + "/" + filter;
    }

    /**
     * Parses an event or status topic.
     *
     * @return the device id and, for an event topic, the category ({@code null} for the status topic)
     * @throws IllegalArgumentException when the topic is not a Carapace monitoring topic
     */
    public static Parsed parse(String topic) {
        String[] levels = topic == null ? new String[0] : topic.split("/", -1);
        if (levels.length >= 4 && "carapace".equals(levels[0]) && "v1".equals(levels[1]) && isName(levels[2])) {
            if (levels.length == 5 && "events".equals(levels[3]) && isName(levels[4])) {
                return new Parsed(levels[2], levels[4]);
            }
            if (levels.length == 4 && "status".equals(levels[3])) {
                return new Parsed(levels[2], null);
            }
        }
        throw new IllegalArgumentException("not a Carapace monitoring topic: '" + topic + "'");
    }

    /** Whether {@code value} is usable as a device id, category or share group: {@code [A-Za-z0-9._-]{1,64}}. */
    public static boolean isName(String value) {
        if (value == null || value.isEmpty() || value.length() > 64) {
            return false;
        }
        // checked by hand: this runs for every event, and a regex was a measurable part of sealing one
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (!(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-')) {
                return false;
            }
        }
        return true;
    }

    private static String deviceOrWildcard(String deviceId) {
        return ANY_DEVICE.equals(deviceId) ? ANY_DEVICE : name("device id", deviceId);
    }

    private static String name(String what, String value) {
        if (!isName(value)) {
            throw new IllegalArgumentException(what + " must match " + NAME + ", was '" + value + "'");
        }
        return value;
    }

    /**
     * A parsed monitoring topic.
     *
     * @param deviceId the device level
     * @param category the category level of an event topic; {@code null} for the status topic
     */
    public record Parsed(String deviceId, String category) {
        public boolean isStatus() {
            return category == null;
        }
    }
}
