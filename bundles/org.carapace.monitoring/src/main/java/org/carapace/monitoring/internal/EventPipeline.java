package org.carapace.monitoring.internal;

import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.carapace.api.events.SecurityEvent;
import org.carapace.api.events.SecurityEventType;
import org.carapace.api.monitoring.EventAuthenticator;
import org.carapace.api.monitoring.EventCodec;
import org.carapace.api.monitoring.EventEnvelope;
import org.carapace.api.monitoring.IdsmFrame;
import org.carapace.api.monitoring.QualifiedEvent;

/**
 * From a reported security event to an authenticated record in the journal: bounds the reporter's data, runs the
 * filter chain, builds the {@link QualifiedEvent} with the number the journal assigns, encodes and authenticates it,
 * applies the device-wide limits to the exact bytes, and journals it. Reports what the journal had to drop, what
 * recovery found lost and what the limits dropped as {@code EVENTS_DROPPED} events, which skip the filters and limits
 * so that a flood never hides its own trace. Thread-safe.
 */
final class EventPipeline {

    /** The sensor name of events monitoring reports about itself. */
    static final String SENSOR = "org.carapace.monitoring";

    private static final Map<SecurityEventType, String> TOPICS = new java.util.EnumMap<>(SecurityEventType.class);

    static {
        for (SecurityEventType type : SecurityEventType.values()) {
            TOPICS.put(type, type.topic());
        }
    }

    private final String deviceId;
    private final String bootId;
    private final EventJournal journal;
    private final EventAuthenticator authenticator;
    private final FilterChain filters;
    private final ContextBounds bounds;
    private final IdsmSettings idsm;
    private final Clock wallClock;
    private final LongSupplier monotonicNanos;
    private final Consumer<String> warnings;
    private final AtomicLong malformed = new AtomicLong();
    private volatile String lastError;
    private long lastWarningNanos;
    private long suppressedWarnings;

    EventPipeline(String deviceId, String bootId, EventJournal journal, EventAuthenticator authenticator,
                  FilterChain filters, ContextBounds bounds, IdsmSettings idsm, Clock wallClock,
                  LongSupplier monotonicNanos, Consumer<String> warnings) {
        this.deviceId = deviceId;
        this.bootId = bootId;
        this.journal = journal;
        this.authenticator = authenticator;
        this.filters = filters;
        this.bounds = bounds;
        this.idsm = idsm;
        this.wallClock = wallClock;
        this.monotonicNanos = monotonicNanos;
        this.warnings = warnings;
    }

    /** Events that could not be read as security events (unknown type, wrong topic), counted. */
    long malformed() {
        return malformed.get();
    }

    String lastError() {
        return lastError;
    }

    FilterChain filters() {
        return filters;
    }

    /** Takes one event as EventAdmin delivered it. */
    void submit(String topic, Map<String, Object> properties) {
        Occurrence occurrence = parse(topic, properties);
        if (occurrence == null) {
            malformed.incrementAndGet();
            return;
        }
        for (FilterChain.Forward forward : filters.accept(occurrence)) {
            journal(forward, true);
        }
    }

    /** Periodic work: closes due aggregation windows and reports what the device-wide limits dropped. */
    void tick() {
        for (FilterChain.Forward forward : filters.expire()) {
            journal(forward, true);
        }
        for (FilterChain.LimitSummary summary : filters.takeLimitSummaries()) {
            Map<String, Object> context = new LinkedHashMap<>();
            context.put("reason", "rate-limit");
            context.put("events", summary.total());
            context.put("rateLimited", summary.rateLimited());
            context.put("trafficLimited", summary.trafficLimited());
            context.put("intervalMillis", summary.intervalMillis());
            List<Object> byType = new ArrayList<>();
            summary.byType().forEach((type, n) -> byType.add(type + "=" + n));
            context.put("byType", byType);
            journalInternal("device-wide limits dropped " + summary.total() + " events", context);
        }
    }

    /** Journals what is still held in aggregation windows (before the journal closes). */
    void drain() {
        for (FilterChain.Forward forward : filters.drain()) {
            journal(forward, false);
        }
    }

    /** Reports ranges recovery found lost. */
    void reportLost(List<EventJournal.Drop> lost) {
        for (EventJournal.Drop drop : lost) {
            journalDrop(drop);
        }
    }

    Occurrence parse(String topic, Map<String, Object> properties) {
        if (topic == null || !topic.startsWith(SecurityEvent.TOPIC_ROOT + "/")) {
            return null;
        }
        SecurityEventType type;
        Object name = properties.get(SecurityEvent.PROP_TYPE);
        try {
            type = SecurityEventType.valueOf(name instanceof String ? (String) name : topic.substring(topic.lastIndexOf('/') + 1));
        } catch (IllegalArgumentException e) {
            return null;
        }
        Object id = properties.get(SecurityEvent.PROP_EVENT_ID);
        if (!TOPICS.get(type).equals(topic) || (id != null && !(id instanceof Integer && (Integer) id == type.id()))) {
            return null;
        }
        Object sensorValue = properties.get(SecurityEvent.PROP_SENSOR);
        String sensor = sensorValue instanceof String && !((String) sensorValue).isBlank() ? (String) sensorValue : "unknown";
        boolean truncated = false;
        if (sensor.length() > QualifiedEvent.MAX_SENSOR_CHARS) {
            sensor = sensor.substring(0, QualifiedEvent.MAX_SENSOR_CHARS);
            truncated = true;
        }
        Object countValue = properties.get(SecurityEvent.PROP_COUNT);
        long count = countValue instanceof Number ? ((Number) countValue).longValue() : 1;
        if (count < 1) {
            count = 1;
            truncated = true;
        } else if (count > QualifiedEvent.MAX_COUNT) {
            count = QualifiedEvent.MAX_COUNT;
            truncated = true;
        }
        ContextBounds.Bounded<String> message = bounds.message(properties.get(SecurityEvent.PROP_MESSAGE));
        ContextBounds.Bounded<Map<String, Object>> context = bounds.context(properties.get(SecurityEvent.PROP_CONTEXT));
        Instant now = wallClock.instant();
        Object stamp = properties.get(SecurityEvent.PROP_TIMESTAMP);
        // the reporter's observation time when it gives a plausible one (the IdsM frame holds 32-bit seconds)
        Instant time = stamp instanceof Long && (Long) stamp > 0 && (Long) stamp < 0xFFFF_FFFFL * 1000
            ? Instant.ofEpochMilli((Long) stamp) : now;
        return new Occurrence(type, sensor, message.value(), (int) count, context.value(),
            truncated || message.truncated() || context.truncated(), time, monotonicNanos.getAsLong());
    }

