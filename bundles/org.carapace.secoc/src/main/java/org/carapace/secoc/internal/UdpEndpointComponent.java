package org.carapace.secoc.internal;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
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
 * A {@link SecuredChannel} over UDP datagrams between ECUs: one Secured I-PDU per datagram (as SecOC over SoAd
 * with one PDU per UDP message). Received datagrams are verified by the channel on this endpoint's receive thread;
 * only authentic PDUs reach {@link SecuredMessageListener}s, the rest are dropped and reported by the channel.
 */
@Component(configurationPid = UdpEndpointComponent.PID, configurationPolicy = ConfigurationPolicy.REQUIRE, immediate = true,
    service = {SecuredEndpoint.class, UdpEndpointComponent.class}, property = SecuredEndpoint.TRANSPORT + "=udp")
@Designate(ocd = UdpEndpointComponent.Config.class, factory = true)
public final class UdpEndpointComponent implements SecuredEndpoint {

    static final String PID = "org.carapace.secoc.udp";

    @ObjectClassDefinition(name = "Carapace SecOC UDP endpoint", description = "A SecOC channel over UDP datagrams.")
    @interface Config {
        @AttributeDefinition(name = "Name", description = "Endpoint name (service property endpoint.name).")
        String endpoint_name();

        @AttributeDefinition(name = "Channel filter", description = "The channel, e.g. (secoc.name=body-status).")
        String channel_target();

        @AttributeDefinition(name = "Bind address", description = "Local address to receive on.")
        String bindAddress() default "127.0.0.1";

        @AttributeDefinition(name = "Bind port", description = "Local UDP port; 0 picks a free one (see secoc.status).")
        int bindPort() default 0;

        @AttributeDefinition(name = "Peer address", description = "Where send() goes; empty: receive only.")
        String peerAddress() default "";

        @AttributeDefinition(name = "Peer port", description = "The peer's UDP port.")
        int peerPort() default 0;
    }

    private final SecuredChannel channel;
    private final String name;
    private final Logger logger;
    private final Listeners listeners;
    private final DatagramChannel socket;
    private final SocketAddress peer;
    private final Thread receiver;
    private final Clock clock = Clock.systemUTC();
    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong received = new AtomicLong();
    private final AtomicLong delivered = new AtomicLong();
    private volatile boolean running = true;

    @Activate
    public UdpEndpointComponent(Config config, @Reference(name = "channel") SecuredChannel channel,
                                @Reference(service = LoggerFactory.class) Logger logger) throws IOException {
        this.channel = channel;
        this.logger = logger;
        this.listeners = new Listeners(logger);
        this.name = config.endpoint_name() == null || config.endpoint_name().isBlank() ? "udp-" + channel.name() : config.endpoint_name();
        if (config.channel_target() == null || config.channel_target().isBlank()) {
            throw new IllegalArgumentException("endpoint " + name + ": channel.target must select the channel");
        }
        if (config.bindPort() < 0 || config.bindPort() > 65535 || config.peerPort() < 0 || config.peerPort() > 65535) {
            throw new IllegalArgumentException("endpoint " + name + ": ports must be 0..65535");
        }
        boolean hasPeer = config.peerAddress() != null && !config.peerAddress().isBlank();
        if (hasPeer && config.peerPort() == 0) {
            throw new IllegalArgumentException("endpoint " + name + ": peerAddress needs a peerPort");
        }
        this.peer = hasPeer ? new InetSocketAddress(InetAddress.getByName(config.peerAddress()), config.peerPort()) : null;
        this.socket = DatagramChannel.open();
        try {
            socket.setOption(StandardSocketOptions.SO_RCVBUF, 1 << 20);
            socket.bind(new InetSocketAddress(InetAddress.getByName(config.bindAddress()), config.bindPort()));
        } catch (IOException e) {
            socket.close();
            throw new IOException("endpoint " + name + ": cannot bind " + config.bindAddress() + ":" + config.bindPort() + ": "
                + e.getMessage(), e);
        }
        this.receiver = new Thread(this::receiveLoop, "secoc-udp-" + name);
        receiver.setDaemon(true);
        receiver.start();
        logger.info("SecOC UDP endpoint {} for channel {}: listening on {}, peer {}", name, channel.name(),
            socket.getLocalAddress(), peer == null ? "none" : peer);
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addListener(SecuredMessageListener listener, Map<String, Object> properties) {
        listeners.add(listener, properties);
    }

    void removeListener(SecuredMessageListener listener) {
        listeners.remove(listener);
    }

    private void receiveLoop() {
        int capacity = channel.parameters().securedLength(channel.maxAuthenticLength()) + 1;
        ByteBuffer buffer = ByteBuffer.allocate(capacity);
        VerifiedPdu result = new VerifiedPdu();
        while (running) {
            try {
                buffer.clear();
                socket.receive(buffer);
                int length = buffer.position();
                received.incrementAndGet();
                // a datagram that filled the buffer was longer than any valid PDU: verify() refuses it as malformed
                VerificationResult r = channel.verify(buffer.array(), 0, length, result);
                if (r == VerificationResult.SUCCESS) {
                    SecuredMessage message = new SecuredMessage(channel.name(), channel.dataId(), result.copyAuthentic(buffer.array()),
                        result.freshnessValue(), "udp", clock.instant());
                    delivered.addAndGet(listeners.deliver(message) > 0 ? 1 : 0);
                }
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException | RuntimeException e) {
                if (running) {
                    logger.warn("SecOC UDP endpoint {}: receive failed: {}", name, e.toString());
                }
            }
        }
    }

    @Override
    public SecuredChannel channel() {
        return channel;
    }

    @Override
    public String transport() {
        return "udp";
    }

    @Override
    public void send(byte[] authentic) throws AuthenticationBuildException, IOException {
        if (peer == null) {
            throw new IOException("endpoint " + name + " has no peer: receive only");
        }
        byte[] pdu = channel.protect(authentic);
        socket.send(ByteBuffer.wrap(pdu), peer);
        sent.incrementAndGet();
    }

    /** The local port (useful with bindPort 0). */
    int localPort() throws IOException {
        return ((InetSocketAddress) socket.getLocalAddress()).getPort();
    }

    String name() {
        return name;
    }

    Map<String, Object> status() throws IOException {
        Map<String, Object> m = new java.util.LinkedHashMap<>();
        m.put("endpoint", name);
        m.put("transport", "udp");
        m.put("channel", channel.name());
        m.put("local", socket.getLocalAddress().toString());
        m.put("peer", peer == null ? "" : peer.toString());
        m.put("sent", sent.get());
        m.put("received", received.get());
        m.put("delivered", delivered.get());
        return m;
    }

    @Deactivate
    void deactivate() throws InterruptedException {
        running = false;
        try {
            socket.close();
        } catch (IOException e) {
            logger.debug("SecOC UDP endpoint {}: close: {}", name, e.toString());
        }
        receiver.join(2000);
    }
}
