package org.carapace.secoc.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.carapace.api.events.SecurityEvent;
import org.carapace.api.events.SecurityEventType;
import org.carapace.api.platform.PlatformInfo;
import org.carapace.api.secoc.SecuredChannel;
import org.carapace.api.secoc.SecuredMessage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.service.event.Event;
import org.osgi.service.event.EventAdmin;

/**
 * Two channels exchange protected messages over real transports (UDP on loopback; MQTT through a Mosquitto broker
 * started on a free port); a replayed, reordered or modified message is dropped, never reaches a listener, and
 * appears as an aggregated security event. The components are the real ones, constructed without a framework.
 */
class TransportTest {

    @TempDir
    Path dir;

    final Configs.RecordingLogger log = new Configs.RecordingLogger();
    final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
    final EventAdmin eventAdmin = new EventAdmin() {
        @Override
        public void postEvent(Event event) {
            events.add(event);
        }

        @Override
        public void sendEvent(Event event) {
            events.add(event);
        }
    };
    final List<Runnable> cleanup = new ArrayList<>();

    @AfterEach
    void close() {
        for (int i = cleanup.size() - 1; i >= 0; i--) {
            cleanup.get(i).run();
        }
    }

    ChannelComponent channel(String name, KeyRing keys) throws Exception {
        Map<String, Object> config = new HashMap<>();
        config.put("secoc.name", name);
        config.put("secoc.dataId", 0x0201);
        config.put("profile", "1");
        config.put("freshnessLength", 32);
        config.put("keyId", "k1");
        config.put("eventIntervalMillis", 50L);
        ChannelComponent c = new ChannelComponent(Configs.of(ChannelConfiguration.class, config), keys, platform(), eventAdmin, null,
            log.logger());
        cleanup.add(c::deactivate);
        return c;
    }

