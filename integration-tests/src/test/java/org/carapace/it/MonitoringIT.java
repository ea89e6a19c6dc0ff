package org.carapace.it;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.ops4j.pax.exam.CoreOptions.options;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import javax.inject.Inject;
import org.carapace.api.events.SecurityEvent;
import org.carapace.api.events.SecurityEventType;
import org.carapace.api.events.Severity;
import org.carapace.api.monitoring.EventCodec;
import org.carapace.api.monitoring.EventEnvelope;
import org.carapace.api.monitoring.EventKeyFile;
import org.carapace.api.monitoring.QualifiedEvent;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.service.event.Event;
import org.osgi.service.event.EventAdmin;

/**
 * The headunit profile's monitoring in a real Felix: a security event posted on EventAdmin reaches a back end through
 * a Mosquitto that requires TLS with a client certificate and a password, authenticated with the device's key.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class MonitoringIT {

    static final Path WORK = RuntimeBundles.work().resolve("monitoring-it");

    @Inject
    EventAdmin eventAdmin;

    @Configuration
    public Option[] configuration() throws Exception {
        Map<String, String> overrides = MonitoringFixture.start(WORK);
        return options(RuntimeBundles.options("headunit", WORK.resolve("data"), WORK.resolve("run"), overrides).toArray(new Option[0]));
    }

    @Test
    public void securityEventReachesTheBackEndOverMutualTlsAuthenticated() throws Exception {
        BlockingQueue<MqttMessage> received = new LinkedBlockingQueue<>();
        MqttClient backend = new MqttClient(System.getProperty("carapace.it.backendBroker"), "it-backend", new MemoryPersistence());
        MqttConnectOptions options = new MqttConnectOptions();
        options.setUserName(MonitoringFixture.BACKEND_USER);
        options.setPassword(MonitoringFixture.BACKEND_PASSWORD.toCharArray());
        backend.connect(options);
        try {
            backend.subscribe("carapace/v1/it-vehicle-7/events/gate", 1, (topic, message) -> received.add(message));
            SecurityEvent refused = SecurityEvent.of(SecurityEventType.GATE_REFUSED, "org.carapace.it", "refused image web",
                Map.of("container", "web", "digest", "sha256:00"));
            eventAdmin.postEvent(new Event(refused.topic(), refused.toProperties(System.currentTimeMillis())));

            MqttMessage message = received.poll(60, TimeUnit.SECONDS);
            assertTrue("no event reached the back end within 60 s", message != null);
            EventEnvelope envelope = EventEnvelope.fromJson(message.getPayload());
            EventKeyFile key = EventKeyFile.read(Path.of(System.getProperty("carapace.monitoring.keyFile")));
            key.verifier().verify("it-vehicle-7", envelope);
            QualifiedEvent event = EventCodec.decode(envelope.payload());
            assertEquals("it-vehicle-7", event.deviceId());
            assertEquals("GATE_REFUSED", event.type());
            assertEquals(Severity.HIGH, event.severity());
            assertEquals("org.carapace.it", event.sensor());
            assertEquals(Map.of("container", "web", "digest", "sha256:00"), event.context());
            assertTrue(event.sequence() >= 1);
        } finally {
            backend.disconnect();
            backend.close();
        }
    }
}
