package org.carapace.secoc.internal;

import java.io.IOException;
import java.time.Clock;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.carapace.api.secoc.AuthenticationBuildException;
import org.carapace.api.secoc.SecuredChannel;
import org.carapace.api.secoc.SecuredEndpoint;
import org.carapace.api.secoc.SecuredMessage;
import org.carapace.api.secoc.SecuredMessageListener;
import org.carapace.api.secoc.VerificationResult;
import org.carapace.api.secoc.VerifiedPdu;
import org.eclipse.paho.client.mqttv3.IMqttDeliveryToken;
import org.eclipse.paho.client.mqttv3.MqttCallbackExtended;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.log.Logger;
import org.osgi.service.log.LoggerFactory;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * A {@link SecuredChannel} over MQTT on the vehicle's local broker: each message payload is one Secured I-PDU
 * (MQTT 3.1.1 publish payload, opaque bytes). Published on {@code publishTopic}; messages arriving on
 * {@code subscribeTopic} are verified and only authentic ones reach {@link SecuredMessageListener}s. The broker is
 * not trusted: SecOC protects the payload end to end between the two channels.
 */
@Component(configurationPid = MqttEndpointComponent.PID, configurationPolicy = ConfigurationPolicy.REQUIRE, immediate = true,
    service = {SecuredEndpoint.class, MqttEndpointComponent.class}, property = SecuredEndpoint.TRANSPORT + "=mqtt")
@Designate(ocd = MqttEndpointComponent.Config.class, factory = true)
public final class MqttEndpointComponent implements SecuredEndpoint, MqttCallbackExtended {

    static final String PID = "org.carapace.secoc.mqtt";

    @ObjectClassDefinition(name = "Carapace SecOC MQTT endpoint", description = "A SecOC channel over the local MQTT broker.")
    @interface Config {
        @AttributeDefinition(name = "Name", description = "Endpoint name (service property endpoint.name); also the client id.")
        String endpoint_name();

        @AttributeDefinition(name = "Channel filter", description = "The channel, e.g. (secoc.name=hvac-command).")
        String channel_target();

        @AttributeDefinition(name = "Broker", description = "The local broker, tcp://127.0.0.1:1883.")
        String brokerUri() default "tcp://127.0.0.1:1883";

        @AttributeDefinition(name = "Publish topic", description = "Topic send() publishes to; empty: receive only.")
        String publishTopic() default "";

        @AttributeDefinition(name = "Subscribe topic", description = "Topic whose messages are verified; empty: send only.")
        String subscribeTopic() default "";

        @AttributeDefinition(name = "QoS", description = "MQTT quality of service, 0..2.")
        int qos() default 1;

        @AttributeDefinition(name = "Connect timeout (s)")
        int connectTimeoutSeconds() default 10;
    }

    private final SecuredChannel channel;
    private final String name;
    private final Logger logger;
    private final Listeners listeners;
    private final MqttClient client;
    private final String publishTopic;
    private final String subscribeTopic;
    private final int qos;
    private final Clock clock = Clock.systemUTC();
    private final VerifiedPdu result = new VerifiedPdu();
    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong received = new AtomicLong();

