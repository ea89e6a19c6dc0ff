package org.carapace.devtools.internal;

import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Properties;
import io.moquette.broker.Server;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.log.Logger;
import org.osgi.service.log.LoggerFactory;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * An MQTT 3.1.1 broker inside the runtime, for the development profile only: anonymous, in memory, plain TCP, and
 * therefore bound to a loopback address only. It starts when the profile's broker setting still has its
 * {@code embedded} default, i.e. when no external broker was configured; if the port is taken (a Mosquitto already
 * listens there) it logs that and stays off, and monitoring uses whatever listens.
 */
@Component(configurationPid = EmbeddedBroker.PID, configurationPolicy = ConfigurationPolicy.REQUIRE, immediate = true, service = {})
@Designate(ocd = EmbeddedBroker.Config.class)
public final class EmbeddedBroker {

    static final String PID = "org.carapace.devtools.broker";
    /** The value of {@code when} that starts the broker. */
    static final String EMBEDDED = "embedded";

    @ObjectClassDefinition(name = "Carapace development MQTT broker",
        description = "Moquette on a loopback address, for the dev profile when no external broker is configured.")
    @interface Config {
        @AttributeDefinition(name = "When", description = "'embedded' starts the broker; anything else (an external broker URL) does not.")
        String when() default EMBEDDED;

        @AttributeDefinition(name = "Host", description = "A loopback address; other addresses are refused.")
        String host() default "127.0.0.1";

        @AttributeDefinition(name = "Port")
        int port() default 1883;

        @AttributeDefinition(name = "Largest message (bytes)")
        int maxMessageBytes() default 256 * 1024;
    }

    private final Logger logger;
    private final Server server;

    @Activate
    public EmbeddedBroker(@Reference(service = LoggerFactory.class) Logger logger, Config config) throws UnknownHostException {
        this.logger = logger;
        if (!EMBEDDED.equals(config.when())) {
            logger.info("External MQTT broker configured ({}): the embedded broker stays off", config.when());
            this.server = null;
            return;
        }
        InetAddress address = InetAddress.getByName(config.host());
        if (!address.isLoopbackAddress()) {
            // anonymous plain-TCP broker: never reachable from outside the machine
            throw new IllegalArgumentException("the development broker binds to loopback addresses only, not " + config.host());
        }
        if (config.port() < 1 || config.port() > 65535 || config.maxMessageBytes() < 1024) {
            throw new IllegalArgumentException("port must be 1 to 65535 and maxMessageBytes at least 1024");
        }
        Properties properties = new Properties();
        properties.setProperty("host", config.host());
        properties.setProperty("port", Integer.toString(config.port()));
        properties.setProperty("websocket_port", "disabled");
        properties.setProperty("allow_anonymous", "true");
        properties.setProperty("persistence_enabled", "false");
        properties.setProperty("telemetry_enabled", "false");
        properties.setProperty("netty.epoll", "false");
        properties.setProperty("netty.mqtt.message_size", Integer.toString(config.maxMessageBytes()));
        Server broker = new Server();
        Thread thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        try {
            // Moquette and Netty look up some classes through the context class loader
            thread.setContextClassLoader(EmbeddedBroker.class.getClassLoader());
            broker.startServer(properties);
            logger.info("Embedded development MQTT broker (Moquette {}) listening on {}:{}", Server.MOQUETTE_VERSION, config.host(),
                config.port());
        } catch (IOException | RuntimeException e) {
            logger.warn("Embedded development MQTT broker not started on {}:{} ({}); monitoring uses whatever listens there",
                config.host(), config.port(), e.toString());
            broker = null;
        } finally {
            thread.setContextClassLoader(previous);
        }
        this.server = broker;
    }

    @Deactivate
    void stop() {
        if (server != null) {
            server.stopServer();
            logger.info("Embedded development MQTT broker stopped");
        }
    }
}
