package org.carapace.policy.internal;

import com.fasterxml.jackson.core.Base64Variant;
import com.fasterxml.jackson.core.Base64Variants;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.core.io.JsonEOFException;
import com.fasterxml.jackson.databind.util.ByteBufferBackedInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import org.carapace.api.io.StrictJson;
import org.carapace.api.trust.DocumentTooLargeException;
import org.carapace.api.trust.MalformedDocumentException;
import org.carapace.api.trust.TrustException.Reason;

/**
 * A strict, streaming reader of one untrusted JSON object: the same rules as {@link StrictJson} (UTF-8 only, no
 * duplicate keys, nothing after the document, bounded size, nesting and lengths) without building a tree, so a large
 * document costs little more memory than the model read from it. Schema code walks it with {@link #object} and
 * {@link #array}; every error names the JSON path. Not thread-safe: one cursor per document.
 */
final class JsonCursor implements AutoCloseable {

    /** Standard base64 with padding required (RFC 4648 §4). */
    private static final Base64Variant BASE64 = Base64Variants.MIME_NO_LINEFEEDS.withPaddingRequired();

    /** A JSON path, rendered only when an error needs it. */
    static final class Path {
        private final Path parent;
        private final String field;
        private final int index;

        private Path(Path parent, String field, int index) {
            this.parent = parent;
            this.field = field;
            this.index = index;
        }

        static final Path ROOT = new Path(null, null, -1);

        Path field(String name) {
            return new Path(this, name, -1);
        }

        Path index(int i) {
            return new Path(this, null, i);
        }

        @Override
        public String toString() {
            if (parent == null) {
                return "(top level)";
            }
            String up = parent.parent == null ? "" : parent.toString();
            return field != null ? (up.isEmpty() ? field : up + "." + field) : up + "[" + index + "]";
        }
    }

    /** Reads one field's value; the cursor stands on the value's first token. */
    @FunctionalInterface
    interface FieldReader {
        void read(String name, Path path) throws MalformedDocumentException;
    }

    /** Reads one array element; the cursor stands on the element's first token. */
    @FunctionalInterface
    interface ElementReader {
        void read(Path path) throws MalformedDocumentException;
    }

    private final JsonParser parser;
    private final String document;

    private JsonCursor(JsonParser parser, String document) {
        this.parser = parser;
        this.document = document;
    }

    /** A factory enforcing the limits while parsing. */
    static JsonFactory factory(long maxBytes, int maxNestingDepth) {
        return JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .streamReadConstraints(StreamReadConstraints.builder()
                .maxNestingDepth(maxNestingDepth)
                .maxStringLength((int) Math.min(maxBytes, Integer.MAX_VALUE))
                .maxNumberLength(32)
                .maxNameLength(1024)
                .maxDocumentLength(maxBytes)
                .build())
            .build();
    }

    /**
     * Opens a document and moves to its first token, which must start an object.
     *
     * @throws MalformedDocumentException when it is too large, not UTF-8 JSON, or not an object
     */
    static JsonCursor open(JsonFactory factory, long maxBytes, ByteBuffer bytes, String document) throws MalformedDocumentException {
        int length = bytes.remaining();
        if (length > maxBytes) {
            throw new DocumentTooLargeException(document, length, maxBytes);
        }
        // RFC 8259 §8.1: UTF-8 only. Jackson would detect UTF-16/32 from a BOM or NUL bytes; refuse those up front.
        int p = bytes.position();
        for (int i = 0; i < Math.min(4, length); i++) {
            byte b = bytes.get(p + i);
            if (b == 0 || i == 0 && (b == (byte) 0xEF || b == (byte) 0xFE || b == (byte) 0xFF)) {
                throw new MalformedDocumentException(Reason.MALFORMED, document, "is not UTF-8 JSON (byte order mark or NUL)");
            }
        }
        JsonParser parser;
        try {
            parser = factory.createParser(new ByteBufferBackedInputStream(bytes.duplicate()));
        } catch (IOException e) {
            throw new MalformedDocumentException(Reason.MALFORMED, document, "unreadable: " + e.getMessage(), e);
        }
        JsonCursor cursor = new JsonCursor(parser, document);
        JsonToken first = cursor.next();
        if (first == null) {
            cursor.close();
            throw new MalformedDocumentException(Reason.TRUNCATED, document, "is empty");
        }
        if (first != JsonToken.START_OBJECT) {
            cursor.close();
            throw new MalformedDocumentException(Reason.SCHEMA, document, "must be a JSON object, starts with " + first);
        }
        return cursor;
    }

    static JsonCursor open(JsonFactory factory, long maxBytes, byte[] bytes, String document) throws MalformedDocumentException {
        return open(factory, maxBytes, ByteBuffer.wrap(bytes), document);
    }

    /** The next token, with Jackson's failures translated into the refusal that names them. */
    JsonToken next() throws MalformedDocumentException {
        try {
            return parser.nextToken();
        } catch (IOException e) {
            throw translate(e);
        }
    }

