package org.carapace.api.monitoring;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.time.DateTimeException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.carapace.api.events.Severity;

/**
 * The JSON encoding of a {@link QualifiedEvent}, event model version 1 ({@code docs/events.md}).
 *
 * <pre>{@code
 * {"v":1,"device":"dev-vehicle-0001","seq":42,"boot":"0d4c…","time":"2026-05-01T10:00:00.123Z","mono":81234567890,
 *  "id":32770,"type":"GATE_REFUSED","category":"gate","sensor":"org.carapace.enforcement","severity":"HIGH",
 *  "count":1,"message":"…","context":{"container":"web"},"truncated":false,"idsm":"EwBAgAIAAQA…"}
 * }</pre>
 *
 * <p>Members are written in this order; {@code idsm} only when present. Readers accept members in any order,
 * ignore members they do not know (later minor versions only ever add members), and refuse a different {@code v},
 * duplicate members, missing or mistyped required members and values outside the model's bounds. Stateless and
 * thread-safe.
 */
public final class EventCodec {

    /** The DSSE payload type of an encoded event, version 1. */
    public static final String PAYLOAD_TYPE = "application/vnd.carapace.event.v1+json";

    private EventCodec() {
    }

    /** Encodes the event as compact UTF-8 JSON. */
    public static byte[] encode(QualifiedEvent event) {
        return Json.write(512, out -> {
            out.writeStartObject();
            out.writeNumberField("v", QualifiedEvent.MODEL_VERSION);
            out.writeStringField("device", event.deviceId());
            out.writeNumberField("seq", event.sequence());
            out.writeStringField("boot", event.bootId());
            out.writeStringField("time", event.time().toString());
            out.writeNumberField("mono", event.monotonicNanos());
            out.writeNumberField("id", event.eventId());
            out.writeStringField("type", event.type());
            out.writeStringField("category", event.category());
            out.writeStringField("sensor", event.sensor());
            out.writeStringField("severity", event.severity().name());
            out.writeNumberField("count", event.count());
            out.writeStringField("message", event.message());
            out.writeObjectFieldStart("context");
            for (Map.Entry<String, Object> entry : event.context().entrySet()) {
                out.writeFieldName(entry.getKey());
                writeValue(out, entry.getValue());
            }
            out.writeEndObject();
            out.writeBooleanField("truncated", event.truncated());
            if (event.idsm() != null) {
                out.writeStringField("idsm", Base64.getEncoder().encodeToString(event.idsm().encode()));
            }
            out.writeEndObject();
        });
    }

    /**
     * Encodes a context map alone as compact JSON (the context data of an {@link IdsmFrame}); the values must be of
     * the kinds {@link QualifiedEvent} accepts.
     */
    public static byte[] encodeContext(Map<String, Object> context) {
        return Json.write(256, out -> {
            out.writeStartObject();
            for (Map.Entry<String, Object> entry : context.entrySet()) {
                out.writeFieldName(entry.getKey());
                writeValue(out, entry.getValue());
            }
            out.writeEndObject();
        });
    }

    private static void writeValue(JsonGenerator out, Object value) throws IOException {
        if (value instanceof String) {
            out.writeString((String) value);
        } else if (value instanceof Long) {
            out.writeNumber((Long) value);
        } else if (value instanceof Double) {
            out.writeNumber((Double) value);
        } else if (value instanceof Boolean) {
            out.writeBoolean((Boolean) value);
        } else {
            out.writeStartArray();
            for (Object element : (List<?>) value) {
                writeValue(out, element);
            }
            out.writeEndArray();
        }
    }

