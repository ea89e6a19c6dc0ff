package org.carapace.api.monitoring;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The back end's checks on each MQTT message, independent of MQTT: the topic names a device and category, the
 * envelope's authenticator verifies with that device's key, the payload is a valid event of that device and
 * category, and its sequence number is new ({@code docs/events.md} §4, "What the back end checks"). Produces one or
 * more {@link Finding}s per message; never throws for bad input (a rejected message is a {@link Kind#REJECTED}
 * finding with its reason). Shared by {@code carapace events subscribe} and the dashboard's ingest. Thread-safe.
 */
public final class EventStreamChecker {

    /** What the checker concluded about a message. */
    public enum Kind {
        /** A new, verified event. */
        EVENT,
        /** Numbers missing before the event that follows. */
        GAP,
        /** A verified event seen before (QoS 1 redelivery or replay), dropped. */
        DUPLICATE,
        /** Not accepted: forged, unknown key, malformed, misrouted, conflicting or stale. */
        REJECTED,
        /** A device's retained online/offline status (not authenticated). */
        STATUS
    }

    /**
     * One conclusion.
     *
     * @param kind what it is
     * @param deviceId the device the topic names ({@code null} when the topic is not a monitoring topic)
     * @param topic the MQTT topic
     * @param event the verified event for EVENT and DUPLICATE
     * @param eventJson the event's JSON object for EVENT
     * @param late for EVENT: it arrived after a higher number (out of order)
     * @param gapFrom first missing number for GAP
     * @param gapTo last missing number for GAP
     * @param reason for REJECTED: forged, unknown-key, malformed, misrouted, conflict, stale
     * @param detail a human explanation
     * @param status the status JSON for STATUS
     */
    public record Finding(Kind kind, String deviceId, String topic, QualifiedEvent event, JsonNode eventJson, boolean late,
                   long gapFrom, long gapTo, String reason, String detail, JsonNode status) {
    }

    private final EventVerifier verifier;
    private final SequenceTracker tracker;
    private final boolean reportGaps;
    private final ObjectMapper mapper = new ObjectMapper();
    private final Map<String, List<long[]>> dropped = new TreeMap<>();
    private long accepted;
    private long duplicates;
    private long rejected;

    /**
     * A checker.
     *
     * @param verifier verifies each envelope with the key of the topic's device
     * @param tracker the anti-replay window of sequence numbers (its state is the checker's memory)
     * @param reportGaps whether to report {@link Kind#GAP}s (off when a shared subscription sees part of a stream)
     */
    public EventStreamChecker(EventVerifier verifier, SequenceTracker tracker, boolean reportGaps) {
        this.verifier = verifier;
        this.tracker = tracker;
        this.reportGaps = reportGaps;
    }

    /**
     * Checks one message.
     *
     * @param topic the MQTT topic it arrived on
     * @param payload its payload
     * @return the findings, in order: at most one GAP before the EVENT it precedes, else exactly one finding
     */
    public synchronized List<Finding> check(String topic, byte[] payload) {
        MonitoringTopics.Parsed parsed;
        try {
            parsed = MonitoringTopics.parse(topic);
        } catch (IllegalArgumentException e) {
            return List.of(reject(null, topic, "misrouted", e.getMessage()));
        }
        if (parsed.isStatus()) {
            try {
                return List.of(new Finding(Kind.STATUS, parsed.deviceId(), topic, null, null, false, 0, 0, null, null,
                    mapper.readTree(payload)));
            } catch (IOException e) {
                return List.of(reject(parsed.deviceId(), topic, "malformed", "status is not JSON"));
            }
        }
        String device = parsed.deviceId();
        EventEnvelope envelope;
        try {
            envelope = EventEnvelope.fromJson(payload);
        } catch (MalformedEventException e) {
            return List.of(reject(device, topic, "malformed", e.getMessage()));
        }
        if (!EventCodec.PAYLOAD_TYPE.equals(envelope.payloadType())) {
            return List.of(reject(device, topic, "malformed", "payload type " + envelope.payloadType() + " is not "
                + EventCodec.PAYLOAD_TYPE));
        }
        try {
            verifier.verify(device, envelope);
        } catch (InvalidAuthenticatorException e) {
            return List.of(reject(device, topic, "forged", e.getMessage()));
        } catch (EventAuthenticationException e) {
            return List.of(reject(device, topic, "unknown-key", e.getMessage()));
        }
        QualifiedEvent event;
        JsonNode json;
        try {
            event = EventCodec.decode(envelope.payload());
            json = mapper.readTree(envelope.payload());
        } catch (MalformedEventException | IOException e) {
            return List.of(reject(device, topic, "malformed", e.getMessage()));
        }
        if (!event.deviceId().equals(device) || !event.category().equals(parsed.category())) {
            // attack: a genuine event of this device re-published under another category (or a key shared by devices)
            return List.of(reject(device, topic, "misrouted", "event of " + event.deviceId() + "/" + event.category()
                + " published on " + topic));
        }
        SequenceTracker.Observation observation = tracker.observe(device, event.sequence(), envelope.signature());
        switch (observation.verdict()) {
            case DUPLICATE:
                duplicates++;
                return List.of(new Finding(Kind.DUPLICATE, device, topic, event, null, false, 0, 0, null,
                    "#" + event.sequence() + " seen before", null));
            case CONFLICT:
                return List.of(reject(device, topic, "conflict", "#" + event.sequence()
                    + " seen before with other content: the number was reused or the key abused"));
            case STALE:
                return List.of(reject(device, topic, "stale", "#" + event.sequence() + " is older than the replay window"));
            default:
                break;
        }
        accepted++;
        if ("EVENTS_DROPPED".equals(event.type()) && event.context().get("firstSeq") instanceof Long first
            && event.context().get("lastSeq") instanceof Long last) {
            dropped.computeIfAbsent(device, d -> new ArrayList<>()).add(new long[] {first, last});
        }
        List<Finding> findings = new ArrayList<>(2);
        if (observation.verdict() == SequenceTracker.Verdict.AFTER_GAP && reportGaps) {
            findings.add(new Finding(Kind.GAP, device, topic, null, null, false, observation.gapFrom(), observation.gapTo(), null,
                (observation.gapTo() - observation.gapFrom() + 1) + " events missing", null));
        }
        findings.add(new Finding(Kind.EVENT, device, topic, event, json,
            observation.verdict() == SequenceTracker.Verdict.LATE, 0, 0, null, null, null));
        return findings;
    }

    private Finding reject(String device, String topic, String reason, String detail) {
        rejected++;
        return new Finding(Kind.REJECTED, device, topic, null, null, false, 0, 0, reason, detail, null);
    }

    /** New events accepted so far. */
    public synchronized long accepted() {
        return accepted;
    }

    /** Duplicates dropped so far. */
    public synchronized long duplicates() {
        return duplicates;
    }

    /** Messages rejected so far. */
    public synchronized long rejected() {
        return rejected;
    }

    /** Open gaps that no EVENTS_DROPPED report of the device covers. */
    public synchronized List<SequenceTracker.Gap> unexplainedGaps() {
        List<SequenceTracker.Gap> open = new ArrayList<>();
        for (SequenceTracker.Gap gap : tracker.openGaps()) {
            if (!covered(gap)) {
                open.add(gap);
            }
        }
        return open;
    }

    /** Open gaps that EVENTS_DROPPED reports explain (the device dropped them, e.g. its journal was full). */
    public synchronized List<SequenceTracker.Gap> explainedGaps() {
        return tracker.openGaps().stream().filter(this::covered).toList();
    }

    private boolean covered(SequenceTracker.Gap gap) {
        for (long[] range : dropped.getOrDefault(gap.deviceId(), List.of())) {
            if (range[0] <= gap.from() && gap.to() <= range[1]) {
                return true;
            }
        }
        return false;
    }

    /** Counters, unexplained gaps and each device's highest number, as JSON-ready values. */
    public synchronized Map<String, Object> summary() {
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("kind", "summary");
        summary.put("accepted", accepted);
        summary.put("duplicates", duplicates);
        summary.put("rejected", rejected);
        List<Object> gaps = new ArrayList<>();
        for (SequenceTracker.Gap gap : unexplainedGaps()) {
            gaps.add(Map.of("device", gap.deviceId(), "from", gap.from(), "to", gap.to()));
        }
        summary.put("gaps", gaps);
        summary.put("explainedGaps", explainedGaps().size());
        Map<String, Object> highest = new TreeMap<>();
        for (SequenceTracker.DeviceState state : tracker.snapshot()) {
            highest.put(state.deviceId(), state.highest());
        }
        summary.put("highest", highest);
        return summary;
    }
}
