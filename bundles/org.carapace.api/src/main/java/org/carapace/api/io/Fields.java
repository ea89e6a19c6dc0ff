package org.carapace.api.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.carapace.api.trust.MalformedDocumentException;
import org.carapace.api.trust.TrustException.Reason;

/**
 * Schema-checked access to one JSON object of an untrusted document. Every error names the document and the JSON
 * path of the field ({@code images[3].exec.files[0].sha256}); {@link #end()} refuses fields nobody asked for, so a
 * misspelt or smuggled field is an error rather than silently ignored. {@code null} is never a valid value:
 * optional fields are left out.
 */
public final class Fields {

    private final String document;
    private final String path;
    private final ObjectNode node;
    private final Set<String> read = new HashSet<>();

    private Fields(String document, String path, ObjectNode node) {
        this.document = document;
        this.path = path;
        this.node = node;
    }

    public static Fields of(String document, ObjectNode node) {
        return new Fields(document, "", node);
    }

    /** A schema error at a field of this object. */
    public MalformedDocumentException error(String field, String message) {
        return new MalformedDocumentException(Reason.SCHEMA, document, at(field) + ": " + message);
    }

    /** A schema error at this object. */
    public MalformedDocumentException error(String message) {
        return new MalformedDocumentException(Reason.SCHEMA, document, (path.isEmpty() ? "(top level)" : path) + ": " + message);
    }

    /** A limit error at a field of this object. */
    public MalformedDocumentException limit(String field, int count, int max) {
        return new MalformedDocumentException(Reason.LIMIT_EXCEEDED, document, at(field) + ": " + count
            + " entries exceed the limit of " + max);
    }

    public String at(String field) {
        return path.isEmpty() ? field : path + "." + field;
    }

    public String path() {
        return path;
    }

    public boolean has(String field) {
        return node.has(field);
    }

    private JsonNode get(String field, boolean required) throws MalformedDocumentException {
        read.add(field);
        JsonNode value = node.get(field);
        if (value == null) {
            if (required) {
                throw error(field, "is required");
            }
            return null;
        }
        if (value.isNull()) {
            throw error(field, "must not be null (leave an optional field out)");
        }
        return value;
    }

    public String string(String field) throws MalformedDocumentException {
        return text(field, get(field, true));
    }

    public Optional<String> optionalString(String field) throws MalformedDocumentException {
        JsonNode value = get(field, false);
        return value == null ? Optional.empty() : Optional.of(text(field, value));
    }

    private String text(String field, JsonNode value) throws MalformedDocumentException {
        if (!value.isTextual()) {
            throw error(field, "must be a string, is " + value.getNodeType());
        }
        return value.textValue();
    }

    public long integer(String field, long min, long max) throws MalformedDocumentException {
        return integer(field, get(field, true), min, max);
    }

    public Optional<Long> optionalInteger(String field, long min, long max) throws MalformedDocumentException {
        JsonNode value = get(field, false);
        return value == null ? Optional.empty() : Optional.of(integer(field, value, min, max));
    }

    private long integer(String field, JsonNode value, long min, long max) throws MalformedDocumentException {
        if (!value.isIntegralNumber() || !value.canConvertToLong()) {
            throw error(field, "must be an integer, is " + value.getNodeType() + " " + abbreviate(value.toString()));
        }
        long v = value.longValue();
        if (v < min || v > max) {
            throw error(field, "must be between " + min + " and " + max + ", is " + v);
        }
        return v;
    }

    public Optional<Instant> optionalInstant(String field) throws MalformedDocumentException {
        Optional<String> text = optionalString(field);
        if (text.isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(Instant.parse(text.get()));
        } catch (DateTimeParseException e) {
            throw error(field, "must be an RFC 3339 UTC time such as 2027-01-31T00:00:00Z, is " + abbreviate(text.get()));
        }
    }

    public Fields object(String field) throws MalformedDocumentException {
        return object(field, get(field, true));
    }

    public Optional<Fields> optionalObject(String field) throws MalformedDocumentException {
        JsonNode value = get(field, false);
        return value == null ? Optional.empty() : Optional.of(object(field, value));
    }

