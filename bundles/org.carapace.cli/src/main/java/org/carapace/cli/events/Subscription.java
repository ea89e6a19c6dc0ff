package org.carapace.cli.events;

import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.BiConsumer;
import org.eclipse.paho.client.mqttv3.IMqttDeliveryToken;
import org.eclipse.paho.client.mqttv3.MqttAsyncClient;
import org.eclipse.paho.client.mqttv3.MqttCallback;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;

/**
 * A subscription that survives broker restarts: connects, subscribes, and after a lost connection connects again
 * (a fresh client each time, backoff with jitter up to 5 s) and subscribes again. Paho's own automatic reconnect is
 * not used: under load it was seen to leave a reconnected socket without ever completing the MQTT CONNECT.
 */
public final class Subscription implements AutoCloseable {

    /** What the subscription reports: "subscribed", "disconnected", "error". */
    public interface Listener {
        void note(String kind, String message, boolean reconnect);
    }

    private final String broker;
    private final String clientId;
    private final MqttConnectOptions options;
    private final List<String> filters;
    private final BiConsumer<String, MqttMessage> messages;
    private final Listener listener;
    private final Object signal = new Object();
    private volatile boolean running = true;
    private volatile boolean lost;
    private MqttAsyncClient client;
    private Thread thread;

    public Subscription(String broker, String clientId, MqttConnectOptions options, List<String> filters,
                 BiConsumer<String, MqttMessage> messages, Listener listener) {
        this.broker = broker;
        this.clientId = clientId;
        this.options = options;
        this.filters = filters;
        this.messages = messages;
        this.listener = listener;
    }

    /** Connects and subscribes once, in the caller's thread; then keeps the subscription alive in the background. */
    public void start() throws MqttException {
        connect(false);
        thread = new Thread(this::keepAlive, "carapace-subscription");
        thread.setDaemon(true);
        thread.start();
    }

    private void connect(boolean reconnect) throws MqttException {
        MqttAsyncClient fresh = new MqttAsyncClient(broker, clientId, new MemoryPersistence());
        fresh.setCallback(new MqttCallback() {
            @Override
            public void connectionLost(Throwable cause) {
                listener.note("disconnected", "connection lost: " + cause + "; reconnecting", reconnect);
                lost = true;
                synchronized (signal) {
                    signal.notifyAll();
                }
            }

            @Override
            public void messageArrived(String topic, MqttMessage message) {
                messages.accept(topic, message);
            }

            @Override
            public void deliveryComplete(IMqttDeliveryToken token) {
                // this client publishes nothing
            }
        });
        try {
            lost = false;
            fresh.connect(options).waitForCompletion(15_000);
            fresh.subscribe(filters.toArray(new String[0]), filters.stream().mapToInt(f -> 1).toArray()).waitForCompletion(15_000);
        } catch (MqttException e) {
            closeQuietly(fresh);
            throw e;
        }
        client = fresh;
        listener.note("subscribed", String.join(", ", filters), reconnect);
    }

    private void keepAlive() {
        long backoff = 250;
        while (running) {
            synchronized (signal) {
                while (running && !lost) {
                    try {
                        signal.wait(1000);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }
            if (!running) {
                return;
            }
            closeQuietly(client);
            try {
                Thread.sleep(backoff);
            } catch (InterruptedException e) {
                return;
            }
            try {
                connect(true);
                backoff = 250;
            } catch (MqttException e) {
                lost = true;
                listener.note("error", "reconnecting failed: " + e + (e.getCause() == null ? "" : " (" + e.getCause() + ")"), true);
                backoff = Math.min(5_000, (long) (backoff * (1.6 + 0.8 * ThreadLocalRandom.current().nextDouble())));
            }
        }
    }

    private static void closeQuietly(MqttAsyncClient c) {
        if (c == null) {
            return;
        }
        try {
            if (c.isConnected()) {
                c.disconnect(500).waitForCompletion(1_000);
            }
        } catch (MqttException e) {
            // going away anyway
        }
        try {
            c.close(true);
        } catch (MqttException e) {
            // nothing left to release
        }
    }

    @Override
    public void close() {
        running = false;
        synchronized (signal) {
            signal.notifyAll();
        }
        if (thread != null) {
            try {
                thread.join(3_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        closeQuietly(client);
    }
}
