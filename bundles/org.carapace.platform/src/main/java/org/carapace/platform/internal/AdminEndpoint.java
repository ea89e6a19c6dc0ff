package org.carapace.platform.internal;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import org.carapace.api.admin.AdminCommand;
import org.carapace.api.admin.AdminException;
import org.carapace.api.platform.LocalConnection;
import org.carapace.api.platform.SocketEndpoint;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
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
 * The administration socket ({@code admin.sock}): one JSON request line per connection, dispatched to the
 * {@link AdminCommand} service of that name (whiteboard), one JSON answer line back (see {@link AdminProtocol}).
 * A client that sends garbage, too much or too slowly gets an error answer or is cut off; the socket keeps serving.
 */
@Component(configurationPid = AdminEndpoint.PID, property = {
    SocketEndpoint.SOCKET_NAME + "=" + AdminProtocol.SOCKET_NAME,
    SocketEndpoint.MAX_CONNECTION_MILLIS + ":Long=120000"})
@Designate(ocd = AdminEndpoint.Config.class)
public final class AdminEndpoint implements SocketEndpoint {

    static final String PID = "org.carapace.platform.admin";

    @ObjectClassDefinition(name = "Carapace administration socket")
    @interface Config {
        @AttributeDefinition(name = "Maximum request size (bytes)")
        int maxRequestBytes() default AdminProtocol.DEFAULT_MAX_BYTES;
    }

    private final Logger logger;
    private final Map<String, AdminCommand> commands = new ConcurrentHashMap<>();
    private final Map<String, String> descriptions = new ConcurrentHashMap<>();
    private volatile int maxRequestBytes;
    private volatile ObjectMapper mapper; // created on first use: keeps Jackson off the start-up path

    @Activate
    public AdminEndpoint(@Reference(service = LoggerFactory.class) Logger logger, Config config) {
        this.logger = logger;
        modified(config);
    }

    @Modified
    void modified(Config config) {
        if (config.maxRequestBytes() < 1024) {
            throw new IllegalArgumentException("maxRequestBytes must be at least 1024, was " + config.maxRequestBytes());
        }
        maxRequestBytes = config.maxRequestBytes();
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
        return new TreeMap<>(descriptions);
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

    @Override
    public void serve(LocalConnection connection) throws IOException {
        Map<String, Object> answer;
        try {
            answer = dispatch(connection.readLine(maxRequestBytes));
        } catch (IOException e) {
            answer = error(AdminException.Code.BAD_REQUEST, "unreadable request: " + e.getMessage());
        }
        byte[] json = mapper().writeValueAsBytes(answer);
        byte[] line = java.util.Arrays.copyOf(json, json.length + 1);
        line[json.length] = '\n';
        connection.write(line);
    }

    Map<String, Object> dispatch(byte[] line) {
        Map<String, Object> request;
        try {
            request = mapper().readValue(line, new TypeReference<Map<String, Object>>() { });
        } catch (JacksonException e) {
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
}
