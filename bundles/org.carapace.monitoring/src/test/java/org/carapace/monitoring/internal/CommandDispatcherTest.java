package org.carapace.monitoring.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.carapace.api.monitoring.CommandHandler;
import org.carapace.api.monitoring.EventCodec;
import org.carapace.api.monitoring.EventKeyFile;
import org.carapace.api.monitoring.HmacEventKeys;
import org.carapace.api.monitoring.MonitoringTopics;
import org.junit.jupiter.api.Test;

/** Only commands authenticated with this device's key, on its own topics, reach a handler; the rest are counted. */
class CommandDispatcherTest {

    private static final String DEVICE = "dev-cmd-1";
    private static final byte[] PAYLOAD = "{\"schema\":\"carapace.ota.command/v1\"}".getBytes(StandardCharsets.UTF_8);

    private final byte[] key = EventKeyFile.generateDeviceKey(DEVICE, true).key();
    private final List<byte[]> handled = new ArrayList<>();
    private final List<String> warnings = new ArrayList<>();
    private final CommandDispatcher dispatcher = new CommandDispatcher(DEVICE, HmacEventKeys.deviceVerifier(DEVICE, key), warnings::add);

    CommandDispatcherTest() {
        dispatcher.add(Map.of(CommandHandler.NAME, "ota", "service.id", 1L), handled::add);
    }

    private static byte[] sealed(byte[] key, String payloadType, byte[] payload) {
        try (HmacEventKeys.Authenticator authenticator = HmacEventKeys.authenticator(key)) {
            return authenticator.seal(payloadType, payload).toJson();
        }
    }

    @SuppressWarnings("unchecked")
    private long dropped(String counter) {
        Object value = ((Map<String, Object>) dispatcher.status().get("dropped")).get(counter);
        return value == null ? 0 : (Long) value;
    }

    @Test
    void authenticatedCommandReachesItsHandler() {
        dispatcher.arrived(MonitoringTopics.commands(DEVICE, "ota"), sealed(key, CommandHandler.PAYLOAD_TYPE, PAYLOAD), false);
        assertEquals(1, handled.size());
        assertArrayEquals(PAYLOAD, handled.get(0));
        assertEquals(1L, dispatcher.status().get("accepted"));
    }

    @Test
    void forgedCommandIsDropped() {
        byte[] otherKey = EventKeyFile.generateDeviceKey(DEVICE, true).key();
        dispatcher.arrived(MonitoringTopics.commands(DEVICE, "ota"), sealed(otherKey, CommandHandler.PAYLOAD_TYPE, PAYLOAD), false);
        assertEquals(0, handled.size());
        assertEquals(1, dropped("unauthenticated"));
        assertEquals(1, warnings.size());
    }

    @Test
    void tamperedCommandIsDropped() {
        String json = new String(sealed(key, CommandHandler.PAYLOAD_TYPE, PAYLOAD), StandardCharsets.UTF_8);
        byte[] altered = "{\"schema\":\"carapace.ota.command/v2\"}".getBytes(StandardCharsets.UTF_8);
        String other = java.util.Base64.getEncoder().encodeToString(altered);
        String tampered = json.replaceFirst("\"payload\":\"[^\"]*\"", "\"payload\":\"" + other + "\"");
        dispatcher.arrived(MonitoringTopics.commands(DEVICE, "ota"), tampered.getBytes(StandardCharsets.UTF_8), false);
        assertEquals(0, handled.size());
        assertEquals(1, dropped("unauthenticated"));
    }

    @Test
    void eventReplayedAsCommandIsDropped() {
        // a genuine event of this device, sent back to it on its command topic: the payload type tells them apart
        dispatcher.arrived(MonitoringTopics.commands(DEVICE, "ota"), sealed(key, EventCodec.PAYLOAD_TYPE, PAYLOAD), false);
        assertEquals(0, handled.size());
        assertEquals(1, dropped("payloadType"));
    }

