package org.carapace.api.monitoring;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * A handler of commands the back end sends to this device over MQTT (whiteboard service, registered with
 * {@link #NAME}).
 *
 * <p>The monitoring bundle, the runtime's only MQTT speaker, subscribes to
 * {@link MonitoringTopics#commands(String, String) carapace/v1/&lt;device&gt;/commands/&lt;name&gt;} at QoS 1. A
 * message there must be a DSSE envelope ({@link EventEnvelope}) of payload type {@link #PAYLOAD_TYPE}, at most
 * {@link #MAX_MESSAGE_BYTES} long, not retained, authenticated with this device's event key exactly as events are
 * ({@code HMAC-SHA-256(K_device, PAE(payloadType, payload))}, {@code docs/events.md} §4). Only then is the payload
 * handed to the handler registered for {@code <name>}; everything else is dropped and counted by monitoring. The
 * payload type differs from the events', so an event the device sent cannot be replayed to it as a command.
 *
 * <p>Authentication says who sent a command, nothing more: what it may cause is the handler's business (the OTA
 * installer, for example, still verifies the signatures of the package a command points to). The payload's own
 * freshness (an expiry, an id) is checked by the handler. Called on the MQTT client's thread, one message at a
 * time: a handler must return quickly and do its work elsewhere. A handler that throws is logged and counted.
 */
@ConsumerType
public interface CommandHandler {

    /** Service property: the command's name, the topic's last level, {@code [A-Za-z0-9._-]{1,64}}. */
    String NAME = "carapace.command.name";

    /** DSSE payload type of a command. */
    String PAYLOAD_TYPE = "application/vnd.carapace.command.v1+json";

    /** Longest command message (the envelope JSON) monitoring accepts. */
    int MAX_MESSAGE_BYTES = 16 * 1024;

    /**
     * Handles one authenticated command.
     *
     * @param payload the envelope's payload bytes, authenticated with this device's key (a copy, the handler's own)
     */
    void handle(byte[] payload);
}