    private void journalInternal(String message, Map<String, Object> context) {
        FilterChain.Forward forward = internal(message, context);
        if (forward != null) {
            journal(forward, false);
        }
    }

    /** An event about monitoring itself: skips the per-type filters and the limits, obeys only reporting mode OFF. */
    private FilterChain.Forward internal(String message, Map<String, Object> context) {
        Occurrence occurrence = new Occurrence(SecurityEventType.EVENTS_DROPPED, SENSOR, message, 1, context, false,
            wallClock.instant(), monotonicNanos.getAsLong());
        FilterRule rule = filters.ruleFor(SecurityEventType.EVENTS_DROPPED);
        return rule.mode() == ReportingMode.OFF ? null : new FilterChain.Forward(occurrence, rule, true, 1);
    }

    private FilterChain.Forward dropped(EventJournal.Drop drop) {
        Map<String, Object> context = new LinkedHashMap<>();
        // firstSeq..lastSeq covers the whole run, so the last surviving report explains the whole gap even when
        // earlier reports of the same outage were dropped in turn; events counts this drop only
        context.put("reason", drop.reason());
        context.put("events", drop.events());
        context.put("firstSeq", drop.runFirstSeq());
        context.put("lastSeq", drop.lastSeq());
        return internal("dropped " + drop.events() + " events (" + drop.reason() + "); " + drop.runFirstSeq() + ".." + drop.lastSeq()
            + " are gone", context);
    }

    private void journalDrop(EventJournal.Drop drop) {
        FilterChain.Forward forward = dropped(drop);
        if (forward != null) {
            journal(forward, false);
        }
    }

    private void journal(FilterChain.Forward forward, boolean applyLimits) {
        Deque<EventJournal.Drop> drops = new ArrayDeque<>();
        append(forward, applyLimits, drops);
        // making room may drop segments; each drop is itself reported (and may, rarely, drop again)
        while (!drops.isEmpty()) {
            FilterChain.Forward report = dropped(drops.poll());
            if (report != null) {
                append(report, false, drops);
            }
        }
    }

    private void append(FilterChain.Forward forward, boolean applyLimits, Deque<EventJournal.Drop> drops) {
        Occurrence o = forward.occurrence();
        try {
            EventJournal.Appended appended = journal.append(o.time().toEpochMilli(), o.type().category(), seq -> {
                EventEnvelope envelope = authenticator.seal(EventCodec.PAYLOAD_TYPE, EventCodec.encode(build(forward, seq)));
                return applyLimits && !filters.admit(forward, SealedEvent.wireLength(envelope)) ? null : SealedEvent.encode(envelope);
            });
            if (appended != null) {
                filters.countForwarded(o.type());
                drops.addAll(appended.drops());
            }
        } catch (IOException | RuntimeException e) {
            filters.countError(o.type());
            String message = "could not journal a " + o.type() + " event: " + e;
            lastError = message;
            warn(message);
        }
    }

    /** Logs at most one warning per 10 s (a full disk fails every event); the errors are counted regardless. */
    private void warn(String message) {
        long now = monotonicNanos.getAsLong();
        synchronized (this) {
            if (lastWarningNanos != 0 && now - lastWarningNanos < 10_000_000_000L) {
                suppressedWarnings++;
                return;
            }
            if (suppressedWarnings > 0) {
                message += " (" + suppressedWarnings + " similar warnings suppressed)";
            }
            lastWarningNanos = now;
            suppressedWarnings = 0;
        }
        warnings.accept(message);
    }

    QualifiedEvent build(FilterChain.Forward forward, long seq) {
        Occurrence o = forward.occurrence();
        Map<String, Object> context = forward.brief() ? Map.of() : o.context();
        IdsmFrame frame = null;
        if (idsm != null) {
            frame = new IdsmFrame(idsm.protocolVersion(), idsm.idsmInstanceId(), idsm.sensorInstanceId(o.sensor()),
                o.type().id(), o.count(), idsm.timestamps() ? IdsmFrame.Timestamp.of(o.time()) : null,
                context.isEmpty() ? null : EventCodec.encodeContext(context));
        }
        return new QualifiedEvent(deviceId, seq, bootId, o.time(), o.monotonicNanos(), o.type().id(), o.type().name(),
            o.type().category(), o.sensor(), forward.rule().effectiveSeverity(), o.count(), o.message(), context,
            o.truncated(), frame);
    }
}