    UdpEndpointComponent udp(SecuredChannel channel, int bind, int peer) throws IOException {
        Map<String, Object> config = new HashMap<>();
        config.put("endpoint.name", channel.name());
        config.put("channel.target", "(secoc.name=" + channel.name() + ")");
        config.put("bindPort", bind);
        config.put("peerAddress", peer == 0 ? "" : "127.0.0.1");
        config.put("peerPort", peer);
        UdpEndpointComponent e = new UdpEndpointComponent(Configs.of(UdpEndpointComponent.Config.class, config), channel, log.logger());
        cleanup.add(() -> {
            try {
                e.deactivate();
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
        });
        return e;
    }

    @Test
    void udpExchangeDropsReplayedReorderedAndModifiedPdusAsSecurityEvents() throws Exception {
        KeyRing keys = Fixtures.ring("k1", Fixtures.RFC4493_KEY);
        ChannelComponent a = channel("ecu-a", keys);
        ChannelComponent b = channel("ecu-b", keys);
        UdpEndpointComponent receiver = udp(b, 0, 0);
        BlockingQueue<SecuredMessage> received = new LinkedBlockingQueue<>();
        receiver.addListener(received::add, Map.of(SecuredChannel.NAME, "ecu-b"));
        UdpEndpointComponent sender = udp(a, 0, receiver.localPort());

        sender.send(new byte[] {1, 2, 3});
        SecuredMessage first = received.poll(5, TimeUnit.SECONDS);
        assertArrayEquals(new byte[] {1, 2, 3}, first.payload());
        assertEquals("udp", first.transport());

        // an attacker on the network: captured PDUs sent from another socket
        try (DatagramChannel attacker = DatagramChannel.open()) {
            InetSocketAddress target = new InetSocketAddress(InetAddress.getLoopbackAddress(), receiver.localPort());
            byte[] p2 = a.protect(new byte[] {2});
            byte[] p3 = a.protect(new byte[] {3});
            attacker.send(ByteBuffer.wrap(p3), target);
            assertArrayEquals(new byte[] {3}, received.poll(5, TimeUnit.SECONDS).payload());
            attacker.send(ByteBuffer.wrap(p3), target); // replayed
            attacker.send(ByteBuffer.wrap(p2), target); // reordered: older than the last accepted
            byte[] modified = a.protect(new byte[] {4});
            modified[0] ^= 0x10;
            attacker.send(ByteBuffer.wrap(modified), target); // modified payload
            sender.send(new byte[] {5});
            assertArrayEquals(new byte[] {5}, received.poll(5, TimeUnit.SECONDS).payload(), "the next genuine PDU still verifies");
        }
        assertEquals(0, received.size(), "nothing dropped reached the listener");
        // aggregated: one event per interval, so the three drops arrive in one event or, across an interval, in two
        Event event = awaitCount(SecurityEventType.SECOC_VERIFICATION_FAILED, 3);
        @SuppressWarnings("unchecked")
        Map<String, Object> context = (Map<String, Object>) event.getProperty(SecurityEvent.PROP_CONTEXT);
        assertEquals("ecu-b", context.get("channel"));
        assertEquals(0x0201, context.get("dataId"));
        assertEquals(1, context.get("resultCode"));
        assertEquals(3L, b.statistics().macFailures());
        assertEquals(3L, b.statistics().verified());
    }

    /** secoc/forged-flood: ten thousand forged frames cost EventAdmin a handful of events, and every frame is counted. */
    @Test
    void floodOfForgedFramesIsAggregated() throws Exception {
        ChannelComponent b = channel("ecu-b", Fixtures.ring("k1", Fixtures.RFC4493_KEY));
        byte[] forged = new byte[12];
        for (int i = 0; i < 10_000; i++) {
            forged[0] = (byte) i;
            forged[1] = (byte) (i >>> 8);
            b.verify(forged, 0, forged.length, new org.carapace.api.secoc.VerifiedPdu());
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        long counted = 0;
        int posted = 0;
        while (counted < 10_000 && System.nanoTime() < deadline) {
            Event e = events.poll(100, TimeUnit.MILLISECONDS);
            if (e != null) {
                posted++;
                counted += (Integer) e.getProperty(SecurityEvent.PROP_COUNT);
            }
        }
        assertEquals(10_000, counted, "every forged frame is in an event's count");
        assertTrue(posted <= 10, "events posted for 10000 frames: " + posted);
        assertEquals(10_000 - posted, b.statistics().failuresAggregated());
    }

    @Test
    void mqttPayloadsAreProtectedEndToEndThroughMosquitto() throws Exception {
        int port;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = probe.getLocalPort();
        }
        Path conf = dir.resolve("mosquitto.conf");
        java.nio.file.Files.writeString(conf, "listener " + port + " 127.0.0.1\nallow_anonymous true\npersistence false\n");
        Process broker = new ProcessBuilder("mosquitto", "-c", conf.toString()).redirectErrorStream(true)
            .redirectOutput(dir.resolve("mosquitto.log").toFile()).start();
        cleanup.add(() -> {
            broker.destroy();
            try {
                broker.waitFor(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        awaitPort(port);
        KeyRing keys = Fixtures.ring("k1", Fixtures.RFC4493_KEY);
        ChannelComponent a = channel("hvac-a", keys);
        ChannelComponent b = channel("hvac-b", keys);
        MqttEndpointComponent rx = mqtt(b, port, "", "vehicle/hvac/setpoint");
        BlockingQueue<SecuredMessage> received = new LinkedBlockingQueue<>();
        rx.addListener(received::add, Map.of());
        MqttEndpointComponent tx = mqtt(a, port, "vehicle/hvac/setpoint", "");
        tx.send(new byte[] {21, 5});
        SecuredMessage m = received.poll(10, TimeUnit.SECONDS);
        assertArrayEquals(new byte[] {21, 5}, m.payload());
        assertEquals("mqtt", m.transport());
        // a local process publishing a forged payload on the broker
        org.eclipse.paho.client.mqttv3.MqttClient forger = new org.eclipse.paho.client.mqttv3.MqttClient("tcp://127.0.0.1:" + port,
            "forger", new org.eclipse.paho.client.mqttv3.persist.MemoryPersistence());
        forger.connect();
        byte[] replay = a.protect(new byte[] {30});
        forger.publish("vehicle/hvac/setpoint", replay, 1, false);
        assertArrayEquals(new byte[] {30}, received.poll(10, TimeUnit.SECONDS).payload());
        forger.publish("vehicle/hvac/setpoint", replay, 1, false); // replayed
        forger.publish("vehicle/hvac/setpoint", new byte[] {30, 1, 2, 3, 4}, 1, false); // forged
        forger.disconnect();
        forger.close();
        awaitCount(SecurityEventType.SECOC_VERIFICATION_FAILED, 2);
        assertEquals(null, received.poll(200, TimeUnit.MILLISECONDS));
    }

    MqttEndpointComponent mqtt(SecuredChannel channel, int port, String publish, String subscribe) throws Exception {
        Map<String, Object> config = new HashMap<>();
        config.put("endpoint.name", channel.name());
        config.put("channel.target", "(secoc.name=" + channel.name() + ")");
        config.put("brokerUri", "tcp://127.0.0.1:" + port);
        config.put("publishTopic", publish);
        config.put("subscribeTopic", subscribe);
        MqttEndpointComponent e = new MqttEndpointComponent(Configs.of(MqttEndpointComponent.Config.class, config), channel, log.logger());
        cleanup.add(e::deactivate);
        return e;
    }

    static void awaitPort(int port) throws InterruptedException {
        for (int i = 0; i < 100; i++) {
            try (java.net.Socket s = new java.net.Socket(InetAddress.getLoopbackAddress(), port)) {
                return;
            } catch (IOException e) {
                Thread.sleep(50);
            }
        }
        throw new AssertionError("mosquitto did not listen on " + port);
    }

    /** Waits until events of this type account for exactly {@code expected} PDUs; answers the first of them. */
    Event awaitCount(SecurityEventType type, int expected) throws InterruptedException {
        Event first = awaitEvent(type);
        int total = (Integer) first.getProperty(SecurityEvent.PROP_COUNT);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (total < expected && System.nanoTime() < deadline) {
            Event e = events.poll(100, TimeUnit.MILLISECONDS);
            if (e != null && e.getTopic().equals(type.topic())) {
                total += (Integer) e.getProperty(SecurityEvent.PROP_COUNT);
            }
        }
        assertEquals(expected, total, "PDUs counted in " + type + " events");
        return first;
    }

    Event awaitEvent(SecurityEventType type) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (System.nanoTime() < deadline) {
            Event e = events.poll(100, TimeUnit.MILLISECONDS);
            if (e != null && e.getTopic().equals(type.topic())) {
                return e;
            }
        }
        throw new AssertionError("no " + type + " event");
    }

    PlatformInfo platform() {
        return new PlatformInfo() {
            @Override
            public String deviceId() {
                return "test";
            }

            @Override
            public String profile() {
                return "test";
            }

            @Override
            public Path dataDir() {
                return dir;
            }

            @Override
            public Path runDir() {
                return dir;
            }
        };
    }
}
