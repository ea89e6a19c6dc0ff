package org.carapace.it;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.ops4j.pax.exam.CoreOptions.options;

import java.io.IOException;
import java.io.OutputStream;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.Collection;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import javax.crypto.spec.SecretKeySpec;
import javax.inject.Inject;
import org.carapace.api.events.SecurityEvent;
import org.carapace.api.events.SecurityEventType;
import org.carapace.api.secoc.SecuredChannel;
import org.carapace.api.secoc.SecuredEndpoint;
import org.carapace.api.secoc.SecuredMessage;
import org.carapace.api.secoc.SecuredMessageListener;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;
import org.osgi.service.event.Event;
import org.osgi.service.event.EventConstants;
import org.osgi.service.event.EventHandler;

/**
 * SecOC in a real Felix with the headunit runtime's bundles: channels, UDP endpoints and keys configured through
 * ConfigurationAdmin factory configurations, as a deployment would. Two channels exchange protected messages over
 * UDP on loopback; a replayed, a reordered and a modified message are dropped, never reach the listener, and arrive
 * as security events on EventAdmin. A JASPAR (profile 3) pair with its freshness master and authenticated
 * synchronisation messages runs the same way.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class SecOcRuntimeIT {

    static final Path DATA = RuntimeBundles.work().resolve("secoc-data");
    static final Path RUN = RuntimeBundles.work().resolve("secoc-run");
    static final char[] PASSWORD = "it-keystore".toCharArray();
    static final String STATE = "secoc-it-state-" + System.currentTimeMillis();

    @Inject
    BundleContext context;

    @Inject
    ConfigurationAdmin configurationAdmin;

    @Inject
    ServiceComponentRuntime scr;

    @Configuration
    public Option[] configuration() {
        return options(RuntimeBundles.options("headunit", DATA, RUN).toArray(new Option[0]));
    }

    private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
    private final BlockingQueue<SecuredMessage> messages = new LinkedBlockingQueue<>();

    private void keystore() throws Exception {
        Path file = DATA.resolve("secoc-it.p12");
        Files.createDirectories(DATA);
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, PASSWORD);
        byte[][] keys = {hex("2b7e151628aed2a6abf7158809cf4f3c"), hex("000102030405060708090a0b0c0d0e0f")};
        String[] ids = {"it-body", "it-jaspar"};
        for (int i = 0; i < 2; i++) {
            store.setEntry(ids[i], new KeyStore.SecretKeyEntry(new SecretKeySpec(keys[i], "AES")),
                new KeyStore.PasswordProtection(PASSWORD));
        }
        try (OutputStream out = Files.newOutputStream(file)) {
            store.store(out, PASSWORD);
        }
        Files.writeString(DATA.resolve("secoc-it.password"), new String(PASSWORD) + "\n");
        if (configurationAdmin.listConfigurations("(service.pid=org.carapace.secoc.authenticator)") != null) {
            return; // configured once per framework: an update would restart every channel under the running test
        }
        configure("org.carapace.secoc.authenticator", null,
            Map.of("keystore", "secoc-it.p12", "keystorePasswordFile", "secoc-it.password"));
    }

    private void configure(String pid, String name, Map<String, Object> values) throws IOException {
        org.osgi.service.cm.Configuration c = name == null ? configurationAdmin.getConfiguration(pid, "?")
            : configurationAdmin.getFactoryConfiguration(pid, name, "?");
        Hashtable<String, Object> properties = new Hashtable<>(values);
        if (pid.equals("org.carapace.secoc.channel")) {
            properties.put("stateDirectory", STATE); // fresh freshness state for each run of the suite
        }
        c.update(properties);
    }

    private void listen(String channel) {
        Dictionary<String, Object> handler = new Hashtable<>();
        handler.put(EventConstants.EVENT_TOPIC, SecurityEvent.TOPIC_ROOT + "/secoc/*");
        context.registerService(EventHandler.class, events::add, handler);
        Dictionary<String, Object> listener = new Hashtable<>();
        listener.put(SecuredChannel.NAME, channel);
        context.registerService(SecuredMessageListener.class, messages::add, listener);
    }

    @Test
    public void twoChannelsExchangeOverUdpAndDropReplayedReorderedAndModifiedMessagesAsSecurityEvents() throws Exception {
        keystore();
        int[] ports = freePorts(2);
        int portA = ports[0];
        int portB = ports[1];
        for (String ecu : new String[] {"it-ecu-a", "it-ecu-b"}) {
            configure("org.carapace.secoc.channel", ecu, Map.of("secoc.name", ecu, "secoc.dataId", 0x0310, "profile", "1",
                "freshnessLength", 32, "keyId", "it-body", "eventIntervalMillis", 100L));
        }
        configure("org.carapace.secoc.udp", "it-ecu-a", Map.of("endpoint.name", "it-ecu-a", "channel.target", "(secoc.name=it-ecu-a)",
            "bindPort", portA, "peerAddress", "127.0.0.1", "peerPort", portB));
        configure("org.carapace.secoc.udp", "it-ecu-b", Map.of("endpoint.name", "it-ecu-b", "channel.target", "(secoc.name=it-ecu-b)",
            "bindPort", portB, "peerAddress", "127.0.0.1", "peerPort", portA));
        listen("it-ecu-b");
        SecuredEndpoint a = service(SecuredEndpoint.class, "(endpoint.name=it-ecu-a)");
        SecuredChannel channelA = service(SecuredChannel.class, "(secoc.name=it-ecu-a)");
        SecuredChannel channelB = service(SecuredChannel.class, "(secoc.name=it-ecu-b)");
        assertEquals(0x0310, ((Number) context.getServiceReferences(SecuredChannel.class, "(secoc.name=it-ecu-b)").iterator().next()
            .getProperty(SecuredChannel.DATA_ID)).intValue());

        a.send(new byte[] {10, 20, 30});
        SecuredMessage first = messages.poll(10, TimeUnit.SECONDS);
        assertNotNull("the protected message arrives", first);
        assertArrayEquals(new byte[] {10, 20, 30}, first.payload());
        assertEquals(0x0310, first.dataId());

        InetSocketAddress b = new InetSocketAddress(InetAddress.getLoopbackAddress(), portB);
        try (DatagramChannel attacker = DatagramChannel.open()) {
            byte[] older = channelA.protect(new byte[] {1});
            byte[] newer = channelA.protect(new byte[] {2});
            attacker.send(ByteBuffer.wrap(newer), b);
            assertArrayEquals(new byte[] {2}, messages.poll(10, TimeUnit.SECONDS).payload());
            attacker.send(ByteBuffer.wrap(newer), b); // replayed
            attacker.send(ByteBuffer.wrap(older), b); // reordered out of the window
            byte[] modified = channelA.protect(new byte[] {3});
            modified[modified.length - 1] ^= 0x01; // one MAC bit
            attacker.send(ByteBuffer.wrap(modified), b);
        }
        // aggregated per interval: the three drops arrive in one event, or in two when an interval ends between them
        Event event = awaitEvent(SecurityEventType.SECOC_VERIFICATION_FAILED);
        int counted = (Integer) event.getProperty(SecurityEvent.PROP_COUNT);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (counted < 3 && System.nanoTime() < deadline) {
            Event more = events.poll(100, TimeUnit.MILLISECONDS);
            if (more != null && more.getTopic().equals(SecurityEventType.SECOC_VERIFICATION_FAILED.topic())) {
                counted += (Integer) more.getProperty(SecurityEvent.PROP_COUNT);
            }
        }
        assertEquals(3, counted);
        assertEquals("org.carapace.secoc", event.getProperty(SecurityEvent.PROP_SENSOR));
        assertEquals(SecurityEventType.SECOC_VERIFICATION_FAILED.id(), event.getProperty(SecurityEvent.PROP_EVENT_ID));
        assertNull("no dropped message reached the listener", messages.poll(300, TimeUnit.MILLISECONDS));
        assertEquals(3L, channelB.statistics().macFailures());
        assertEquals(2L, channelB.statistics().verified());
    }

    @Test
    public void misconfiguredChannelDoesNotRegister() throws Exception {
        keystore();
        configure("org.carapace.secoc.channel", "it-bad", Map.of("secoc.name", "it-bad", "secoc.dataId", 0x0311, "profile", "1",
            "keyId", "it-body")); // profile 1 without a freshness length
        configure("org.carapace.secoc.channel", "it-nokey", Map.of("secoc.name", "it-nokey", "secoc.dataId", 0x0312, "profile", "2",
            "keyId", "no-such-key"));
        Thread.sleep(1000);
        assertTrue(context.getServiceReferences(SecuredChannel.class, "(|(secoc.name=it-bad)(secoc.name=it-nokey))").isEmpty());
        // and the failure is visible where an operator looks: the runtime's status
        int failed = 0;
        for (ComponentDescriptionDTO d : scr.getComponentDescriptionDTOs()) {
            for (ComponentConfigurationDTO c : scr.getComponentConfigurationDTOs(d)) {
                Object name = c.properties.get(SecuredChannel.NAME);
                if ("it-bad".equals(name) || "it-nokey".equals(name)) {
                    assertEquals(ComponentConfigurationDTO.FAILED_ACTIVATION, c.state);
                    failed++;
                }
            }
        }
        assertEquals(2, failed);
    }

    @Test
    public void jasparProfile3ChannelsSynchroniseThroughTheirMasterOverUdp() throws Exception {
        keystore();
        int[] ports = freePorts(4);
        int syncA = ports[0];
        int syncB = ports[1];
        int dataA = ports[2];
        int dataB = ports[3];
        configure("org.carapace.secoc.jaspar", "it-master", Map.of("secoc.jaspar.domain", "it-gateway", "role", "MASTER",
            "resetCycleMillis", 300L, "syncIntervalMillis", 200L, "syncEndpoint.target", "(endpoint.name=it-sync-out)"));
        configure("org.carapace.secoc.jaspar", "it-slave", Map.of("secoc.jaspar.domain", "it-ecu", "role", "SLAVE"));
        String[][] sides = {{"it-gateway", "out", "" + syncA, "" + syncB, "" + dataA, "" + dataB}, {"it-ecu", "in", "" + syncB, "" + syncA,
            "" + dataB, "" + dataA}};
        for (String[] side : sides) {
            String domain = side[0];
            configure("org.carapace.secoc.channel", "it-sync-" + side[1], Map.of("secoc.name", "it-sync-" + side[1], "secoc.dataId", 0x0fff,
                "freshnessType", "JASPAR_SYNC", "freshnessLength", 36, "freshnessTxLength", 36, "macLength", 64, "keyId", "it-jaspar",
                "jasparDomain.target", "(secoc.jaspar.domain=" + domain + ")", "jasparDomain.cardinality.minimum", 1,
                "eventIntervalMillis", 100L));
            configure("org.carapace.secoc.channel", "it-p3-" + side[1], Map.of("secoc.name", "it-p3-" + side[1], "secoc.dataId", 0x0456,
                "profile", "3", "keyId", "it-jaspar", "jasparDomain.target", "(secoc.jaspar.domain=" + domain + ")",
                "jasparDomain.cardinality.minimum", 1, "eventIntervalMillis", 100L));
            configure("org.carapace.secoc.udp", "it-sync-" + side[1], Map.of("endpoint.name", "it-sync-" + side[1],
                "channel.target", "(secoc.name=it-sync-" + side[1] + ")", "bindPort", Integer.parseInt(side[2]), "peerAddress", "127.0.0.1",
                "peerPort", Integer.parseInt(side[3])));
            configure("org.carapace.secoc.udp", "it-p3-" + side[1], Map.of("endpoint.name", "it-p3-" + side[1],
                "channel.target", "(secoc.name=it-p3-" + side[1] + ")", "bindPort", Integer.parseInt(side[4]), "peerAddress", "127.0.0.1",
                "peerPort", Integer.parseInt(side[5])));
        }
        listen("it-p3-in");
        SecuredEndpoint out = service(SecuredEndpoint.class, "(endpoint.name=it-p3-out)");
        SecuredChannel in = service(SecuredChannel.class, "(secoc.name=it-p3-in)");
        SecuredChannel syncIn = service(SecuredChannel.class, "(secoc.name=it-sync-in)");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (syncIn.statistics().verified() == 0 && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertTrue("a synchronisation message verified", syncIn.statistics().verified() > 0);
        // messages across several reset cycles (300 ms each)
        for (int i = 0; i < 8; i++) {
            out.send(new byte[] {(byte) i, 0x55});
            SecuredMessage m = messages.poll(10, TimeUnit.SECONDS);
            assertNotNull("JASPAR message " + i + ": receiver " + in.statistics() + ", sync " + syncIn.statistics(), m);
            assertArrayEquals(new byte[] {(byte) i, 0x55}, m.payload());
            Thread.sleep(100);
        }
        assertEquals(8L, in.statistics().verified());
        assertEquals(0L, in.statistics().dropped());
    }

    private <T> T service(Class<T> type, String filter) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (System.nanoTime() < deadline) {
            Collection<ServiceReference<T>> refs = context.getServiceReferences(type, filter);
            if (!refs.isEmpty()) {
                return context.getService(refs.iterator().next());
            }
            Thread.sleep(50);
        }
        throw new AssertionError("no " + type.getSimpleName() + " " + filter);
    }

    private Event awaitEvent(SecurityEventType type) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            Event e = events.poll(100, TimeUnit.MILLISECONDS);
            if (e != null && e.getTopic().equals(type.topic())) {
                return e;
            }
        }
        throw new AssertionError("no " + type + " event");
    }

    /** Distinct free UDP ports: all held open together, so the kernel cannot hand out one twice. */
    private static int[] freePorts(int count) throws IOException {
        DatagramSocket[] sockets = new DatagramSocket[count];
        int[] ports = new int[count];
        try {
            for (int i = 0; i < count; i++) {
                sockets[i] = new DatagramSocket(0, InetAddress.getLoopbackAddress());
                ports[i] = sockets[i].getLocalPort();
            }
        } finally {
            for (DatagramSocket s : sockets) {
                if (s != null) {
                    s.close();
                }
            }
        }
        return ports;
    }

    private static byte[] hex(String s) {
        return java.util.HexFormat.of().parseHex(s);
    }
}