    /**
     * Decodes an event.
     *
     * @throws MalformedEventException naming the member that is missing, mistyped or out of bounds
     */
    public static QualifiedEvent decode(byte[] json) throws MalformedEventException {
        Long version = null;
        String device = null;
        Long seq = null;
        String boot = null;
        Instant time = null;
        Long mono = null;
        Long id = null;
        String type = null;
        String category = null;
        String sensor = null;
        Severity severity = null;
        Long count = null;
        String message = null;
        Map<String, Object> context = Map.of();
        boolean truncated = false;
        IdsmFrame idsm = null;
        try (JsonParser parser = Json.parser("event", json)) {
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String member = parser.currentName();
                parser.nextToken();
                switch (member) {
                    case "v" -> version = Json.integer(parser, member);
                    case "device" -> device = Json.text(parser, member);
                    case "seq" -> seq = Json.integer(parser, member);
                    case "boot" -> boot = Json.text(parser, member);
                    case "time" -> time = instant(Json.text(parser, member));
                    case "mono" -> mono = Json.integer(parser, member);
                    case "id" -> id = Json.integer(parser, member);
                    case "type" -> type = Json.text(parser, member);
                    case "category" -> category = Json.text(parser, member);
                    case "sensor" -> sensor = Json.text(parser, member);
                    case "severity" -> severity = severity(Json.text(parser, member));
                    case "count" -> count = Json.integer(parser, member);
                    case "message" -> message = Json.text(parser, member);
                    case "context" -> context = context(parser);
                    case "truncated" -> truncated = Json.bool(parser, member);
                    case "idsm" -> idsm = IdsmFrame.decode(Json.base64(parser, member));
                    default -> parser.skipChildren(); // a member a later minor version added
                }
            }
            Json.requireEnd("event", parser);
        } catch (IOException e) {
            throw new MalformedEventException("event", "not valid JSON: " + e.getMessage(), e);
        }
        if (version == null || version != QualifiedEvent.MODEL_VERSION) {
            throw new MalformedEventException("v", "event model version must be " + QualifiedEvent.MODEL_VERSION + ", was " + version);
        }
        require("device", device);
        require("seq", seq);
        require("boot", boot);
        require("time", time);
        require("mono", mono);
        require("id", id);
        require("type", type);
        require("category", category);
        require("sensor", sensor);
        require("severity", severity);
        require("count", count);
        require("message", message);
        if (id > Integer.MAX_VALUE || count > Integer.MAX_VALUE) {
            throw new MalformedEventException(id > Integer.MAX_VALUE ? "id" : "count", "out of range");
        }
        try {
            return new QualifiedEvent(device, seq, boot, time, mono, id.intValue(), type, category, sensor, severity,
                count.intValue(), message, context, truncated, idsm);
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new MalformedEventException("event", e.getMessage(), e);
        }
    }

    private static void require(String member, Object value) throws MalformedEventException {
        if (value == null) {
            throw new MalformedEventException(member, "is missing");
        }
    }

    private static Instant instant(String text) throws MalformedEventException {
        try {
            return Instant.parse(text);
        } catch (DateTimeException e) {
            throw new MalformedEventException("time", "is not an RFC 3339 UTC time: '" + text + "'");
        }
    }

    private static Severity severity(String text) throws MalformedEventException {
        try {
            return Severity.valueOf(text);
        } catch (IllegalArgumentException e) {
            throw new MalformedEventException("severity", "unknown severity '" + text + "'");
        }
    }

    private static Map<String, Object> context(JsonParser parser) throws IOException, MalformedEventException {
        if (parser.currentToken() != JsonToken.START_OBJECT) {
            throw new MalformedEventException("context", "must be an object");
        }
        Map<String, Object> context = new LinkedHashMap<>();
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
            String key = parser.currentName();
            if (context.size() == QualifiedEvent.MAX_CONTEXT_ENTRIES) {
                throw new MalformedEventException("context", "more than " + QualifiedEvent.MAX_CONTEXT_ENTRIES + " entries");
            }
            JsonToken token = parser.nextToken();
            if (token == JsonToken.START_ARRAY) {
                List<Object> list = new ArrayList<>();
                while (parser.nextToken() != JsonToken.END_ARRAY) {
                    if (list.size() == QualifiedEvent.MAX_CONTEXT_LIST_ELEMENTS) {
                        throw new MalformedEventException("context." + key, "more than "
                            + QualifiedEvent.MAX_CONTEXT_LIST_ELEMENTS + " elements");
                    }
                    list.add(scalar(parser, "context." + key));
                }
                context.put(key, list);
            } else {
                context.put(key, scalar(parser, "context." + key));
            }
        }
        return context;
    }

    private static Object scalar(JsonParser parser, String member) throws IOException, MalformedEventException {
        switch (parser.currentToken()) {
            case VALUE_STRING:
                return parser.getText();
            case VALUE_TRUE:
                return Boolean.TRUE;
            case VALUE_FALSE:
                return Boolean.FALSE;
            case VALUE_NUMBER_INT:
                return Json.integer(parser, member);
            case VALUE_NUMBER_FLOAT:
                return parser.getDoubleValue();
            default:
                throw new MalformedEventException(member, "must be a string, number, boolean or a list of those, was "
                    + parser.currentToken());
        }
    }
}