    private MalformedDocumentException translate(IOException e) {
        if (e instanceof JsonEOFException) {
            return new MalformedDocumentException(Reason.TRUNCATED, document, "ends before the JSON is complete", e);
        }
        if (e instanceof StreamConstraintsException c) {
            String message = c.getOriginalMessage();
            if (message != null && message.contains("Document length")) {
                return new MalformedDocumentException(Reason.TOO_LARGE, document, message, e);
            }
            return new MalformedDocumentException(Reason.LIMIT_EXCEEDED, document, message, e);
        }
        if (e instanceof JsonProcessingException p) {
            String message = p.getOriginalMessage();
            String at = p.getLocation() == null ? ""
                : " at line " + p.getLocation().getLineNr() + " column " + p.getLocation().getColumnNr();
            if (message != null && (message.startsWith("Duplicate field") || message.startsWith("Duplicate Object property"))) {
                return new MalformedDocumentException(Reason.DUPLICATE_KEY, document, message + at, e);
            }
            if (message != null && message.contains("end-of-input")) {
                return new MalformedDocumentException(Reason.TRUNCATED, document, message, e);
            }
            return new MalformedDocumentException(Reason.MALFORMED, document, message + at, e);
        }
        return new MalformedDocumentException(Reason.MALFORMED, document, "unreadable: " + e.getMessage(), e);
    }

    /** After the top-level object: nothing but whitespace may follow. */
    void finish() throws MalformedDocumentException {
        JsonToken after;
        try {
            after = parser.nextToken();
        } catch (IOException e) {
            throw new MalformedDocumentException(Reason.TRAILING_DATA, document, "data follows the JSON document", e);
        }
        if (after != null) {
            throw new MalformedDocumentException(Reason.TRAILING_DATA, document, "data follows the JSON document");
        }
    }

    MalformedDocumentException schema(Path path, String message) {
        return new MalformedDocumentException(Reason.SCHEMA, document, path + ": " + message);
    }

    MalformedDocumentException limit(Path path, int max) {
        return new MalformedDocumentException(Reason.LIMIT_EXCEEDED, document, path + ": more than " + max + " entries");
    }

    /**
     * Reads the object the cursor stands on, field by field. {@code null} values are refused (optional fields are
     * left out); the reader refuses unknown names itself. Afterwards the cursor stands on the object's end.
     */
    void object(Path path, FieldReader reader) throws MalformedDocumentException {
        if (parser.currentToken() != JsonToken.START_OBJECT) {
            throw schema(path, "must be an object, is " + describe());
        }
        while (true) {
            JsonToken token = next();
            if (token == JsonToken.END_OBJECT) {
                return;
            }
            if (token != JsonToken.FIELD_NAME) {
                throw schema(path, "expected a field name, found " + token);
            }
            String name = currentName();
            Path fieldPath = path.field(name);
            if (next() == JsonToken.VALUE_NULL) {
                throw schema(fieldPath, "must not be null (leave an optional field out)");
            }
            reader.read(name, fieldPath);
        }
    }

    /** Reads the array the cursor stands on, element by element, refusing more than {@code max}. */
    void array(Path path, int max, ElementReader reader) throws MalformedDocumentException {
        if (parser.currentToken() != JsonToken.START_ARRAY) {
            throw schema(path, "must be an array, is " + describe());
        }
        int i = 0;
        while (true) {
            JsonToken token = next();
            if (token == JsonToken.END_ARRAY) {
                return;
            }
            if (i >= max) {
                throw limit(path, max);
            }
            if (token == JsonToken.VALUE_NULL) {
                throw schema(path.index(i), "must not be null");
            }
            reader.read(path.index(i++));
        }
    }

    String string(Path path) throws MalformedDocumentException {
        if (parser.currentToken() != JsonToken.VALUE_STRING) {
            throw schema(path, "must be a string, is " + describe());
        }
        try {
            return parser.getText();
        } catch (IOException e) {
            throw translate(e);
        }
    }

    long integer(Path path, long min, long max) throws MalformedDocumentException {
        if (parser.currentToken() != JsonToken.VALUE_NUMBER_INT) {
            throw schema(path, "must be an integer, is " + describe());
        }
        try {
            if (parser.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
                throw schema(path, "must be between " + min + " and " + max + ", is " + parser.getText());
            }
            long v = parser.getLongValue();
            if (v < min || v > max) {
                throw schema(path, "must be between " + min + " and " + max + ", is " + v);
            }
            return v;
        } catch (IOException e) {
            throw translate(e);
        }
    }

    /** A base64 string value decoded while reading (no intermediate string); standard alphabet, padding required. */
    byte[] base64(Path path) throws MalformedDocumentException {
        if (parser.currentToken() != JsonToken.VALUE_STRING) {
            throw schema(path, "must be a base64 string, is " + describe());
        }
        try {
            return parser.getBinaryValue(BASE64);
        } catch (JsonProcessingException e) {
            if (e instanceof StreamConstraintsException || e instanceof JsonEOFException) {
                throw translate(e);
            }
            throw schema(path, "is not base64 (standard alphabet, padding required): " + e.getOriginalMessage());
        } catch (IOException e) {
            throw translate(e);
        }
    }

    private String currentName() throws MalformedDocumentException {
        try {
            return parser.currentName();
        } catch (IOException e) {
            throw translate(e);
        }
    }

    private String describe() {
        JsonToken token = parser.currentToken();
        if (token == null) {
            return "missing";
        }
        return switch (token) {
            case START_OBJECT -> "an object";
            case START_ARRAY -> "an array";
            case VALUE_STRING -> "a string";
            case VALUE_NUMBER_INT -> "an integer";
            case VALUE_NUMBER_FLOAT -> "a number with a fraction";
            case VALUE_TRUE, VALUE_FALSE -> "a boolean";
            default -> token.toString();
        };
    }

    @Override
    public void close() {
        try {
            parser.close();
        } catch (IOException ignored) {
            // reading from memory: nothing to release
        }
    }
}