    private Fields object(String field, JsonNode value) throws MalformedDocumentException {
        if (!value.isObject()) {
            throw error(field, "must be an object, is " + value.getNodeType());
        }
        return new Fields(document, at(field), (ObjectNode) value);
    }

    /** The elements of an array of objects; an absent optional array is empty. */
    public List<Fields> objects(String field, boolean required, int max) throws MalformedDocumentException {
        JsonNode array = array(field, required, max);
        List<Fields> out = new ArrayList<>(array == null ? 0 : array.size());
        if (array != null) {
            for (int i = 0; i < array.size(); i++) {
                JsonNode element = array.get(i);
                String elementPath = at(field) + "[" + i + "]";
                if (!element.isObject()) {
                    throw new MalformedDocumentException(Reason.SCHEMA, document, elementPath + ": must be an object, is "
                        + element.getNodeType());
                }
                out.add(new Fields(document, elementPath, (ObjectNode) element));
            }
        }
        return out;
    }

    /** The elements of an array of strings; an absent optional array is empty. */
    public List<String> strings(String field, boolean required, int max) throws MalformedDocumentException {
        JsonNode array = array(field, required, max);
        List<String> out = new ArrayList<>(array == null ? 0 : array.size());
        if (array != null) {
            for (int i = 0; i < array.size(); i++) {
                JsonNode element = array.get(i);
                if (!element.isTextual()) {
                    throw new MalformedDocumentException(Reason.SCHEMA, document, at(field) + "[" + i
                        + "]: must be a string, is " + element.getNodeType());
                }
                out.add(element.textValue());
            }
        }
        return out;
    }

    /** An object whose values are all strings, in document order; absent is empty. */
    public Map<String, String> stringMap(String field, int max) throws MalformedDocumentException {
        JsonNode value = get(field, false);
        Map<String, String> out = new LinkedHashMap<>();
        if (value == null) {
            return out;
        }
        if (!value.isObject()) {
            throw error(field, "must be an object of strings, is " + value.getNodeType());
        }
        if (value.size() > max) {
            throw limit(field, value.size(), max);
        }
        Iterator<Map.Entry<String, JsonNode>> entries = value.fields();
        while (entries.hasNext()) {
            Map.Entry<String, JsonNode> entry = entries.next();
            if (!entry.getValue().isTextual()) {
                throw error(field + "." + entry.getKey(), "must be a string, is " + entry.getValue().getNodeType());
            }
            out.put(entry.getKey(), entry.getValue().textValue());
        }
        return out;
    }

    /** The members of an object whose values are objects, in document order. */
    public Map<String, Fields> objectMap(String field, int max) throws MalformedDocumentException {
        JsonNode value = get(field, true);
        if (!value.isObject()) {
            throw error(field, "must be an object, is " + value.getNodeType());
        }
        if (value.size() > max) {
            throw limit(field, value.size(), max);
        }
        Map<String, Fields> out = new LinkedHashMap<>();
        Iterator<Map.Entry<String, JsonNode>> entries = value.fields();
        while (entries.hasNext()) {
            Map.Entry<String, JsonNode> entry = entries.next();
            if (!entry.getValue().isObject()) {
                throw error(field + "." + entry.getKey(), "must be an object, is " + entry.getValue().getNodeType());
            }
            out.put(entry.getKey(), new Fields(document, at(field) + "." + entry.getKey(), (ObjectNode) entry.getValue()));
        }
        return out;
    }

    private JsonNode array(String field, boolean required, int max) throws MalformedDocumentException {
        JsonNode value = get(field, required);
        if (value == null) {
            return null;
        }
        if (!value.isArray()) {
            throw error(field, "must be an array, is " + value.getNodeType());
        }
        if (value.size() > max) {
            throw limit(field, value.size(), max);
        }
        return value;
    }

    /** Refuses any field that was not read. */
    public void end() throws MalformedDocumentException {
        Iterator<String> names = node.fieldNames();
        while (names.hasNext()) {
            String name = names.next();
            if (!read.contains(name)) {
                throw error(name, "is not a field of this object");
            }
        }
    }

    public static String abbreviate(String value) {
        return value.length() <= 80 ? value : value.substring(0, 77) + "...";
    }
}
