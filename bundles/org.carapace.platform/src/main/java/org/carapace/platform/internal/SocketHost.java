package org.carapace.platform.internal;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import jdk.net.ExtendedSocketOptions;
import org.carapace.api.platform.LocalConnection;
import org.carapace.api.platform.PlatformInfo;
import org.carapace.api.platform.SocketEndpoint;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
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
 * Owns the runtime's Unix domain sockets and serves each through its {@link SocketEndpoint} (whiteboard).
 *
 * <p>Access control has three layers: the run directory is mode 0700, each socket file is mode 0600, and every
 * connection's peer credentials ({@code SO_PEERCRED}) must name root or the runtime's own user. Each socket has a
 * bounded pool of workers and a bounded queue; beyond that, connections are closed at once rather than buffered.
 * When an endpoint goes away its socket stays open for the hand-over period so that a replacement (a bundle update)
 * takes over without clients ever finding the socket missing; connections waiting for an endpoint are closed
 * unanswered when the period ends.
 */
@Component(configurationPid = SocketHost.PID, service = {}, immediate = true)
@Designate(ocd = SocketHost.Config.class)
public final class SocketHost {

    static final String PID = "org.carapace.platform.sockets";

    @ObjectClassDefinition(name = "Carapace local sockets")
    @interface Config {
        @AttributeDefinition(name = "Hand-over period (ms)",
            description = "How long a socket stays open, holding new connections, after its endpoint went away.")
        long handoverMillis() default 5_000;

        @AttributeDefinition(name = "Workers per socket", description = "Connections served at once on one socket.")
        int workers() default 16;

