package org.carapace.devtools.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.annotation.Annotation;
import java.lang.reflect.Proxy;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.Test;
import org.osgi.service.log.Logger;

/** The development broker outside OSGi: a real MQTT round trip, and the refusals. */
class EmbeddedBrokerTest {

    private final List<String> log = new CopyOnWriteArrayList<>();

    private Logger logger() {
        return (Logger) Proxy.newProxyInstance(Logger.class.getClassLoader(), new Class<?>[] {Logger.class}, (proxy, method, args) -> {
            if (args != null && args.length > 0 && args[0] instanceof String) {
                log.add(method.getName() + " " + args[0]);
            }
            return method.getReturnType() == boolean.class ? Boolean.TRUE : null;
        });
    }

    private static EmbeddedBroker.Config config(String when, String host, int port) {
        return new EmbeddedBroker.Config() {
            @Override
            public Class<? extends Annotation> annotationType() {
                return EmbeddedBroker.Config.class;
            }

            @Override
            public String when() {
                return when;
            }

            @Override
            public String host() {
                return host;
            }

            @Override
            public int port() {
                return port;
            }

            @Override
            public int maxMessageBytes() {
                return 256 * 1024;
            }
        };
    }

    private static int freePort() throws Exception {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    @Test
    void carriesQosOneMessagesOnLoopback() throws Exception {
        int port = freePort();
        EmbeddedBroker broker = new EmbeddedBroker(logger(), config(EmbeddedBroker.EMBEDDED, "127.0.0.1", port));
        try {
            BlockingQueue<MqttMessage> received = new LinkedBlockingQueue<>();
            MqttClient subscriber = new MqttClient("tcp://127.0.0.1:" + port, "sub", new MemoryPersistence());
            subscriber.connect();
            subscriber.subscribe("carapace/v1/+/events/#", 1, (topic, message) -> received.add(message));
            MqttClient publisher = new MqttClient("tcp://127.0.0.1:" + port, "pub", new MemoryPersistence());
            publisher.connect();
            MqttMessage message = new MqttMessage("{\"seq\":1}".getBytes(StandardCharsets.UTF_8));
            message.setQos(1);
            publisher.publish("carapace/v1/car-1/events/gate", message);
            MqttMessage got = received.poll(10, TimeUnit.SECONDS);
            assertTrue(got != null, "no message through the embedded broker");
            assertArrayEquals("{\"seq\":1}".getBytes(StandardCharsets.UTF_8), got.getPayload());
            publisher.disconnect();
            subscriber.disconnect();
        } finally {
            broker.stop();
        }
    }

    @Test
    void staysOffWhenAnExternalBrokerIsConfigured() throws Exception {
        int port = freePort();
        EmbeddedBroker broker = new EmbeddedBroker(logger(), config("tcp://broker.example:1883", "127.0.0.1", port));
        broker.stop();
        assertTrue(log.stream().anyMatch(l -> l.contains("stays off")), log.toString());
        try (ServerSocket socket = new ServerSocket(port)) {
            assertEquals(port, socket.getLocalPort(), "nothing listens on the port");
        }
    }

    @Test
    void refusesToListenBeyondLoopback() {
        // attack surface: an anonymous plain-TCP broker must never be reachable from the vehicle network
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
            () -> new EmbeddedBroker(logger(), config(EmbeddedBroker.EMBEDDED, "0.0.0.0", 1883)));
        assertTrue(e.getMessage().contains("loopback"), e.getMessage());
    }

    @Test
    void takenPortLeavesTheBrokerOffWithAWarning() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            EmbeddedBroker broker = new EmbeddedBroker(logger(), config(EmbeddedBroker.EMBEDDED, "127.0.0.1", taken.getLocalPort()));
            broker.stop();
            assertTrue(log.stream().anyMatch(l -> l.startsWith("warn") && l.contains("not started")), log.toString());
        }
    }
}
