package org.carapace.monitoring.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import javax.net.ssl.SSLSocketFactory;
import org.carapace.api.events.SecurityEvent;
import org.carapace.api.events.SecurityEventType;
import org.carapace.api.monitoring.EventKeyFile;
import org.carapace.api.monitoring.HmacEventKeys;
import org.carapace.api.monitoring.QualifiedEvent;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The publisher against a real Mosquitto: order, acknowledgements, outages, status and will, TLS, passwords. */
class MqttPublisherTest {

    static final String DEVICE = "car-42";
    static final String BOOT = "6f1c2d3e-4b5a-4c3d-9e8f-7a6b5c4d3e2f";

    @TempDir
    Path temp;

    private final EventKeyFile key = EventKeyFile.generateDeviceKey(DEVICE, false);
    private final List<String> log = new CopyOnWriteArrayList<>();
    private final List<AutoCloseable> closeLater = new ArrayList<>();
    private EventJournal journal;
    private EventPipeline pipeline;

    @AfterEach
    void tearDown() throws Exception {
        for (int i = closeLater.size() - 1; i >= 0; i--) {
            closeLater.get(i).close();
        }
    }

    private <T extends AutoCloseable> T later(T closeable) {
        closeLater.add(closeable);
        return closeable;
    }

    private void journalOpen() throws Exception {
        journal = later(EventJournal.open(temp.resolve("events"), new EventJournal.Limits(1 << 24, 1 << 20, 8192, 20)));
        pipeline = new EventPipeline(DEVICE, BOOT, journal, HmacEventKeys.authenticator(key.key()),
            new FilterChain(Clock.systemUTC(), DeviceLimits.none()), new ContextBounds(256, 16, 256, 16), null,
            Clock.systemUTC(), System::nanoTime, log::add);
    }

    private void emit(int n) {
        for (int i = 0; i < n; i++) {
            SecurityEvent event = SecurityEvent.of(i % 2 == 0 ? SecurityEventType.GATE_ALLOWED : SecurityEventType.EXEC_DENIED,
                "org.carapace.test", "event " + i, Map.of("i", i));
            pipeline.submit(event.topic(), event.toProperties(System.currentTimeMillis()));
        }
    }

    private MqttPublisher publisher(String url, SSLSocketFactory tls, String username, String password) {
        return publisher(url, tls, username, password, null);
    }

    private MqttPublisher publisher(String url, SSLSocketFactory tls, String username, String password,
                                    MqttPublisher.CommandSink commands) {
        MqttPublisher.Settings settings = new MqttPublisher.Settings(url, "carapace-" + DEVICE, DEVICE, username,
            password == null ? null : password.toCharArray(), tls, 5, 5, 100, 1_000, 100, 50);
        MqttPublisher publisher = new MqttPublisher(settings, journal, BOOT, Clock.systemUTC(), log::add, log::add, commands);
        later(publisher);
        publisher.start();
        return publisher;
    }

