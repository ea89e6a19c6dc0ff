package org.carapace.cli.events;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.carapace.api.events.Severity;
import org.carapace.api.monitoring.EventCodec;
import org.carapace.api.monitoring.EventEnvelope;
import org.carapace.api.monitoring.EventKeyFile;
import org.carapace.api.monitoring.HmacEventKeys;
import org.carapace.api.monitoring.QualifiedEvent;
import org.carapace.api.monitoring.SequenceTracker;
import org.carapace.api.monitoring.EventStreamChecker;
import org.carapace.api.monitoring.EventStreamChecker.Finding;
import org.carapace.api.monitoring.EventStreamChecker.Kind;
import org.junit.jupiter.api.Test;

class EventStreamCheckerTest {

    static final EventKeyFile MASTER = EventKeyFile.generateMasterKey();

    static QualifiedEvent event(String device, long seq, String type, String category, Map<String, Object> context) {
        return new QualifiedEvent(device, seq, "b00t", Instant.parse("2026-05-01T10:00:00Z"), 1000 + seq, 0x8002, type, category,
            "org.carapace.enforcement", Severity.HIGH, 1, "m", context, false, null);
    }

    static byte[] sealed(QualifiedEvent event) {
        byte[] key = HmacEventKeys.deriveDeviceKey(MASTER.key(), event.deviceId());
        return HmacEventKeys.authenticator(key).seal(EventCodec.PAYLOAD_TYPE, EventCodec.encode(event)).toJson();
    }

    static String topic(String device, String category) {
        return "carapace/v1/" + device + "/events/" + category;
    }

    private final EventStreamChecker checker = new EventStreamChecker(MASTER.verifier(), new SequenceTracker(1024), true);

    private Finding only(String topic, byte[] payload) {
        List<Finding> findings = checker.check(topic, payload);
        assertEquals(1, findings.size(), findings.toString());
        return findings.get(0);
    }

    @Test
    void genuineEventIsAccepted() {
        Finding finding = only(topic("car-1", "gate"), sealed(event("car-1", 1, "GATE_REFUSED", "gate", Map.of())));
        assertEquals(Kind.EVENT, finding.kind());
        assertEquals(1, finding.event().sequence());
        assertEquals("GATE_REFUSED", finding.eventJson().get("type").asText());
    }

    @Test
    void redeliveryIsADuplicateNotASecondEvent() {
        byte[] payload = sealed(event("car-1", 1, "GATE_REFUSED", "gate", Map.of()));
        only(topic("car-1", "gate"), payload);
        assertEquals(Kind.DUPLICATE, only(topic("car-1", "gate"), payload).kind());
        assertEquals(1, checker.accepted());
        assertEquals(1, checker.duplicates());
    }

    @Test
    void forgedEventIsRejected() {
        // attack: an event altered on the way (severity lowered), authenticator kept
        byte[] genuine = sealed(event("car-1", 1, "GATE_REFUSED", "gate", Map.of()));
        String json = new String(genuine, StandardCharsets.UTF_8);
        EventEnvelope envelope;
        try {
            envelope = EventEnvelope.fromJson(genuine);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        String altered = new String(envelope.payload(), StandardCharsets.UTF_8).replace("\"HIGH\"", "\"INFO\"");
        String forged = json.replace(java.util.Base64.getEncoder().encodeToString(envelope.payload()),
            java.util.Base64.getEncoder().encodeToString(altered.getBytes(StandardCharsets.UTF_8)));
        Finding finding = only(topic("car-1", "gate"), forged.getBytes(StandardCharsets.UTF_8));
        assertEquals(Kind.REJECTED, finding.kind());
        assertEquals("forged", finding.reason());
    }

    @Test
    void anotherDevicesEventUnderThisDevicesTopicIsRejected() {
        // attack: car-2's genuine event replayed as car-1's
        Finding finding = only(topic("car-1", "gate"), sealed(event("car-2", 1, "GATE_REFUSED", "gate", Map.of())));
        assertEquals(Kind.REJECTED, finding.kind());
        assertEquals("unknown-key", finding.reason());
    }

    @Test
    void eventRepublishedUnderAnotherCategoryIsRejected() {
        // attack: a genuine refusal re-published on the platform topic to hide it from gate dashboards
        Finding finding = only(topic("car-1", "platform"), sealed(event("car-1", 1, "GATE_REFUSED", "gate", Map.of())));
        assertEquals(Kind.REJECTED, finding.kind());
        assertEquals("misrouted", finding.reason());
    }

    @Test
    void reusedNumberWithOtherContentIsRejected() {
        only(topic("car-1", "gate"), sealed(event("car-1", 1, "GATE_REFUSED", "gate", Map.of())));
        Finding finding = only(topic("car-1", "gate"), sealed(event("car-1", 1, "GATE_ALLOWED", "gate", Map.of())));
        assertEquals(Kind.REJECTED, finding.kind());
        assertEquals("conflict", finding.reason());
    }

    @Test
    void gapIsReportedAndExplainedByAnEventsDroppedReport() {
        only(topic("car-1", "gate"), sealed(event("car-1", 1, "GATE_REFUSED", "gate", Map.of())));
        List<Finding> findings = checker.check(topic("car-1", "monitoring"),
            sealed(event("car-1", 9, "EVENTS_DROPPED", "monitoring", Map.of("firstSeq", 2L, "lastSeq", 8L, "reason", "queue-full"))));
        assertEquals(Kind.GAP, findings.get(0).kind());
        assertEquals(2, findings.get(0).gapFrom());
        assertEquals(8, findings.get(0).gapTo());
        assertEquals(Kind.EVENT, findings.get(1).kind());
        assertTrue(checker.unexplainedGaps().isEmpty());
        assertEquals(1, checker.explainedGaps().size());
        assertEquals(Kind.GAP, checker.check(topic("car-1", "gate"), sealed(event("car-1", 12, "GATE_REFUSED", "gate",
            Map.of()))).get(0).kind());
        assertEquals(List.of(new SequenceTracker.Gap("car-1", 10, 11)), checker.unexplainedGaps());
    }

    @Test
    void garbageAndForeignTopicsAreRejected() {
        assertEquals("malformed", only(topic("car-1", "gate"), "{not json".getBytes(StandardCharsets.UTF_8)).reason());
        assertEquals("misrouted", only("carapace/v1/car-1/other", new byte[] {1}).reason());
        assertEquals(2, checker.rejected());
    }

    @Test
    void statusIsReported() {
        Finding finding = only("carapace/v1/car-1/status", "{\"v\":1,\"state\":\"online\"}".getBytes(StandardCharsets.UTF_8));
        assertEquals(Kind.STATUS, finding.kind());
        assertEquals("online", finding.status().get("state").asText());
    }
}
