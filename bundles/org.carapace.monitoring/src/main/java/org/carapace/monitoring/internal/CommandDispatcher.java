package org.carapace.monitoring.internal;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.carapace.api.monitoring.CommandHandler;
import org.carapace.api.monitoring.EventAuthenticationException;
import org.carapace.api.monitoring.EventEnvelope;
import org.carapace.api.monitoring.EventVerifier;
import org.carapace.api.monitoring.MalformedEventException;
import org.carapace.api.monitoring.MonitoringTopics;
import org.osgi.framework.Constants;

/**
 * Checks each message that arrives on this device's command topics and hands the authenticated ones to the
 * {@link CommandHandler} registered for the topic's name (docs/events.md, "Commands").
 *
 * <p>Checks, in order: the topic is {@code carapace/v1/<this device>/commands/<name>}; the message is not retained (a
 * retained command would be delivered again at every connect); it is at most {@link CommandHandler#MAX_MESSAGE_BYTES};
 * it is a DSSE envelope of payload type {@link CommandHandler#PAYLOAD_TYPE}; its authenticator verifies, in constant
 * time, with this device's key; a handler is registered for the name. A message that fails a check is dropped and
 * counted, never answered: its sender is unknown, and a report per forged message would let anyone who can publish to
 * the broker fill the event journal. Warnings are logged at most once a minute.
 */
final class CommandDispatcher {

    private final String deviceId;
    private final EventVerifier verifier;
    private final Consumer<String> warn;
    /** Per name, every registered handler, the one in use first (highest service ranking, then lowest service id). */
    private final Map<String, List<Registration>> handlers = new HashMap<>();
    private final AtomicLong accepted = new AtomicLong();
    private final Map<String, AtomicLong> dropped = new ConcurrentHashMap<>();
    private volatile String lastDrop;
    private long lastWarningNanos;
    private boolean warned;

    CommandDispatcher(String deviceId, EventVerifier verifier, Consumer<String> warn) {
        this.deviceId = deviceId;
        this.verifier = verifier;
        this.warn = warn;
    }

    private record Registration(CommandHandler handler, int ranking, long serviceId) {
        static final Comparator<Registration> ORDER = Comparator.comparingInt(Registration::ranking).reversed()
            .thenComparingLong(Registration::serviceId);
    }

    /**
     * A handler service came (whiteboard): it is used for its name if it ranks highest (OSGi Core §5.2.5: highest
     * {@code service.ranking}, then lowest {@code service.id}); the others wait and take over when it goes. A handler
     * without a valid {@link CommandHandler#NAME} (missing, not a String, not a topic level) is refused with a warning.
     */
    void add(Map<String, ?> properties, CommandHandler handler) {
        Object name = properties.get(CommandHandler.NAME);
        if (!(name instanceof String) || !MonitoringTopics.isName((String) name)) {
            warn.accept("A command handler with the invalid or missing name " + (name instanceof String ? "'" + escape((String) name) + "'"
                : String.valueOf(name == null ? null : name.getClass().getName())) + " (property " + CommandHandler.NAME
                + ") is ignored");
            return;
        }
        Object ranking = properties.get(Constants.SERVICE_RANKING);
        Object id = properties.get(Constants.SERVICE_ID);
        Registration registration = new Registration(handler, ranking instanceof Integer r ? r : 0,
            id instanceof Long l ? l : Long.MAX_VALUE);
        synchronized (handlers) {
            List<Registration> list = handlers.computeIfAbsent((String) name, n -> new ArrayList<>());
            list.add(registration);
            list.sort(Registration.ORDER);
            if (list.size() > 1) {
                warn.accept("Several handlers for the command '" + name + "': using the one with the highest service.ranking ("
                    + list.get(0).ranking() + ", service.id " + list.get(0).serviceId() + ")");
            }
        }
    }