    @Test
    void retainedOversizeMalformedAndUnhandledAreDropped() {
        byte[] good = sealed(key, CommandHandler.PAYLOAD_TYPE, PAYLOAD);
        dispatcher.arrived(MonitoringTopics.commands(DEVICE, "ota"), good, true);
        dispatcher.arrived(MonitoringTopics.commands(DEVICE, "ota"), new byte[CommandHandler.MAX_MESSAGE_BYTES + 1], false);
        dispatcher.arrived(MonitoringTopics.commands(DEVICE, "ota"), "{".getBytes(StandardCharsets.UTF_8), false);
        dispatcher.arrived(MonitoringTopics.commands(DEVICE, "reboot"), good, false);
        dispatcher.arrived(MonitoringTopics.commands("another-car", "ota"), good, false);
        assertEquals(0, handled.size());
        assertEquals(1, dropped("retained"));
        assertEquals(1, dropped("oversize"));
        assertEquals(1, dropped("malformed"));
        assertEquals(1, dropped("noHandler"));
        assertEquals(1, dropped("topic"));
        assertEquals(1, warnings.size(), "a flood is logged once, then counted: " + warnings);
        assertTrue(String.valueOf(dispatcher.status().get("lastDrop")).contains("another-car"));
    }

    private void send(String name) {
        dispatcher.arrived(MonitoringTopics.commands(DEVICE, name), sealed(key, CommandHandler.PAYLOAD_TYPE, PAYLOAD), false);
    }

    @Test
    void secondHandlerOfTheSameNameTakesOverOnlyByRankingAndTheFirstComesBack() {
        // regression: a second 'ota' handler replaced the first, and its removal left none
        List<byte[]> second = new ArrayList<>();
        List<byte[]> third = new ArrayList<>();
        CommandHandler secondHandler = second::add;
        CommandHandler thirdHandler = third::add;
        Map<String, Object> secondProperties = Map.of(CommandHandler.NAME, "ota", "service.id", 2L);
        Map<String, Object> thirdProperties = Map.of(CommandHandler.NAME, "ota", "service.id", 3L, "service.ranking", 10);
        dispatcher.add(secondProperties, secondHandler);
        send("ota");
        assertEquals(1, handled.size(), "same ranking: the older service (lower id) keeps the name");
        dispatcher.add(thirdProperties, thirdHandler);
        send("ota");
        assertEquals(1, third.size(), "a higher ranking takes over");
        dispatcher.remove(thirdProperties, thirdHandler);
        send("ota");
        assertEquals(2, handled.size(), "the first is restored when the higher-ranked one goes");
        dispatcher.remove(Map.of(CommandHandler.NAME, "ota", "service.id", 1L), handled::add); // another object: no effect
        send("ota");
        assertEquals(3, handled.size());
        assertEquals(0, second.size());
    }

    @Test
    void handlerWithoutAValidNameIsRefused() {
        // regression: a handler without the property was stored under "null"
        List<byte[]> other = new ArrayList<>();
        dispatcher.add(Map.of("service.id", 5L), other::add);
        dispatcher.add(Map.of(CommandHandler.NAME, 42, "service.id", 6L), other::add);
        dispatcher.add(Map.of(CommandHandler.NAME, "a/b", "service.id", 7L), other::add);
        assertEquals(3, warnings.size(), warnings.toString());
        assertEquals("[ota]", String.valueOf(dispatcher.status().get("handlers")));
        send("null");
        assertEquals(0, other.size());
        assertEquals(1, dropped("noHandler"));
    }

    @Test
    void controlCharactersInDropsAreEscaped() {
        // log injection: the parser's message quotes what the sender sent
        byte[] forged = "{\"a\":\"x\nWARN forged line\u001b[0m\"".getBytes(StandardCharsets.UTF_8);
        dispatcher.arrived(MonitoringTopics.commands(DEVICE, "ota"), forged, false);
        dispatcher.arrived("carapace/v1/" + DEVICE + "/commands/ota\r\nINFO forged", new byte[0], false);
        String lastDrop = String.valueOf(dispatcher.status().get("lastDrop"));
        assertTrue(lastDrop.contains("\\u000d\\u000a"), lastDrop);
        for (String text : warnings) {
            assertTrue(text.chars().noneMatch(c -> c < 0x20 || c == 0x7f), text);
        }
        assertTrue(lastDrop.chars().noneMatch(c -> c < 0x20 || c == 0x7f), lastDrop);
    }
}
