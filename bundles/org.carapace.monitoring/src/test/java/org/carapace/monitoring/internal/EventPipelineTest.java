package org.carapace.monitoring.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.carapace.api.events.SecurityEvent;
import org.carapace.api.events.SecurityEventType;
import org.carapace.api.events.Severity;
import org.carapace.api.monitoring.EventCodec;
import org.carapace.api.monitoring.EventEnvelope;
import org.carapace.api.monitoring.EventKeyFile;
import org.carapace.api.monitoring.EventVerifier;
import org.carapace.api.monitoring.HmacEventKeys;
import org.carapace.api.monitoring.IdsmFrame;
import org.carapace.api.monitoring.QualifiedEvent;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EventPipelineTest {

    static final String BOOT = "0d4c8f5e-2b1a-4c3d-9e8f-7a6b5c4d3e2f";

    @TempDir
    Path temp;

    private final MutableClock clock = new MutableClock(Instant.parse("2026-05-01T10:00:00Z"));
    private final AtomicLong mono = new AtomicLong(5_000_000_000L);
    private final EventKeyFile key = EventKeyFile.generateDeviceKey("car-7", false);
    private final List<String> warnings = new ArrayList<>();
    private EventJournal journal;

    @AfterEach
    void close() throws Exception {
        if (journal != null) {
            journal.close();
        }
    }

    private EventPipeline pipeline(EventJournal.Limits limits, DeviceLimits deviceLimits, IdsmSettings idsm, FilterRule... rules)
        throws Exception {
        journal = EventJournal.open(temp.resolve("events"), limits);
        FilterChain filters = new FilterChain(clock, deviceLimits);
        Map<SecurityEventType, FilterRule> map = new java.util.EnumMap<>(SecurityEventType.class);
        for (FilterRule rule : rules) {
            map.put(rule.type(), rule);
        }
        filters.setRules(map);
        return new EventPipeline("car-7", BOOT, journal, HmacEventKeys.authenticator(key.key()), filters,
            new ContextBounds(64, 4, 32, 3), idsm, clock, mono::get, warnings::add);
    }

    private EventPipeline pipeline(FilterRule... rules) throws Exception {
        return pipeline(new EventJournal.Limits(1 << 20, 1 << 18, 8192, 5), DeviceLimits.none(), null, rules);
    }

    static Map<String, Object> properties(SecurityEventType type, String message, Map<String, Object> context) {
        return new LinkedHashMap<>(SecurityEvent.of(type, "org.carapace.enforcement", message, context).toProperties(1_777_000_000_000L));
    }

    /** Every journalled event, verified with the device key and decoded. */
    List<QualifiedEvent> journalled() throws Exception {
        EventVerifier verifier = key.verifier();
        List<QualifiedEvent> events = new ArrayList<>();
        long last = journal.stats().nextSeq() - 1;
        if (last > 0) {
            assertTrue(journal.awaitDurable(last, 5_000));
            assertTrue(journal.awaitRecords(last - 1, 5_000));
        }
        for (JournalRecord record : EventJournalTest.readAll(journal, 1)) {
            // what the publisher sends: the envelope rebuilt from the journal's sealed form, as JSON
            EventEnvelope envelope = EventEnvelope.fromJson(SealedEvent.decode(record.payload()).toJson());
            verifier.verify("car-7", envelope);
            QualifiedEvent event = EventCodec.decode(envelope.payload());
            assertEquals(record.sequence(), event.sequence());
            assertEquals(event.category(), record.category());
            events.add(event);
        }
        return events;
    }

    @Test
    void securityEventBecomesAnAuthenticatedQualifiedEvent() throws Exception {
        EventPipeline pipeline = pipeline(new FilterRule(SecurityEventType.GATE_REFUSED, ReportingMode.DETAILED, Severity.CRITICAL,
            1, 0, 0));
        pipeline.submit(SecurityEventType.GATE_REFUSED.topic(), properties(SecurityEventType.GATE_REFUSED, "refused web",
            Map.of("container", "web")));
        QualifiedEvent event = journalled().get(0);
        assertEquals("car-7", event.deviceId());
        assertEquals(1, event.sequence());
        assertEquals(BOOT, event.bootId());
        assertEquals(Instant.ofEpochMilli(1_777_000_000_000L), event.time(), "the reporter's observation time");
        assertEquals(5_000_000_000L, event.monotonicNanos());
        assertEquals(0x8002, event.eventId());
        assertEquals("GATE_REFUSED", event.type());
        assertEquals("gate", event.category());
        assertEquals("org.carapace.enforcement", event.sensor());
        assertEquals(Severity.CRITICAL, event.severity(), "severity is configuration");
        assertEquals(Map.of("container", "web"), event.context());
        assertFalse(event.truncated());
        assertNull(event.idsm());
        assertEquals(1L, pipeline.filters().counters().get("GATE_REFUSED").get("forwarded"));
    }

    @Test
    void oversizedReporterDataIsBoundedAndMarked() throws Exception {
        EventPipeline pipeline = pipeline();
        Map<String, Object> context = new LinkedHashMap<>();
        context.put("path", "/".repeat(100));
        context.put("nested", Map.of("a", 1));
        context.put("list", List.of(1, 2, 3, 4, 5));
        context.put("n", 7);
        context.put("fifth", "dropped: over maxEntries");
        pipeline.submit(SecurityEventType.EXEC_DENIED.topic(), properties(SecurityEventType.EXEC_DENIED, "x".repeat(100)
            + "\nforged line", context));
        QualifiedEvent event = journalled().get(0);
        assertTrue(event.truncated());
        assertEquals(64, event.message().length());
        assertEquals(32, ((String) event.context().get("path")).length());
        assertEquals("{a=1}", event.context().get("nested"));
        assertEquals(List.of(1L, 2L, 3L), event.context().get("list"));
        assertEquals(4, event.context().size());
    }

    @Test
    void messageControlCharactersCannotForgeLogLines() throws Exception {
        // attack: a reporter-supplied message with a newline would fake a second line in a human log
        EventPipeline pipeline = pipeline();
        pipeline.submit(SecurityEventType.GATE_REFUSED.topic(),
            properties(SecurityEventType.GATE_REFUSED, "ok\nGATE_ALLOWED evil\r\u009b2J\tend", Map.of()));
        assertEquals("ok GATE_ALLOWED evil  2J\tend", journalled().get(0).message());
    }

    @Test
    void briefModeOmitsContext() throws Exception {
        EventPipeline pipeline = pipeline(new FilterRule(SecurityEventType.GATE_ALLOWED, ReportingMode.BRIEF, null, 1, 0, 0));
        pipeline.submit(SecurityEventType.GATE_ALLOWED.topic(), properties(SecurityEventType.GATE_ALLOWED, "allowed", Map.of("image",
            "x")));
        assertEquals(Map.of(), journalled().get(0).context());
    }

    @Test
    void idsmFramesMatchTheEvent() throws Exception {
        EventPipeline pipeline = pipeline(new EventJournal.Limits(1 << 20, 1 << 18, 8192, 5), DeviceLimits.none(),
            new IdsmSettings(1, 1, Map.of("org.carapace.enforcement", 5), true));
        pipeline.submit(SecurityEventType.GATE_REFUSED.topic(), properties(SecurityEventType.GATE_REFUSED, "r", Map.of("c", "web")));
        QualifiedEvent event = journalled().get(0);
        IdsmFrame frame = event.idsm();
        assertNotNull(frame);
        assertEquals(1, frame.idsmInstanceId());
        assertEquals(5, frame.sensorInstanceId());
        assertEquals(0x8002, frame.eventId());
        assertEquals(IdsmFrame.Timestamp.of(event.time()), frame.timestamp());
        assertEquals("{\"c\":\"web\"}", new String(frame.contextData(), java.nio.charset.StandardCharsets.UTF_8));
        // version 1, flags context+timestamp, IdsM 1 << 6 | sensor 5, event 0x8002, count 1
        assertEquals("1300458002000100", java.util.HexFormat.of().formatHex(frame.encode(), 0, 8));
    }

    @Test
    void eventsThatAreNotSecurityEventsAreCountedNotJournalled() throws Exception {
        EventPipeline pipeline = pipeline();
        pipeline.submit("org/carapace/security/gate/NO_SUCH_TYPE", Map.of());
        pipeline.submit("org/osgi/framework/BundleEvent/STARTED", Map.of());
        // attack: a type posted on another category's topic
        pipeline.submit("org/carapace/security/platform/GATE_REFUSED", properties(SecurityEventType.GATE_REFUSED, "x", Map.of()));
        assertEquals(3, pipeline.malformed());
        assertTrue(journalled().isEmpty());
    }

    @Test
    void floodIsRateLimitedAndTheDropReportedAsAnEvent() throws Exception {
        EventPipeline pipeline = pipeline(new EventJournal.Limits(1 << 20, 1 << 18, 8192, 5), new DeviceLimits(10, 0, 1000, true), null);
        for (int i = 0; i < 100; i++) {
            pipeline.submit(SecurityEventType.EXEC_DENIED.topic(), properties(SecurityEventType.EXEC_DENIED, "denied", Map.of()));
        }
        clock.advanceMillis(1000);
        pipeline.tick();
        List<QualifiedEvent> events = journalled();
        assertEquals(11, events.size());
        QualifiedEvent summary = events.get(10);
        assertEquals("EVENTS_DROPPED", summary.type());
        assertEquals(EventPipeline.SENSOR, summary.sensor());
        assertEquals("rate-limit", summary.context().get("reason"));
        assertEquals(90L, summary.context().get("events"));
        assertEquals(List.of("EXEC_DENIED=90"), summary.context().get("byType"));
        for (int i = 0; i < 11; i++) {
            assertEquals(i + 1, events.get(i).sequence(), "gap-free numbering: limited events consume no number");
        }
    }

    @Test
    void fullJournalReportsTheDroppedRangeSoEveryNumberIsAccountedFor() throws Exception {
        EventPipeline pipeline = pipeline(new EventJournal.Limits(32 * 1024, 8 * 1024, 2048, 5), DeviceLimits.none(), null);
        for (int i = 0; i < 200; i++) {
            pipeline.submit(SecurityEventType.GATE_ALLOWED.topic(), properties(SecurityEventType.GATE_ALLOWED, "allowed", Map.of("i", i)));
        }
        List<QualifiedEvent> kept = journalled();
        List<QualifiedEvent> reports = kept.stream().filter(e -> e.type().equals("EVENTS_DROPPED")).toList();
        assertFalse(reports.isEmpty());
        assertEquals("queue-full", reports.get(0).context().get("reason"));
        // nothing was delivered: the last report's range starts at 1, even if earlier reports were dropped too
        assertEquals(1L, reports.get(reports.size() - 1).context().get("firstSeq"));
        java.util.BitSet accounted = new java.util.BitSet();
        kept.forEach(e -> accounted.set((int) e.sequence()));
        reports.forEach(e -> accounted.set((int) (long) (Long) e.context().get("firstSeq"),
            (int) (long) (Long) e.context().get("lastSeq") + 1));
        long total = journal.stats().nextSeq() - 1;
        assertEquals(total, accounted.cardinality());
        assertEquals(1, accounted.nextSetBit(0));
        assertEquals(total + 1, accounted.nextClearBit(1));
    }

    @Test
    void drainReportsWhatIsStillAggregated() throws Exception {
        EventPipeline pipeline = pipeline(new FilterRule(SecurityEventType.EXEC_DENIED, ReportingMode.DETAILED, null, 1, 60_000, 0));
        for (int i = 0; i < 5; i++) {
            pipeline.submit(SecurityEventType.EXEC_DENIED.topic(), properties(SecurityEventType.EXEC_DENIED, "denied", Map.of()));
        }
        assertTrue(journalled().isEmpty());
        pipeline.drain();
        List<QualifiedEvent> events = journalled();
        assertEquals(1, events.size());
        assertEquals(5, events.get(0).count());
    }

    @Test
    void lostRangesFromRecoveryAreReported() throws Exception {
        EventPipeline pipeline = pipeline();
        pipeline.reportLost(List.of(new EventJournal.Drop(4, 9, "journal-damaged")));
        QualifiedEvent event = journalled().get(0);
        assertEquals("EVENTS_DROPPED", event.type());
        assertEquals("journal-damaged", event.context().get("reason"));
        assertEquals(6L, event.context().get("events"));
    }
}
