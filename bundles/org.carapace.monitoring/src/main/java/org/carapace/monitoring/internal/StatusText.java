package org.carapace.monitoring.internal;

import java.util.Map;

/** The human form of {@code events.status}, shared by the Gogo command and {@code carapace events status}. */
public final class StatusText {

    private StatusText() {
    }

    public static String render(Map<String, Object> status) {
        StringBuilder text = new StringBuilder();
        Map<?, ?> journal = (Map<?, ?>) status.get("journal");
        Map<?, ?> connection = (Map<?, ?>) status.get("connection");
        Map<?, ?> filters = (Map<?, ?>) status.get("filters");
        text.append(String.format("device %s, boot %s, key %s%s%n", status.get("device"), status.get("boot"), status.get("keyId"),
            Boolean.TRUE.equals(status.get("developmentKey")) ? " (DEVELOPMENT)" : ""));
        text.append(String.format("journal %s: %s pending (oldest %s), next seq %s, acked %s, %s of %s bytes, %s segments, %s dropped%n",
            journal.get("dir"), journal.get("pending"), or(journal.get("oldestPending"), "none"), journal.get("nextSeq"),
            journal.get("ackedSeq"), journal.get("bytes"), journal.get("maxBytes"), journal.get("segments"), journal.get("droppedEvents")));
        text.append(String.format("broker %s: %s since %s, last delivery %s, published %s, acknowledged %s, in flight %s%n",
            connection.get("broker"), connection.get("state"), connection.get("since"), or(connection.get("lastDelivery"), "never"),
            connection.get("published"), connection.get("acknowledged"), connection.get("inflight")));
        if (connection.get("lastError") != null) {
            text.append("  last error: ").append(connection.get("lastError")).append('\n');
        }
        Map<?, ?> commands = (Map<?, ?>) status.get("commands");
        if (commands != null) {
            // a runtime older than the command topic answers without them
            text.append(String.format("commands on %s: handlers %s, %s accepted, dropped %s%n", commands.get("topic"),
                commands.get("handlers"), commands.get("accepted"), commands.get("dropped")));
            if (commands.get("lastDrop") != null) {
                text.append("  last drop: ").append(commands.get("lastDrop")).append('\n');
            }
        }
        Map<?, ?> counters = (Map<?, ?>) filters.get("counters");
        text.append(String.format("filters: %s rules, %s malformed events%n", ((java.util.List<?>) filters.get("rules")).size(),
            filters.get("malformed")));
        for (Map.Entry<?, ?> entry : counters.entrySet()) {
            text.append(String.format("  %-28s %s%n", entry.getKey(), entry.getValue()));
        }
        return text.toString();
    }

    private static Object or(Object value, String otherwise) {
        return value == null ? otherwise : value;
    }
}
