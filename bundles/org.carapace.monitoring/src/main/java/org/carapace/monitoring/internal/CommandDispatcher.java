package org.carapace.monitoring.internal;

import java.util.LinkedHashMap;
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
    private final Map<String, CommandHandler> handlers = new ConcurrentHashMap<>();
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

    void add(String name, CommandHandler handler) {
        if (!MonitoringTopics.isName(name)) {
            warn.accept("A command handler with the invalid name '" + name + "' is ignored");
            return;
        }
        handlers.put(name, handler);
    }

    void remove(String name, CommandHandler handler) {
        if (name != null) {
            handlers.remove(name, handler);
        }
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
        CommandHandler handler = handlers.get(name);
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

    private void drop(String counter, String why) {
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
        status.put("handlers", new java.util.TreeSet<>(handlers.keySet()));
        status.put("accepted", accepted.get());
        Map<String, Object> drops = new java.util.TreeMap<>();
        dropped.forEach((k, v) -> drops.put(k, v.get()));
        status.put("dropped", drops);
        status.put("lastDrop", lastDrop);
        return status;
    }
}
