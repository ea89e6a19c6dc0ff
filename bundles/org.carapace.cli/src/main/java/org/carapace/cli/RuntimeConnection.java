package org.carapace.cli;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.carapace.platform.internal.AdminProtocol;
import picocli.CommandLine.Option;

/**
 * How a command reaches a running runtime: its administration socket in the run directory.
 */
public final class RuntimeConnection {

    @Option(names = "--run-dir", paramLabel = "DIR", defaultValue = "${env:CARAPACE_RUN_DIR:-/run/carapace}",
        description = "Run directory of the runtime (its admin.sock). Default: $CARAPACE_RUN_DIR or ${DEFAULT-VALUE}.")
    Path runDir;

    /**
     * Sends one command and returns its result.
     *
     * @throws CliException exit 2 when the runtime cannot be reached or the request is refused, exit 1 when the
     *                      runtime reports a failed check
     */
    public Map<String, Object> call(String command, Map<String, Object> arguments) throws CliException {
        Path socket = runDir.resolve(AdminProtocol.SOCKET_NAME);
        if (!Files.exists(socket)) {
            throw CliException.usage("the Carapace runtime is not running (no socket at " + socket + ")");
        }
        ObjectMapper mapper = AdminProtocol.mapper();
        Map<String, Object> request = new LinkedHashMap<>();
        request.put("command", command);
        request.put("arguments", arguments);
        Map<String, Object> answer;
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            channel.connect(UnixDomainSocketAddress.of(socket));
            AdminProtocol.writeLine(channel, mapper, request);
            byte[] line = AdminProtocol.readLine(channel, 64 * 1024 * 1024);
            answer = mapper.readValue(line, new TypeReference<Map<String, Object>>() { });
        } catch (IOException e) {
            throw new CliException(CliException.USAGE, "cannot talk to the Carapace runtime at " + socket + ": " + e.getMessage(), e);
        }
        if (Boolean.TRUE.equals(answer.get("ok"))) {
            @SuppressWarnings("unchecked")
            Map<String, Object> result = (Map<String, Object>) answer.getOrDefault("result", Map.of());
            return result;
        }
        Object errorObject = answer.get("error");
        Map<?, ?> error = errorObject instanceof Map ? (Map<?, ?>) errorObject : Map.of();
        String message = String.valueOf(error.get("message"));
        throw "CHECK_FAILED".equals(error.get("code")) ? CliException.checkFailed(message) : CliException.usage(message);
    }
}
