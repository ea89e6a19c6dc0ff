package org.carapace.platform.internal;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.Executors;
import jdk.net.ExtendedSocketOptions;
import jdk.net.UnixDomainPrincipal;
import org.carapace.api.admin.AdminCommand;
import org.carapace.api.admin.AdminException;
import org.carapace.api.platform.PlatformInfo;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.log.Logger;
import org.osgi.service.log.LoggerFactory;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * Serves {@link AdminCommand} services on a Unix domain socket in the platform's run directory.
 *
 * <p>Access control has three layers: the run directory is mode 0700, the socket file is mode 0600, and every
 * connection's peer credentials ({@code SO_PEERCRED}) must name the runtime's own user or root. A client that
 * sends garbage, too much or too slowly gets an error answer or is cut off; the server keeps serving.
 */
@Component(configurationPid = AdminServer.PID, immediate = true, service = {})
@Designate(ocd = AdminServer.Config.class)
public final class AdminServer {

    static final String PID = "org.carapace.platform.admin";

    @ObjectClassDefinition(name = "Carapace administration socket")
    @interface Config {
        @AttributeDefinition(name = "Maximum request size (bytes)")
        int maxRequestBytes() default AdminProtocol.DEFAULT_MAX_BYTES;

        @AttributeDefinition(name = "Request timeout (ms)", description = "A client must send its request within this time.")
        long requestTimeoutMillis() default 10_000;

        @AttributeDefinition(name = "Worker threads", description = "How many requests are served at once.")
        int workers() default 4;
    }

    private final Logger logger;
    private final Path socketPath;
    private volatile int maxRequestBytes;
    private volatile long requestTimeoutMillis;
    private volatile ObjectMapper mapper; // created on first use: keeps Jackson off the start-up path
    private final Map<String, AdminCommand> commands = new ConcurrentHashMap<>();
    private final Map<String, String> descriptions = new ConcurrentHashMap<>();
    private final Set<String> allowedUsers;
    private final ExecutorService workers;
    private final ScheduledExecutorService deadlines;
    private ServerSocketChannel server;
    private Thread acceptor;