    /** A handler service went: the next one of its name, if any, takes over. */
    void remove(Map<String, ?> properties, CommandHandler handler) {
        Object name = properties.get(CommandHandler.NAME);
        if (!(name instanceof String)) {
            return;
        }
        synchronized (handlers) {
            List<Registration> list = handlers.get(name);
            if (list != null) {
                // by identity: the same object may be registered twice under one name
                Object id = properties.get(Constants.SERVICE_ID);
                boolean removed = list.removeIf(r -> r.handler() == handler && (!(id instanceof Long l) || r.serviceId() == l));
                if (!removed) {
                    list.removeIf(r -> r.handler() == handler);
                }
                if (list.isEmpty()) {
                    handlers.remove(name);
                }
            }
        }
    }

    private CommandHandler handler(String name) {
        synchronized (handlers) {
            List<Registration> list = handlers.get(name);
            return list == null || list.isEmpty() ? null : list.get(0).handler();
        }
    }

    /** Control characters (and backslashes) as escapes: what an attacker sends must not forge log lines. */
    static String escape(String text) {
        StringBuilder out = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\\') {
                out.append("\\\\");
            } else if (c < 0x20 || c == 0x7f || c >= 0x80 && c < 0xa0 || c == 0x2028 || c == 0x2029) {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    /** One message from the broker; called on the MQTT client's thread. */
    void arrived(String topic, byte[] message, boolean retained) {
        String name = MonitoringTopics.commandName(deviceId, topic);
        if (name == null) {
            drop("topic", "not a command topic of this device: " + topic);
            return;
        }
        if (retained) {
            drop("retained", "a retained message on " + topic + " (commands must not be retained)");
            return;
        }
        if (message.length > CommandHandler.MAX_MESSAGE_BYTES) {
            drop("oversize", message.length + " bytes on " + topic + ", more than " + CommandHandler.MAX_MESSAGE_BYTES);
            return;
        }
        EventEnvelope envelope;
        try {
            envelope = EventEnvelope.fromJson(message);
        } catch (MalformedEventException e) {
            drop("malformed", "not an envelope on " + topic + ": " + e.getMessage());
            return;
        }
        if (!CommandHandler.PAYLOAD_TYPE.equals(envelope.payloadType())) {
            drop("payloadType", "payload type " + envelope.payloadType() + " on " + topic);
            return;
        }
        try {
            verifier.verify(deviceId, envelope);
        } catch (EventAuthenticationException e) {
            drop("unauthenticated", "a command on " + topic + " is not authenticated with this device's key: " + e.getMessage());
            return;
        }
        CommandHandler handler = handler(name);
        if (handler == null) {
            drop("noHandler", "no handler for the command " + name);
            return;
        }
        accepted.incrementAndGet();
        try {
            handler.handle(envelope.payload());
        } catch (RuntimeException e) {
            drop("handlerFailed", "the handler of " + name + " failed: " + e);
        }
    }

    private void drop(String counter, String message) {
        // topics and parser messages come from whoever can publish to the broker
        String why = escape(message);
        dropped.computeIfAbsent(counter, c -> new AtomicLong()).incrementAndGet();
        lastDrop = why;
        synchronized (this) {
            // anyone who can publish to the broker can send these: one warning, then at most one a minute
            long now = System.nanoTime();
            if (!warned || now - lastWarningNanos >= 60_000_000_000L) {
                warned = true;
                lastWarningNanos = now;
                warn.accept("Command dropped: " + why + " (further drops are counted in events.status, logged once a minute)");
            }
        }
    }

    /** Counters for {@code events.status}. */
    Map<String, Object> status() {
        Map<String, Object> status = new LinkedHashMap<>();
        status.put("topic", MonitoringTopics.commandsFilter(deviceId));
        synchronized (handlers) {
            status.put("handlers", new java.util.TreeSet<>(handlers.keySet()));
        }
        status.put("accepted", accepted.get());
        Map<String, Object> drops = new java.util.TreeMap<>();
        dropped.forEach((k, v) -> drops.put(k, v.get()));
        status.put("dropped", drops);
        status.put("lastDrop", lastDrop);
        return status;
    }
}
