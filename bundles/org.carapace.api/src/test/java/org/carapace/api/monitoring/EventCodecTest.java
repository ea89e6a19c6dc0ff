package org.carapace.api.monitoring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.carapace.api.events.Severity;
import org.junit.jupiter.api.Test;

class EventCodecTest {

    static QualifiedEvent sample(long seq) {
        Map<String, Object> context = new LinkedHashMap<>();
        context.put("container", "web-1");
        context.put("pid", 4242);
        context.put("ratio", 0.5);
        context.put("exempt", false);
        context.put("layers", List.of("sha256:aa", "sha256:bb"));
        return new QualifiedEvent("dev-vehicle-0001", seq, "0d4c8f5e-2b1a-4c3d-9e8f-7a6b5c4d3e2f",
            Instant.parse("2026-05-01T10:00:00.123Z"), 81_234_567_890L, 0x8002, "GATE_REFUSED", "gate",
            "org.carapace.enforcement", Severity.HIGH, 1, "refused image \"web\"", context, false, null);
    }

    static String encoded(long seq) {
        return new String(EventCodec.encode(sample(seq)), StandardCharsets.UTF_8);
    }

    @Test
    void encodesTheDocumentedLayout() {
        String json = new String(EventCodec.encode(sample(42)), StandardCharsets.UTF_8);
        assertEquals("{\"v\":1,\"device\":\"dev-vehicle-0001\",\"seq\":42,\"boot\":\"0d4c8f5e-2b1a-4c3d-9e8f-7a6b5c4d3e2f\","
            + "\"time\":\"2026-05-01T10:00:00.123Z\",\"mono\":81234567890,\"id\":32770,\"type\":\"GATE_REFUSED\","
            + "\"category\":\"gate\",\"sensor\":\"org.carapace.enforcement\",\"severity\":\"HIGH\",\"count\":1,"
            + "\"message\":\"refused image \\\"web\\\"\",\"context\":{\"container\":\"web-1\",\"pid\":4242,\"ratio\":0.5,"
            + "\"exempt\":false,\"layers\":[\"sha256:aa\",\"sha256:bb\"]},\"truncated\":false}", json);
    }

    @Test
    void roundTripsWithAndWithoutIdsmFrames() throws MalformedEventException {
        QualifiedEvent plain = sample(7);
        assertEquals(plain, EventCodec.decode(EventCodec.encode(plain)));
        IdsmFrame frame = new IdsmFrame(1, 1, 3, 0x8002, 1, IdsmFrame.Timestamp.of(plain.time()), "{}".getBytes(StandardCharsets.UTF_8));
        QualifiedEvent withFrame = new QualifiedEvent(plain.deviceId(), 7, plain.bootId(), plain.time(), plain.monotonicNanos(),
            plain.eventId(), plain.type(), plain.category(), plain.sensor(), plain.severity(), 1, plain.message(),
            plain.context(), true, frame);
        QualifiedEvent decoded = EventCodec.decode(EventCodec.encode(withFrame));
        assertEquals(withFrame, decoded);
        assertEquals(frame, decoded.idsm());
    }

    @Test
    void awkwardStringsSurviveTheRoundTrip() throws MalformedEventException {
        QualifiedEvent ok = sample(1);
        String awkward = "quote \" backslash \\ slash / tab \t nul \u0000 bell \u0007 \u00e9 \u4e2d \ud83d\ude97 \u2028";
        QualifiedEvent event = new QualifiedEvent(ok.deviceId(), 1, ok.bootId(), ok.time(), 0, 1, "T", "gate", awkward, Severity.LOW, 1,
            awkward, Map.of(awkward, List.of(awkward, -1L, 1.5e-300, true)), false, null);
        byte[] json = EventCodec.encode(event);
        assertEquals(event, EventCodec.decode(json));
        // strict JSON: no raw control characters in the output
        for (byte b : json) {
            assertTrue(b < 0 || b >= 0x20, "raw control byte " + b);
        }
    }

