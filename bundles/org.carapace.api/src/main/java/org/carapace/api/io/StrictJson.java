package org.carapace.api.io;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.core.io.JsonEOFException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import org.carapace.api.trust.DocumentTooLargeException;
import org.carapace.api.trust.MalformedDocumentException;
import org.carapace.api.trust.TrustException.Reason;

/**
 * Reads untrusted JSON so that two readers can never disagree about what it says: UTF-8 only (RFC 8259 §8.1),
 * duplicate object keys refused (§4 leaves their meaning open), nothing but whitespace after the document, and
 * size, nesting and string-length limits enforced while parsing. Each refusal is a
 * {@link MalformedDocumentException} with the reason that names the trick.
 *
 * <p>Immutable and thread-safe.
 */
public final class StrictJson {

    /** Writes documents: two-space indented, keys in the order the writer puts them, newline at the end. */
    private static final ObjectMapper WRITER = JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build();
    private static final ObjectMapper COMPACT = JsonMapper.builder().build();

    private final long maxBytes;
    private final JsonFactory factory;
    private final ObjectMapper mapper;

    /**
     * @param maxBytes largest document accepted, in bytes
     * @param maxNestingDepth deepest nesting of arrays and objects
     */
    public StrictJson(long maxBytes, int maxNestingDepth) {
        if (maxBytes < 2 || maxBytes > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("maxBytes must be between 2 and 2^31-17, was " + maxBytes);
        }
        if (maxNestingDepth < 2) {
            throw new IllegalArgumentException("maxNestingDepth must be at least 2, was " + maxNestingDepth);
        }
        this.maxBytes = maxBytes;
        this.factory = JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .streamReadConstraints(StreamReadConstraints.builder()
                .maxNestingDepth(maxNestingDepth)
                .maxStringLength((int) Math.min(maxBytes, Integer.MAX_VALUE))
                .maxNumberLength(32)
                .maxNameLength(1024)
                .maxDocumentLength(maxBytes)
                .build())
            .build();
        this.mapper = JsonMapper.builder(factory).build();
    }

    public long maxBytes() {
        return maxBytes;
    }

    /**
     * Parses one JSON object.
     *
     * @param bytes the document
     * @param document what it is, for messages ({@code policy envelope}, {@code root document}, ...)
     * @throws MalformedDocumentException with the reason TOO_LARGE, MALFORMED, DUPLICATE_KEY, TRAILING_DATA,
     *                                    TRUNCATED, LIMIT_EXCEEDED or SCHEMA (not an object)
     */
    public ObjectNode parseObject(byte[] bytes, String document) throws MalformedDocumentException {
        if (bytes.length > maxBytes) {
            throw new DocumentTooLargeException(document, bytes.length, maxBytes);
        }
        String text = utf8(bytes, document);
        JsonNode node;
        try (JsonParser parser = factory.createParser(text)) {
            try {
                node = mapper.readTree(parser);
            } catch (JsonEOFException e) {
                throw new MalformedDocumentException(Reason.TRUNCATED, document, "ends before the JSON is complete ("
                    + e.getOriginalMessage() + ")", e);
            } catch (StreamConstraintsException e) {
                throw new MalformedDocumentException(Reason.LIMIT_EXCEEDED, document, e.getOriginalMessage(), e);
            } catch (JsonProcessingException e) {
                String message = e.getOriginalMessage();
                if (message != null && message.startsWith("Duplicate Object property")
                    || message != null && message.startsWith("Duplicate field")) {
                    throw new MalformedDocumentException(Reason.DUPLICATE_KEY, document, message + " at " + location(e), e);
                }
                if (message != null && message.contains("end-of-input")) {
                    throw new MalformedDocumentException(Reason.TRUNCATED, document, message, e);
                }
                throw new MalformedDocumentException(Reason.MALFORMED, document, message + " at " + location(e), e);
            }
            if (node == null || node.isMissingNode()) {
                throw new MalformedDocumentException(Reason.TRUNCATED, document, "is empty");
            }
            try {
                JsonToken next = parser.nextToken();
                if (next != null) {
                    throw new MalformedDocumentException(Reason.TRAILING_DATA, document,
                        "data follows the JSON document at " + parser.currentLocation().getCharOffset());
                }
            } catch (JsonProcessingException e) {
                throw new MalformedDocumentException(Reason.TRAILING_DATA, document,
                    "data follows the JSON document (" + e.getOriginalMessage() + ")", e);
            }
        } catch (IOException e) {
            throw new MalformedDocumentException(Reason.MALFORMED, document, "unreadable: " + e.getMessage(), e);
        }
        if (!node.isObject()) {
            throw new MalformedDocumentException(Reason.SCHEMA, document, "must be a JSON object, is " + node.getNodeType());
        }
        return (ObjectNode) node;
    }

    private static String location(JsonProcessingException e) {
        return e.getLocation() == null ? "?" : "line " + e.getLocation().getLineNr() + " column " + e.getLocation().getColumnNr();
    }

    private static String utf8(byte[] bytes, String document) throws MalformedDocumentException {
        try {
            CharBuffer chars = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT)
                .decode(ByteBuffer.wrap(bytes));
            return chars.toString();
        } catch (CharacterCodingException e) {
            throw new MalformedDocumentException(Reason.MALFORMED, document, "is not valid UTF-8", e);
        }
    }

    /** A fresh, empty object to build a document in. */
    public static ObjectNode object() {
        return WRITER.createObjectNode();
    }

    /** Serialises a document as indented UTF-8 JSON with a final newline. */
    public static byte[] write(JsonNode node) {
        try {
            byte[] json = WRITER.writeValueAsBytes(node);
            byte[] out = java.util.Arrays.copyOf(json, json.length + 1);
            out[json.length] = '\n';
            return out;
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a tree of plain nodes always serialises", e);
        }
    }

    /** Serialises a document as compact UTF-8 JSON with a final newline. */
    public static byte[] writeCompact(JsonNode node) {
        try {
            byte[] json = COMPACT.writeValueAsBytes(node);
            byte[] out = java.util.Arrays.copyOf(json, json.length + 1);
            out[json.length] = '\n';
            return out;
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a tree of plain nodes always serialises", e);
        }
    }
}