    @Activate
    public MqttEndpointComponent(Config config, @Reference(name = "channel") SecuredChannel channel,
                                 @Reference(service = LoggerFactory.class) Logger logger) throws MqttException {
        this.channel = channel;
        this.logger = logger;
        this.listeners = new Listeners(logger);
        this.name = config.endpoint_name() == null || config.endpoint_name().isBlank() ? "mqtt-" + channel.name() : config.endpoint_name();
        if (config.channel_target() == null || config.channel_target().isBlank()) {
            throw new IllegalArgumentException("endpoint " + name + ": channel.target must select the channel");
        }
        if (config.qos() < 0 || config.qos() > 2) {
            throw new IllegalArgumentException("endpoint " + name + ": qos must be 0..2, was " + config.qos());
        }
        this.publishTopic = config.publishTopic() == null ? "" : config.publishTopic();
        this.subscribeTopic = config.subscribeTopic() == null ? "" : config.subscribeTopic();
        if (publishTopic.isEmpty() && subscribeTopic.isEmpty()) {
            throw new IllegalArgumentException("endpoint " + name + ": give publishTopic, subscribeTopic or both");
        }
        if (publishTopic.contains("#") || publishTopic.contains("+")) {
            throw new IllegalArgumentException("endpoint " + name + ": publishTopic must not contain wildcards");
        }
        this.qos = config.qos();
        this.client = new MqttClient(config.brokerUri(), name, new MemoryPersistence());
        client.setCallback(this);
        MqttConnectOptions options = new MqttConnectOptions();
        options.setCleanSession(true);
        options.setAutomaticReconnect(true);
        options.setConnectionTimeout(config.connectTimeoutSeconds());
        options.setMqttVersion(MqttConnectOptions.MQTT_VERSION_3_1_1);
        try {
            client.connect(options);
            if (!subscribeTopic.isEmpty()) {
                client.subscribe(subscribeTopic, qos);
            }
        } catch (MqttException e) {
            client.close();
            throw e;
        }
        logger.info("SecOC MQTT endpoint {} for channel {}: broker {}, publish '{}', subscribe '{}'", name, channel.name(),
            config.brokerUri(), publishTopic, subscribeTopic);
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addListener(SecuredMessageListener listener, Map<String, Object> properties) {
        listeners.add(listener, properties);
    }

    void removeListener(SecuredMessageListener listener) {
        listeners.remove(listener);
    }

    @Override
    public void connectComplete(boolean reconnect, String serverUri) {
        if (reconnect && !subscribeTopic.isEmpty()) {
            // a clean session loses its subscriptions; never block Paho's callback thread with a synchronous call
            Thread resubscribe = new Thread(() -> {
                try {
                    client.subscribe(subscribeTopic, qos);
                } catch (MqttException e) {
                    logger.error("SecOC MQTT endpoint {}: cannot subscribe to {}: {}", name, subscribeTopic, e.toString());
                }
            }, "secoc-mqtt-resubscribe-" + name);
            resubscribe.setDaemon(true);
            resubscribe.start();
        }
    }

    @Override
    public void connectionLost(Throwable cause) {
        logger.warn("SecOC MQTT endpoint {}: connection lost ({}); reconnecting", name, String.valueOf(cause));
    }

    @Override
    public void messageArrived(String topic, MqttMessage message) {
        byte[] pdu = message.getPayload();
        received.incrementAndGet();
        synchronized (result) {
            if (channel.verify(pdu, 0, pdu.length, result) == VerificationResult.SUCCESS) {
                listeners.deliver(new SecuredMessage(channel.name(), channel.dataId(), result.copyAuthentic(pdu), result.freshnessValue(),
                    "mqtt", clock.instant()));
            }
        }
    }

    @Override
    public void deliveryComplete(IMqttDeliveryToken token) {
        // QoS handshakes are Paho's business
    }

    @Override
    public SecuredChannel channel() {
        return channel;
    }

    @Override
    public String transport() {
        return "mqtt";
    }

    @Override
    public void send(byte[] authentic) throws AuthenticationBuildException, IOException {
        if (publishTopic.isEmpty()) {
            throw new IOException("endpoint " + name + " has no publish topic: receive only");
        }
        byte[] pdu = channel.protect(authentic);
        try {
            client.publish(publishTopic, pdu, qos, false);
            sent.incrementAndGet();
        } catch (MqttException e) {
            throw new IOException("endpoint " + name + ": publish to " + publishTopic + " failed: " + e.getMessage(), e);
        }
    }

    String name() {
        return name;
    }

    Map<String, Object> status() {
        return Map.of("endpoint", name, "transport", "mqtt", "channel", channel.name(), "connected", client.isConnected(),
            "publishTopic", publishTopic, "subscribeTopic", subscribeTopic, "sent", sent.get(), "received", received.get());
    }

    @Deactivate
    void deactivate() {
        try {
            if (client.isConnected()) {
                client.disconnect(2000);
            }
            client.close();
        } catch (MqttException e) {
            logger.debug("SecOC MQTT endpoint {}: close: {}", name, e.toString());
        }
    }
}
