package org.carapace.monitoring.internal;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.carapace.api.monitoring.EventCodec;
import org.carapace.api.monitoring.EventEnvelope;
import org.carapace.api.monitoring.EventVerifier;
import org.carapace.api.monitoring.QualifiedEvent;
import org.eclipse.paho.client.mqttv3.IMqttDeliveryToken;
import org.eclipse.paho.client.mqttv3.MqttCallback;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;

/** A back end in miniature for tests: a Paho client that collects what arrives on the monitoring topics. */
final class TestSubscriber implements AutoCloseable {

    record Received(String topic, byte[] payload, boolean retained) {
        String text() {
            return new String(payload, StandardCharsets.UTF_8);
        }
    }

    final BlockingQueue<Received> messages = new LinkedBlockingQueue<>();
    private final MqttClient client;

    TestSubscriber(String url, String username, String password, String... filters) throws Exception {
        this(url, null, username, password, List.of(filters));
    }

    /** A persistent session under {@code clientId}: the broker keeps QoS 1 messages while this subscriber is away. */
    static TestSubscriber persistent(String url, String clientId, String... filters) throws Exception {
        return new TestSubscriber(url, clientId, null, null, List.of(filters));
    }

    private TestSubscriber(String url, String clientId, String username, String password, List<String> filters) throws Exception {
        client = new MqttClient(url, clientId != null ? clientId : "test-subscriber-" + System.nanoTime(), new MemoryPersistence());
        MqttConnectOptions options = new MqttConnectOptions();
        options.setCleanSession(clientId == null);
        options.setMaxInflight(10_000);
        if (username != null) {
            options.setUserName(username);
            options.setPassword(password.toCharArray());
        }
        // one callback set before connecting: a persistent session's queued messages arrive right after CONNACK,
        // before any per-subscription listener could be registered (Paho would acknowledge and drop them)
        client.setCallback(new MqttCallback() {
            @Override
            public void messageArrived(String topic, MqttMessage message) {
                messages.add(new Received(topic, message.getPayload(), message.isRetained()));
            }

            @Override
            public void connectionLost(Throwable cause) {
            }

            @Override
            public void deliveryComplete(IMqttDeliveryToken token) {
            }
        });
        client.connect(options);
        for (String filter : filters) {
            client.subscribe(filter, 1); // synchronous: returns after the SUBACK
        }
    }

    /** Takes the next message on a topic matching {@code suffix}, or fails after the timeout. */
    Received next(String suffix, long timeoutMillis) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMillis;
        while (true) {
            long left = deadline - System.currentTimeMillis();
            Received received = left <= 0 ? null : messages.poll(left, TimeUnit.MILLISECONDS);
            if (received == null) {
                throw new AssertionError("no message on *" + suffix + " within " + timeoutMillis + " ms");
            }
            if (received.topic().endsWith(suffix)) {
                return received;
            }
        }
    }

    /** Collects verified events until {@code until} distinct sequence numbers arrived; answers them in arrival order. */
    List<QualifiedEvent> events(EventVerifier verifier, String device, int distinct, long timeoutMillis) throws Exception {
        List<QualifiedEvent> events = new ArrayList<>();
        java.util.Set<Long> seen = new java.util.HashSet<>();
        long deadline = System.currentTimeMillis() + timeoutMillis;
        while (seen.size() < distinct) {
            long left = deadline - System.currentTimeMillis();
            Received received = left <= 0 ? null : messages.poll(left, TimeUnit.MILLISECONDS);
            if (received == null) {
                throw new AssertionError("only " + seen.size() + " of " + distinct + " events within " + timeoutMillis + " ms");
            }
            if (!received.topic().contains("/events/")) {
                continue;
            }
            EventEnvelope envelope = EventEnvelope.fromJson(received.payload());
            verifier.verify(device, envelope);
            QualifiedEvent event = EventCodec.decode(envelope.payload());
            events.add(event);
            seen.add(event.sequence());
        }
        return events;
    }

    void publish(String topic, byte[] payload) throws Exception {
        client.publish(topic, new MqttMessage(payload));
    }

    @Override
    public void close() throws org.eclipse.paho.client.mqttv3.MqttException {
        if (client.isConnected()) {
            client.disconnect();
        }
        client.close();
    }
}
