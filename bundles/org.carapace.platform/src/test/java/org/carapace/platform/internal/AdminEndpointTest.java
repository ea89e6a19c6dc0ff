package org.carapace.platform.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.lang.annotation.Annotation;
import java.lang.reflect.Proxy;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.carapace.api.admin.AdminCommand;
import org.carapace.api.admin.AdminException;
import org.junit.jupiter.api.Test;
import org.osgi.service.log.Logger;

class AdminEndpointTest {

    static Logger silentLogger() {
        return (Logger) Proxy.newProxyInstance(Logger.class.getClassLoader(), new Class<?>[] {Logger.class},
            (proxy, method, args) -> method.getReturnType() == boolean.class ? false : null);
    }

    private AdminEndpoint server() {
        AdminEndpoint server = new AdminEndpoint(silentLogger(), config(4096));
        server.addCommand(arguments -> Map.of("echo", arguments), Map.of(AdminCommand.COMMAND_NAME, "echo"));
        server.addCommand(arguments -> {
            throw new AdminException(AdminException.Code.CHECK_FAILED, "signature bad");
        }, Map.of(AdminCommand.COMMAND_NAME, "check"));
        return server;
    }

    static AdminEndpoint.Config config(int maxBytes) {
        return new AdminEndpoint.Config() {
            @Override public Class<? extends Annotation> annotationType() { return AdminEndpoint.Config.class; }
            @Override public int maxRequestBytes() { return maxBytes; }
        };
    }

    private static Map<String, Object> dispatch(AdminEndpoint server, String json) {
        return server.dispatch(json.getBytes(StandardCharsets.UTF_8));
    }

    @SuppressWarnings("unchecked")
    private static String errorCode(Map<String, Object> answer) {
        assertEquals(false, answer.get("ok"));
        return (String) ((Map<String, Object>) answer.get("error")).get("code");
    }

    @Test
    void dispatchesToTheNamedCommand() {
        Map<String, Object> answer = dispatch(server(), "{\"command\":\"echo\",\"arguments\":{\"a\":1}}");
        assertEquals(true, answer.get("ok"));
        assertEquals(Map.of("echo", Map.of("a", 1)), answer.get("result"));
    }

    @Test
    void garbageDuplicateKeysTrailingDataAndWrongShapesAreBadRequests() {
        AdminEndpoint server = server();
        assertEquals("BAD_REQUEST", errorCode(dispatch(server, "{not json")));
        assertEquals("BAD_REQUEST", errorCode(dispatch(server, "{\"command\":\"echo\",\"command\":\"check\"}")));
        assertEquals("BAD_REQUEST", errorCode(dispatch(server, "{\"command\":\"echo\"} {\"command\":\"check\"}")));
        assertEquals("BAD_REQUEST", errorCode(dispatch(server, "{\"command\":42}")));
        assertEquals("BAD_REQUEST", errorCode(dispatch(server, "{\"command\":\"echo\",\"arguments\":[1]}")));
        assertEquals("BAD_REQUEST", errorCode(dispatch(server, "[]")));
        assertEquals("BAD_REQUEST", errorCode(dispatch(server, "{\"command\":\"nope\"}")));
        assertEquals("BAD_REQUEST", errorCode(dispatch(server, "[".repeat(1000))));
    }

    @Test
    void aFailedCheckKeepsItsCode() {
        assertEquals("CHECK_FAILED", errorCode(dispatch(server(), "{\"command\":\"check\"}")));
    }

    @Test
    void aSecondCommandWithTheSameNameIsIgnored() {
        AdminEndpoint server = server();
        server.addCommand(arguments -> Map.of("impostor", true), Map.of(AdminCommand.COMMAND_NAME, "echo"));
        assertEquals(Map.of("echo", Map.of()), dispatch(server, "{\"command\":\"echo\"}").get("result"));
    }

    @Test
    void readLineStopsAtTheLimit() {
        byte[] big = ("{\"command\":\"" + "x".repeat(5000) + "\"}\n").getBytes(StandardCharsets.UTF_8);
        IOException e = assertThrows(IOException.class,
            () -> AdminProtocol.readLine(Channels.newChannel(new ByteArrayInputStream(big)), 4096));
        assertTrue(e.getMessage().contains("4096"), e.getMessage());
        assertThrows(IOException.class, () -> AdminProtocol.readLine(
            Channels.newChannel(new ByteArrayInputStream("{\"no newline\"".getBytes(StandardCharsets.UTF_8))), 4096));
    }

    @Test
    void refusesNonsenseLimits() {
        IllegalArgumentException tooSmall = assertThrows(IllegalArgumentException.class,
            () -> new AdminEndpoint(silentLogger(), config(10)));
        assertTrue(tooSmall.getMessage().contains("maxRequestBytes"), tooSmall.getMessage());
    }
}