        @AttributeDefinition(name = "Queue per socket", description = "Accepted connections that may wait for a worker.")
        int queue() default 256;
    }

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1,64}\\.sock");
    private static final long DEFAULT_MAX_CONNECTION_MILLIS = 30_000;

    private final PlatformInfo platform;
    private final Logger logger;
    private final long handoverMillis;
    private final int workers;
    private final int queue;
    private final Set<String> allowedUsers;
    private final ScheduledExecutorService timers;
    private final Map<String, Listener> listeners = new HashMap<>();
    private boolean closed;

    @Activate
    public SocketHost(@Reference PlatformInfo platform, @Reference(service = LoggerFactory.class) Logger logger, Config config) {
        if (config.handoverMillis() < 0 || config.workers() <= 0 || config.queue() < 0) {
            throw new IllegalArgumentException("handoverMillis and queue must not be negative, workers must be positive");
        }
        this.platform = platform;
        this.logger = logger;
        this.handoverMillis = config.handoverMillis();
        this.workers = config.workers();
        this.queue = config.queue();
        this.allowedUsers = Set.copyOf(new java.util.HashSet<>(List.of("root", System.getProperty("user.name"))));
        this.timers = Executors.newScheduledThreadPool(1, r -> daemon(r, "carapace-socket-timer"));
    }

    static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    synchronized void addEndpoint(SocketEndpoint endpoint, Map<String, Object> properties) {
        Object name = properties.get(SocketEndpoint.SOCKET_NAME);
        if (!(name instanceof String) || !NAME.matcher((String) name).matches()) {
            logger.warn("Ignoring a socket endpoint with an invalid {}: {}", SocketEndpoint.SOCKET_NAME, name);
            return;
        }
        if (closed) {
            return;
        }
        long maxMillis = DEFAULT_MAX_CONNECTION_MILLIS;
        Object max = properties.get(SocketEndpoint.MAX_CONNECTION_MILLIS);
        if (max instanceof Number && ((Number) max).longValue() > 0) {
            maxMillis = ((Number) max).longValue();
        }
        Listener listener = listeners.get(name);
        try {
            if (listener == null) {
                listener = new Listener((String) name, platform.runDir().resolve((String) name));
                listeners.put((String) name, listener);
            }
            listener.attach(endpoint, maxMillis);
        } catch (IOException e) {
            logger.error("Cannot open socket {}", name, e);
        }
    }

    synchronized void removeEndpoint(SocketEndpoint endpoint, Map<String, Object> properties) {
        Listener listener = listeners.get(properties.get(SocketEndpoint.SOCKET_NAME));
        if (listener != null) {
            listener.detach(endpoint);
        }
    }

    @Deactivate
    synchronized void stop() {
        closed = true;
        for (Listener listener : listeners.values()) {
            listener.close();
        }
        listeners.clear();
        timers.shutdownNow();
    }

    private synchronized void expire(Listener listener) {
        if (listener.expireIfUnattended()) {
            listeners.remove(listener.name, listener);
        }
    }

    /** One socket: its acceptor thread, its workers, and whichever endpoint currently serves it. */
    private final class Listener {
        final String name;
        final Path path;
        final ServerSocketChannel server;
        final ThreadPoolExecutor pool;
        private SocketEndpoint endpoint;
        private long maxMillis;
        private long orphanedSince;

        Listener(String name, Path path) throws IOException {
            this.name = name;
            this.path = path;
            Files.deleteIfExists(path);
            this.server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            server.bind(UnixDomainSocketAddress.of(path));
            Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-------"));
            this.pool = new ThreadPoolExecutor(workers, workers, 30, TimeUnit.SECONDS,
                queue == 0 ? new java.util.concurrent.SynchronousQueue<>() : new ArrayBlockingQueue<>(queue),
                r -> daemon(r, "carapace-socket-" + name));
            pool.allowCoreThreadTimeOut(true);
            daemon(this::acceptLoop, "carapace-accept-" + name).start();
            logger.info("Socket {} listening", path);
        }

        synchronized void attach(SocketEndpoint newEndpoint, long newMaxMillis) {
            endpoint = newEndpoint;
            maxMillis = newMaxMillis;
            orphanedSince = 0;
            notifyAll();
        }

        synchronized void detach(SocketEndpoint oldEndpoint) {
            if (endpoint != oldEndpoint) {
                return;
            }
            endpoint = null;
            orphanedSince = System.nanoTime();
            timers.schedule(() -> expire(this), handoverMillis, TimeUnit.MILLISECONDS);
        }

        /** Closes the socket if no endpoint came back during the hand-over period. */
        synchronized boolean expireIfUnattended() {
            if (endpoint != null || orphanedSince == 0
                || System.nanoTime() - orphanedSince < TimeUnit.MILLISECONDS.toNanos(handoverMillis)) {
                return false;
            }
            logger.info("Socket {} closed: no endpoint after the hand-over period", path);
            close();
            return true;
        }

        /** Waits, within the hand-over period, for an endpoint; null when none came. */
        synchronized SocketEndpoint awaitEndpoint() throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(handoverMillis);
            while (endpoint == null && server.isOpen()) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return null;
                }
                TimeUnit.NANOSECONDS.timedWait(this, left);
            }
            return endpoint;
        }

        synchronized long maxMillis() {
            return maxMillis;
        }

        void close() {
            try {
                server.close();
                Files.deleteIfExists(path);
            } catch (IOException e) {
                logger.warn("Closing socket {} failed", path, e);
            }
            pool.shutdownNow();
            synchronized (this) {
                notifyAll();
            }
        }

        private void acceptLoop() {
            while (server.isOpen()) {
                SocketChannel client;
                try {
                    client = server.accept();
                } catch (ClosedChannelException e) {
                    return;
                } catch (IOException e) {
                    logger.warn("Accepting on {} failed", path, e);
                    continue;
                }
                try {
                    pool.execute(() -> serve(client));
                } catch (RejectedExecutionException e) {
                    logger.warn("Socket {} busy: refused a connection", name);
                    closeQuietly(client);
                }
            }
        }

        private void serve(SocketChannel client) {
            ScheduledFuture<?> deadline = null;
            try (client) {
                String user = client.getOption(ExtendedSocketOptions.SO_PEERCRED).user().getName();
                if (!allowedUsers.contains(user)) {
                    logger.warn("Socket {}: refused a connection from user {}", name, user);
                    return;
                }
                SocketEndpoint current = awaitEndpoint();
                if (current == null) {
                    logger.warn("Socket {}: no endpoint within the hand-over period; connection closed unanswered", name);
                    return;
                }
                deadline = timers.schedule(() -> closeQuietly(client), maxMillis(), TimeUnit.MILLISECONDS);
                current.serve(new Connection(client, user));
            } catch (IOException e) {
                logger.debug("Connection on {} ended: {}", name, e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (RuntimeException e) {
                logger.error("Endpoint of {} failed", name, e);
            } finally {
                if (deadline != null) {
                    deadline.cancel(false);
                }
            }
        }
    }

    static void closeQuietly(SocketChannel channel) {
        try {
            channel.close();
        } catch (IOException ignored) {
            // a connection we are dropping anyway
        }
    }

    /** A served connection: bounded reads on a blocking channel whose deadline closes it. */
    static final class Connection implements LocalConnection {
        private final SocketChannel channel;
        private final String user;
        private final ByteBuffer buffer = ByteBuffer.allocate(8192);

        Connection(SocketChannel channel, String user) {
            this.channel = channel;
            this.user = user;
            buffer.flip(); // empty, in read mode
        }

        @Override
        public String peerUser() {
            return user;
        }

        @Override
        public byte[] readLine(int maxBytes) throws IOException {
            java.io.ByteArrayOutputStream line = new java.io.ByteArrayOutputStream(256);
            while (true) {
                while (buffer.hasRemaining()) {
                    byte b = buffer.get();
                    if (b == '\n') {
                        return line.toByteArray();
                    }
                    if (line.size() >= maxBytes) {
                        throw new IOException("line longer than " + maxBytes + " bytes");
                    }
                    line.write(b);
                }
                if (!fill()) {
                    throw new IOException("connection closed before a complete line (" + line.size() + " bytes read)");
                }
            }
        }

        @Override
        public byte[] readToEnd(int maxBytes) throws IOException {
            java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream(4096);
            do {
                int n = buffer.remaining();
                if (all.size() + n > maxBytes) {
                    throw new IOException("request longer than " + maxBytes + " bytes");
                }
                all.write(buffer.array(), buffer.position(), n);
                buffer.position(buffer.limit());
            } while (fill());
            return all.toByteArray();
        }

        private boolean fill() throws IOException {
            buffer.clear();
            int n = channel.read(buffer);
            buffer.flip();
            return n >= 0;
        }

        @Override
        public void write(byte[] bytes) throws IOException {
            ByteBuffer out = ByteBuffer.wrap(bytes);
            while (out.hasRemaining()) {
                channel.write(out);
            }
        }
    }
}