    static void await(String what, long timeoutMillis, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMillis;
        while (!condition.getAsBoolean()) {
            if (System.currentTimeMillis() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(20);
        }
    }

    private long acked() {
        try {
            return journal.stats().ackedSeq();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static List<Long> distinctInOrder(List<QualifiedEvent> events) {
        List<Long> seqs = new ArrayList<>();
        TreeSet<Long> seen = new TreeSet<>();
        for (QualifiedEvent event : events) {
            if (seen.add(event.sequence())) {
                seqs.add(event.sequence());
            }
        }
        return seqs;
    }

    static List<Long> range(long from, long to) {
        return EventJournalTest.range(from, to);
    }

    @Test
    void deliversTheJournalInOrderAndMovesItsPosition() throws Exception {
        journalOpen();
        MosquittoBroker broker = later(MosquittoBroker.start(temp.resolve("broker")));
        TestSubscriber back = later(new TestSubscriber(broker.url("tcp"), null, null, "carapace/v1/+/events/#", "carapace/v1/+/status"));
        emit(300);
        MqttPublisher publisher = publisher(broker.url("tcp"), null, null, null);
        List<QualifiedEvent> events = back.events(key.verifier(), DEVICE, 300, 20_000);
        assertEquals(range(1, 300), events.stream().map(QualifiedEvent::sequence).toList(), "in order, each once");
        await("acknowledgements", 10_000, () -> acked() == 300);
        assertEquals(MqttPublisher.State.CONNECTED, publisher.state());
        assertEquals(300L, publisher.status().get("acknowledged"));
    }

    @Test
    void retainedStatusIsOnlineThenOfflineOnShutdown() throws Exception {
        journalOpen();
        MosquittoBroker broker = later(MosquittoBroker.start(temp.resolve("broker")));
        MqttPublisher publisher = publisher(broker.url("tcp"), null, null, null);
        await("connected", 10_000, () -> publisher.state() == MqttPublisher.State.CONNECTED);
        try (TestSubscriber late = new TestSubscriber(broker.url("tcp"), null, null, "carapace/v1/" + DEVICE + "/status")) {
            TestSubscriber.Received online = late.next("/status", 5_000);
            assertTrue(online.retained(), "a subscriber that comes later still learns the state");
            assertTrue(online.text().contains("\"state\":\"online\"") && online.text().contains(BOOT), online.text());
            publisher.close();
            TestSubscriber.Received offline = late.next("/status", 5_000);
            assertTrue(offline.text().contains("\"state\":\"offline\"") && offline.text().contains("\"reason\":\"shutdown\""),
                offline.text());
        }
    }

    @Test
    void brokerOutageLosesNothingAndDeliversInOrder() throws Exception {
        journalOpen();
        // the back end's session (subscription and queued events) survives the broker restart, as in production;
        // otherwise events the publisher sends before the test re-subscribes would never reach the test
        MosquittoBroker broker = later(MosquittoBroker.start(temp.resolve("broker"), "persistence true", "persistence_location {dir}/"));
        MqttPublisher publisher = publisher(broker.url("tcp"), null, null, null);
        TestSubscriber first = TestSubscriber.persistent(broker.url("tcp"), "back-end", "carapace/v1/+/events/#");
        emit(50);
        assertEquals(range(1, 50), distinctInOrder(first.events(key.verifier(), DEVICE, 50, 20_000)));
        await("acknowledged", 10_000, () -> acked() == 50);
        first.close();

        broker.stop();
        await("publisher notices", 10_000, () -> publisher.state() != MqttPublisher.State.CONNECTED);
        emit(200); // produced while the broker is down: journalled, not lost
        assertEquals(50, acked());
        broker.restart();
        TestSubscriber second = later(TestSubscriber.persistent(broker.url("tcp"), "back-end", "carapace/v1/+/events/#"));
        List<QualifiedEvent> events = second.events(key.verifier(), DEVICE, 200, 30_000);
        assertEquals(range(51, 250), distinctInOrder(events));
        await("acknowledged after the outage", 10_000, () -> acked() == 250);
        assertTrue((Long) publisher.status().get("connects") >= 2);
    }

    @Test
    void tlsVerifiesTheBrokerAndPresentsTheClientCertificate() throws Exception {
        journalOpen();
        Path pki = Files.createDirectories(temp.resolve("pki"));
        TestPki ca = new TestPki("Carapace test CA");
        Path caFile = ca.writeCa(pki, "ca");
        Path[] server = ca.issue("broker", new String[] {"localhost"}, new String[] {"127.0.0.1"}).write(pki, "server");
        Path[] client = ca.issue(DEVICE, new String[0], new String[0]).write(pki, "client");
        MosquittoBroker broker = later(MosquittoBroker.start(temp.resolve("broker"),
            "cafile " + caFile, "certfile " + server[0], "keyfile " + server[1], "require_certificate true",
            "listener {port2} 127.0.0.1"));
        TestSubscriber back = later(new TestSubscriber("tcp://127.0.0.1:" + broker.secondPort(), null, null, "carapace/v1/+/events/#"));
        emit(20);
        publisher(broker.url("ssl"), TlsContexts.socketFactory(caFile, client[0], client[1]), null, null);
        assertEquals(range(1, 20), distinctInOrder(back.events(key.verifier(), DEVICE, 20, 20_000)));
    }

    @Test
    void tlsRefusesABrokerCertifiedByAnotherCa() throws Exception {
        // attack: a man in the middle with a certificate from a CA the device does not trust
        journalOpen();
        Path pki = Files.createDirectories(temp.resolve("pki"));
        TestPki rogue = new TestPki("Rogue CA");
        TestPki trusted = new TestPki("Carapace test CA");
        Path rogueCa = rogue.writeCa(pki, "rogue");
        Path[] server = rogue.issue("broker", new String[] {"localhost"}, new String[] {"127.0.0.1"}).write(pki, "server");
        MosquittoBroker broker = later(MosquittoBroker.start(temp.resolve("broker"),
            "cafile " + rogueCa, "certfile " + server[0], "keyfile " + server[1]));
        emit(1);
        MqttPublisher publisher = publisher(broker.url("ssl"), TlsContexts.socketFactory(trusted.writeCa(pki, "trusted"), null,
            null), null, null);
        await("a refused handshake", 10_000, () -> publisher.status().get("lastError") != null);
        Thread.sleep(500);
        assertTrue(publisher.state() != MqttPublisher.State.CONNECTED);
        assertEquals(0L, publisher.status().get("published"));
        assertTrue(String.valueOf(publisher.status().get("lastError")).contains("certification path")
            || String.valueOf(publisher.status().get("lastError")).contains("PKIX"), String.valueOf(publisher.status().get("lastError")));
    }

    @Test
    void tlsRefusesACertificateForAnotherHost() throws Exception {
        // attack: a genuine certificate of the fleet CA, but issued to another host
        journalOpen();
        Path pki = Files.createDirectories(temp.resolve("pki"));
        TestPki ca = new TestPki("Carapace test CA");
        Path caFile = ca.writeCa(pki, "ca");
        Path[] server = ca.issue("elsewhere", new String[] {"elsewhere.example"}, new String[0]).write(pki, "server");
        MosquittoBroker broker = later(MosquittoBroker.start(temp.resolve("broker"),
            "cafile " + caFile, "certfile " + server[0], "keyfile " + server[1]));
        emit(1);
        MqttPublisher publisher = publisher(broker.url("ssl"), TlsContexts.socketFactory(caFile, null, null), null, null);
        await("a refused handshake", 10_000, () -> publisher.status().get("lastError") != null);
        Thread.sleep(500);
        assertTrue(publisher.state() != MqttPublisher.State.CONNECTED);
        assertEquals(0L, publisher.status().get("published"));
    }

    @Test
    void usernameAndPasswordAreChecked() throws Exception {
        journalOpen();
        Path passwords = temp.resolve("passwd");
        Process p = new ProcessBuilder("mosquitto_passwd", "-b", "-c", passwords.toString(), "vehicle",
            "s3cret").redirectErrorStream(true).start();
        assertEquals(0, p.waitFor());
        MosquittoBroker broker = later(MosquittoBroker.start(temp.resolve("broker"), "password_file " + passwords));
        TestSubscriber back = later(new TestSubscriber(broker.url("tcp"), "vehicle", "s3cret", "carapace/v1/+/events/#"));
        emit(5);
        MqttPublisher wrong = publisher(broker.url("tcp"), null, "vehicle", "guess");
        await("a refused login", 10_000, () -> wrong.status().get("lastError") != null);
        assertTrue(String.valueOf(wrong.status().get("lastError")).contains("authori"), String.valueOf(wrong.status().get("lastError")));
        wrong.close();
        publisher(broker.url("tcp"), null, "vehicle", "s3cret");
        assertEquals(range(1, 5), distinctInOrder(back.events(key.verifier(), DEVICE, 5, 20_000)));
    }

    @Test
    void commandsArriveOnceSubscribedAndTheStatusSaysSo() throws Exception {
        journalOpen();
        MosquittoBroker broker = later(MosquittoBroker.start(temp.resolve("broker")));
        List<String> arrived = new CopyOnWriteArrayList<>();
        MqttPublisher publisher = publisher(broker.url("tcp"), null, null, null, (topic, payload, retained) -> arrived.add(topic));
        await("subscribed", 10_000, () -> publisher.subscription() == MqttPublisher.Subscription.SUBSCRIBED);
        assertEquals("SUBSCRIBED", publisher.status().get("commandSubscription"));
        try (TestSubscriber backEnd = new TestSubscriber(broker.url("tcp"), null, null)) {
            backEnd.publish("carapace/v1/" + DEVICE + "/commands/ota", new byte[] {1});
        }
        await("the command", 10_000, () -> arrived.size() == 1);
        assertEquals("carapace/v1/" + DEVICE + "/commands/ota", arrived.get(0));
    }

    @Test
    void refusedCommandSubscriptionIsShownAndEventsStillFlow() throws Exception {
        // regression: Paho 1.2.5 reports a SUBACK of 0x80 (refused, e.g. by an ACL) as a success
        journalOpen();
        FakeBroker broker = later(new FakeBroker(FakeBroker.OnSubscribe.REFUSE));
        emit(20);
        MqttPublisher publisher = publisher(broker.url(), null, null, null, (topic, payload, retained) -> { });
        await("the refusal", 10_000, () -> publisher.subscription() == MqttPublisher.Subscription.REFUSED);
        await("the events acknowledged", 10_000, () -> acked() == 20);
        assertEquals("REFUSED", publisher.status().get("commandSubscription"));
        assertTrue(String.valueOf(publisher.status().get("commandSubscriptionDetail")).contains("0x80"));
        assertEquals(1, broker.connects.get(), "the refusal did not cost the connection");
        assertEquals(MqttPublisher.State.CONNECTED, publisher.state());
    }

    @Test
    void brokerDroppingTheConnectionOnTheSubscriptionDoesNotStopTheEvents() throws Exception {
        // regression: the subscription ran inside connect(); a broker closing the connection on a forbidden subscription
        // made every connect fail, and the events stayed in the journal for good
        journalOpen();
        FakeBroker broker = later(new FakeBroker(FakeBroker.OnSubscribe.DISCONNECT));
        emit(20);
        MqttPublisher publisher = publisher(broker.url(), null, null, null, (topic, payload, retained) -> { });
        await("the events acknowledged", 15_000, () -> acked() == 20);
        await("the subscription deferred", 10_000, () -> publisher.subscription() == MqttPublisher.Subscription.DEFERRED);
        Thread.sleep(1_000);
        assertEquals(1, broker.subscribes.get(), "not tried again on every connect");
        assertEquals(MqttPublisher.State.CONNECTED, publisher.state());
    }

    @Test
    void unansweredSubscriptionDoesNotHoldUpTheEvents() throws Exception {
        // regression: connect() waited for the SUBACK and failed when it came late
        journalOpen();
        FakeBroker broker = later(new FakeBroker(FakeBroker.OnSubscribe.IGNORE));
        emit(20);
        MqttPublisher publisher = publisher(broker.url(), null, null, null, (topic, payload, retained) -> { });
        await("the events acknowledged", 10_000, () -> acked() == 20);
        assertEquals(MqttPublisher.Subscription.PENDING, publisher.subscription());
        Thread.sleep(6_000); // longer than the connect timeout the old code waited for the SUBACK
        assertEquals(1, broker.connects.get());
        assertEquals(MqttPublisher.State.CONNECTED, publisher.state());
    }

    @Test
    void withoutCommandSinkThereIsNoSubscription() throws Exception {
        journalOpen();
        MosquittoBroker broker = later(MosquittoBroker.start(temp.resolve("broker")));
        MqttPublisher publisher = publisher(broker.url("tcp"), null, null, null);
        await("connected", 10_000, () -> publisher.state() == MqttPublisher.State.CONNECTED);
        assertEquals("DISABLED", publisher.status().get("commandSubscription"));
    }
}