    @Activate
    public AdminServer(@Reference PlatformInfo platform, @Reference(service = LoggerFactory.class) Logger logger,
                       Config config) {
        this.logger = logger;
        this.socketPath = platform.runDir().resolve(AdminProtocol.SOCKET_NAME);
        validate(config);
        this.maxRequestBytes = config.maxRequestBytes();
        this.requestTimeoutMillis = config.requestTimeoutMillis();
        this.allowedUsers = new java.util.HashSet<>(java.util.List.of("root", System.getProperty("user.name")));
        // a bounded pool without a queue: a flood of connections is refused rather than buffered
        this.workers = new ThreadPoolExecutor(1, config.workers(), 30, TimeUnit.SECONDS, new SynchronousQueue<>(),
            r -> daemon(r, "carapace-admin-worker"));
        this.deadlines = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "carapace-admin-deadline"));
    }

    private static void validate(Config config) {
        if (config.maxRequestBytes() < 1024) {
            throw new IllegalArgumentException("maxRequestBytes must be at least 1024, was " + config.maxRequestBytes());
        }
        if (config.requestTimeoutMillis() <= 0 || config.workers() <= 0) {
            throw new IllegalArgumentException("requestTimeoutMillis and workers must be positive");
        }
    }

    @Modified
    void modified(Config config) {
        validate(config);
        maxRequestBytes = config.maxRequestBytes();
        requestTimeoutMillis = config.requestTimeoutMillis();
        ((ThreadPoolExecutor) workers).setMaximumPoolSize(config.workers());
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    @Activate
    void start() throws IOException {
        Files.deleteIfExists(socketPath);
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socketPath));
        Files.setPosixFilePermissions(socketPath, PosixFilePermissions.fromString("rw-------"));
        acceptor = daemon(this::acceptLoop, "carapace-admin-acceptor");
        acceptor.start();
        logger.info("Administration socket listening on {}", socketPath);
    }

    @Deactivate
    void stop() throws IOException {
        server.close();
        workers.shutdownNow();
        deadlines.shutdownNow();
        Files.deleteIfExists(socketPath);
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addCommand(AdminCommand command, Map<String, Object> properties) {
        Object name = properties.get(AdminCommand.COMMAND_NAME);
        if (!(name instanceof String) || ((String) name).isBlank()) {
            logger.warn("Ignoring an admin command service without the {} property: {}", AdminCommand.COMMAND_NAME, properties);
            return;
        }
        if (commands.putIfAbsent((String) name, command) != null) {
            logger.warn("Ignoring a second admin command named {}", name);
            return;
        }
        Object description = properties.get(AdminCommand.COMMAND_DESCRIPTION);
        descriptions.put((String) name, description instanceof String ? (String) description : "");
    }

    void removeCommand(AdminCommand command, Map<String, Object> properties) {
        Object name = properties.get(AdminCommand.COMMAND_NAME);
        if (name instanceof String && commands.remove(name, command)) {
            descriptions.remove(name);
        }
    }

    /** The names and descriptions of the commands currently served, sorted. */
    Map<String, String> commands() {
        return new java.util.TreeMap<>(descriptions);
    }

    private void acceptLoop() {
        while (server.isOpen()) {
            SocketChannel client;
            try {
                client = server.accept();
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                logger.warn("Accepting an admin connection failed", e);
                continue;
            }
            try {
                workers.execute(() -> serve(client));
            } catch (RejectedExecutionException e) {
                logger.warn("Admin socket busy: refused a connection");
                closeQuietly(client);
            }
        }
    }

    private ObjectMapper mapper() {
        ObjectMapper m = mapper;
        if (m == null) {
            synchronized (this) {
                m = mapper;
                if (m == null) {
                    mapper = m = AdminProtocol.mapper();
                }
            }
        }
        return m;
    }

    private void serve(SocketChannel client) {
        ObjectMapper mapper = mapper();
        ScheduledFuture<?> deadline = deadlines.schedule(() -> closeQuietly(client), requestTimeoutMillis, TimeUnit.MILLISECONDS);
        try (client) {
            UnixDomainPrincipal peer = client.getOption(ExtendedSocketOptions.SO_PEERCRED);
            String user = peer.user().getName();
            if (!allowedUsers.contains(user)) {
                logger.warn("Admin socket: refused a connection from user {}", user);
                AdminProtocol.writeLine(client, mapper, error(AdminException.Code.BAD_REQUEST, "permission denied"));
                return;
            }
            Map<String, Object> answer;
            try {
                byte[] line = AdminProtocol.readLine(client, maxRequestBytes);
                deadline.cancel(false); // the command itself may take longer than reading the request
                answer = dispatch(line);
            } catch (IOException e) {
                answer = error(AdminException.Code.BAD_REQUEST, "unreadable request: " + e.getMessage());
            }
            AdminProtocol.writeLine(client, mapper, answer);
        } catch (IOException e) {
            logger.debug("Admin connection ended early: {}", e.getMessage());
        } finally {
            deadline.cancel(false);
        }
    }

    Map<String, Object> dispatch(byte[] line) {
        ObjectMapper mapper = mapper();
        Map<String, Object> request;
        try {
            request = mapper.readValue(line, new TypeReference<Map<String, Object>>() { });
        } catch (com.fasterxml.jackson.core.JacksonException e) {
            return error(AdminException.Code.BAD_REQUEST, "request is not a JSON object: " + e.getOriginalMessage());
        } catch (IOException e) {
            return error(AdminException.Code.BAD_REQUEST, "request is not a JSON object: " + e.getMessage());
        }
        if (request == null || !(request.get("command") instanceof String)) {
            return error(AdminException.Code.BAD_REQUEST, "request has no \"command\" string");
        }
        String name = (String) request.get("command");
        Object arguments = request.getOrDefault("arguments", Map.of());
        if (!(arguments instanceof Map)) {
            return error(AdminException.Code.BAD_REQUEST, "\"arguments\" must be an object");
        }
        AdminCommand command = commands.get(name);
        if (command == null) {
            return error(AdminException.Code.BAD_REQUEST, "unknown command '" + name + "'; known: " + new TreeSet<>(commands.keySet()));
        }
        try {
            @SuppressWarnings("unchecked")
            Map<String, Object> result = command.execute((Map<String, Object>) arguments);
            Map<String, Object> answer = new LinkedHashMap<>();
            answer.put("ok", true);
            answer.put("result", result);
            return answer;
        } catch (AdminException e) {
            return error(e.code(), e.getMessage());
        } catch (RuntimeException e) {
            logger.error("Admin command {} failed", name, e);
            return error(AdminException.Code.INTERNAL, "command '" + name + "' failed: " + e);
        }
    }

    static Map<String, Object> error(AdminException.Code code, String message) {
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("ok", false);
        answer.put("error", Map.of("code", code.name(), "message", message));
        return answer;
    }

    private static void closeQuietly(SocketChannel channel) {
        try {
            channel.close();
        } catch (IOException ignored) {
            // nothing left to do for a connection we are dropping
        }
    }
}