    @Test
    void unknownMembersAreIgnoredForForwardCompatibility() throws MalformedEventException {
        String json = new String(EventCodec.encode(sample(3)), StandardCharsets.UTF_8);
        String extended = json.substring(0, json.length() - 1) + ",\"later\":{\"nested\":[1,2]}}";
        assertEquals(sample(3), EventCodec.decode(extended.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void duplicateSequenceMemberIsRefused() {
        // attack: a second "seq" must not silently override the first one a naive reader would check
        String json = encoded(3).replace("\"seq\":3,", "\"seq\":3,\"seq\":4,");
        MalformedEventException e = assertThrows(MalformedEventException.class,
            () -> EventCodec.decode(json.getBytes(StandardCharsets.UTF_8)));
        assertTrue(e.getMessage().contains("Duplicate"), e.getMessage());
    }

    @Test
    void otherModelVersionIsRefused() {
        String json = encoded(3).replace("\"v\":1", "\"v\":2");
        MalformedEventException e = assertThrows(MalformedEventException.class,
            () -> EventCodec.decode(json.getBytes(StandardCharsets.UTF_8)));
        assertEquals("v", e.element());
    }

    @Test
    void missingAndMistypedMembersAreNamed() {
        String json = new String(EventCodec.encode(sample(3)), StandardCharsets.UTF_8);
        MalformedEventException missing = assertThrows(MalformedEventException.class,
            () -> EventCodec.decode(json.replaceAll("\"boot\":\"[^\"]*\",", "").getBytes(StandardCharsets.UTF_8)));
        assertEquals("boot", missing.element());
        MalformedEventException mistyped = assertThrows(MalformedEventException.class,
            () -> EventCodec.decode(json.replace("\"seq\":3", "\"seq\":\"3\"").getBytes(StandardCharsets.UTF_8)));
        assertEquals("seq", mistyped.element());
        MalformedEventException zeroSeq = assertThrows(MalformedEventException.class,
            () -> EventCodec.decode(json.replace("\"seq\":3", "\"seq\":0").getBytes(StandardCharsets.UTF_8)));
        assertTrue(zeroSeq.getMessage().contains("seq must be at least 1"), zeroSeq.getMessage());
        MalformedEventException nested = assertThrows(MalformedEventException.class,
            () -> EventCodec.decode(json.replace("\"pid\":4242", "\"pid\":{\"a\":1}").getBytes(StandardCharsets.UTF_8)));
        assertEquals("context.pid", nested.element());
    }

    @Test
    void hugeAndDeeplyNestedDocumentsAreRefused() {
        byte[] huge = new byte[Json.MAX_DOCUMENT_BYTES + 1];
        assertThrows(MalformedEventException.class, () -> EventCodec.decode(huge));
        String deep = "{\"later\":" + "[".repeat(100) + "]".repeat(100) + "}";
        assertThrows(MalformedEventException.class, () -> EventCodec.decode(deep.getBytes(StandardCharsets.UTF_8)));
        assertThrows(MalformedEventException.class, () -> EventCodec.decode("[1]".getBytes(StandardCharsets.UTF_8)));
        assertThrows(MalformedEventException.class, () -> EventCodec.decode("{}{}".getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void modelBoundsAreEnforced() {
        QualifiedEvent ok = sample(1);
        assertThrows(IllegalArgumentException.class, () -> new QualifiedEvent("dev/1", 1, ok.bootId(), ok.time(), 0, 1,
            "T", "gate", "s", Severity.LOW, 1, "", Map.of(), false, null));
        assertThrows(IllegalArgumentException.class, () -> new QualifiedEvent("d", 1, ok.bootId(), ok.time(), 0, 0xFFFF,
            "T", "gate", "s", Severity.LOW, 1, "", Map.of(), false, null));
        assertThrows(IllegalArgumentException.class, () -> new QualifiedEvent("d", 1, ok.bootId(), ok.time(), 0, 1,
            "T", "gate", "s", Severity.LOW, 0, "", Map.of(), false, null));
        assertThrows(IllegalArgumentException.class, () -> new QualifiedEvent("d", 1, ok.bootId(), ok.time(), 0, 1,
            "T", "gate", "s", Severity.LOW, 1, "x".repeat(1025), Map.of(), false, null));
        assertThrows(IllegalArgumentException.class, () -> new QualifiedEvent("d", 1, ok.bootId(), ok.time(), 0, 1,
            "T", "gate", "s", Severity.LOW, 1, "", Map.of("m", Map.of()), false, null));
        assertThrows(IllegalArgumentException.class, () -> new QualifiedEvent("d", 1, ok.bootId(), ok.time(), 0, 1,
            "T", "gate", "s", Severity.LOW, 1, "", Map.of("nan", Double.NaN), false, null));
    }
}
