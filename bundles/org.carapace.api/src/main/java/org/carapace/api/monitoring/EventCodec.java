package org.carapace.api.monitoring;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.io.JsonStringEncoder;
import java.io.IOException;
import java.time.DateTimeException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
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
        // written by hand (the schema is fixed): a general JSON generator per event was a large share of the cost of
        // reporting one; strings go through Jackson's JSON string escaper
        Out out = new Out(512);
        out.raw("{\"v\":").number(QualifiedEvent.MODEL_VERSION);
        out.raw(",\"device\":").string(event.deviceId());
        out.raw(",\"seq\":").number(event.sequence());
        out.raw(",\"boot\":").string(event.bootId());
        out.raw(",\"time\":").string(event.time().toString());
        out.raw(",\"mono\":").number(event.monotonicNanos());
        out.raw(",\"id\":").number(event.eventId());
        out.raw(",\"type\":").string(event.type());
        out.raw(",\"category\":").string(event.category());
        out.raw(",\"sensor\":").string(event.sensor());
        out.raw(",\"severity\":").string(event.severity().name());
        out.raw(",\"count\":").number(event.count());
        out.raw(",\"message\":").string(event.message());
        out.raw(",\"context\":");
        writeContext(out, event.context());
        out.raw(",\"truncated\":").raw(event.truncated() ? "true" : "false");
        if (event.idsm() != null) {
            out.raw(",\"idsm\":\"").raw(Base64.getEncoder().encode(event.idsm().encode())).raw("\"");
        }
        out.raw("}");
        return out.toByteArray();
    }

    private static void writeContext(Out out, Map<String, Object> context) {
        out.raw("{");
        boolean first = true;
        for (Map.Entry<String, Object> entry : context.entrySet()) {
            if (!first) {
                out.raw(",");
            }
            first = false;
            out.string(entry.getKey()).raw(":");
            writeValue(out, entry.getValue());
        }
        out.raw("}");
    }

    private static void writeValue(Out out, Object value) {
        if (value instanceof String) {
            out.string((String) value);
        } else if (value instanceof Long) {
            out.number((Long) value);
        } else if (value instanceof Double) {
            out.raw(Double.toString((Double) value)); // finite by construction; Java's form is valid JSON
        } else if (value instanceof Boolean) {
            out.raw(((Boolean) value) ? "true" : "false");
        } else {
            out.raw("[");
            boolean first = true;
            for (Object element : (List<?>) value) {
                if (!first) {
                    out.raw(",");
                }
                first = false;
                writeValue(out, element);
            }
            out.raw("]");
        }
    }

    /** A growable UTF-8 byte buffer. */
    private static final class Out {
        private byte[] bytes;
        private int size;

        Out(int capacity) {
            bytes = new byte[capacity];
        }

        Out raw(String ascii) {
            ensure(ascii.length());
            for (int i = 0; i < ascii.length(); i++) {
                bytes[size++] = (byte) ascii.charAt(i);
            }
            return this;
        }

        Out raw(byte[] data) {
            ensure(data.length);
            System.arraycopy(data, 0, bytes, size, data.length);
            size += data.length;
            return this;
        }

        Out number(long value) {
            return raw(Long.toString(value));
        }

        Out string(String value) {
            int length = value.length();
            ensure(length + 2);
            int start = size;
            bytes[size++] = '"';
            for (int i = 0; i < length; i++) {
                char c = value.charAt(i);
                if (c < 0x20 || c > 0x7E || c == '"' || c == '\\') {
                    // anything beyond plain printable ASCII: let Jackson's escaper do it all (RFC 8259 §7)
                    size = start + 1;
                    raw(JsonStringEncoder.getInstance().quoteAsUTF8(value));
                    break;
                }
                bytes[size++] = (byte) c;
            }
            ensure(1);
            bytes[size++] = '"';
            return this;
        }

        private void ensure(int more) {
            if (size + more > bytes.length) {
                bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, size + more));
            }
        }

        byte[] toByteArray() {
            return Arrays.copyOf(bytes, size);
        }
    }

    /**
     * Encodes a context map alone as compact JSON (the context data of an {@link IdsmFrame}); the values must be of
     * the kinds {@link QualifiedEvent} accepts.
     */
    public static byte[] encodeContext(Map<String, Object> context) {
        Out out = new Out(256);
        writeContext(out, context);
        return out.toByteArray();
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
