package org.carapace.api.monitoring;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonFactoryBuilder;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/** The strict JSON reading and writing shared by the codecs of this package. */
final class Json {

    /** Largest document any codec here reads: an event, an envelope or a key file. */
    static final int MAX_DOCUMENT_BYTES = 256 * 1024;

    // duplicate members refused (a second "seq" must not silently win), nesting and lengths bounded
    static final JsonFactory FACTORY = new JsonFactoryBuilder()
        .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
        .streamReadConstraints(StreamReadConstraints.builder()
            .maxNestingDepth(8)
            .maxNumberLength(32)
            .maxStringLength(MAX_DOCUMENT_BYTES)
            .maxDocumentLength(MAX_DOCUMENT_BYTES)
            .build())
        .build();

    private Json() {
    }

    interface Writer {
        void write(JsonGenerator out) throws IOException;
    }

    static byte[] write(int sizeHint, Writer writer) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(sizeHint);
        try (JsonGenerator out = FACTORY.createGenerator(bytes)) {
            writer.write(out);
        } catch (IOException e) {
            throw new UncheckedIOException("writing JSON to memory failed", e); // cannot happen for a byte array
        }
        return bytes.toByteArray();
    }

    static JsonParser parser(String what, byte[] json) throws MalformedEventException {
        if (json == null || json.length == 0) {
            throw new MalformedEventException(what, "empty");
        }
        if (json.length > MAX_DOCUMENT_BYTES) {
            throw new MalformedEventException(what, json.length + " bytes exceed the limit of " + MAX_DOCUMENT_BYTES);
        }
        try {
            JsonParser parser = FACTORY.createParser(json);
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                throw new MalformedEventException(what, "not a JSON object");
            }
            return parser;
        } catch (IOException e) {
            throw new MalformedEventException(what, "not JSON: " + e.getMessage(), e);
        }
    }

    /** Fails unless nothing but whitespace follows the top-level object. */
    static void requireEnd(String what, JsonParser parser) throws IOException, MalformedEventException {
        if (parser.nextToken() != null) {
            throw new MalformedEventException(what, "data after the JSON object");
        }
    }

    static String text(JsonParser parser, String member) throws IOException, MalformedEventException {
        if (parser.currentToken() != JsonToken.VALUE_STRING) {
            throw new MalformedEventException(member, "must be a string, was " + parser.currentToken());
        }
        return parser.getText();
    }

    static long integer(JsonParser parser, String member) throws IOException, MalformedEventException {
        if (parser.currentToken() != JsonToken.VALUE_NUMBER_INT || parser.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
            throw new MalformedEventException(member, "must be an integer within 64 bits, was " + parser.currentToken());
        }
        return parser.getLongValue();
    }

    static boolean bool(JsonParser parser, String member) throws MalformedEventException {
        JsonToken token = parser.currentToken();
        if (token != JsonToken.VALUE_TRUE && token != JsonToken.VALUE_FALSE) {
            throw new MalformedEventException(member, "must be true or false, was " + token);
        }
        return token == JsonToken.VALUE_TRUE;
    }

    static byte[] base64(JsonParser parser, String member) throws IOException, MalformedEventException {
        try {
            return java.util.Base64.getDecoder().decode(text(parser, member));
        } catch (IllegalArgumentException e) {
            throw new MalformedEventException(member, "is not standard base64: " + e.getMessage());
        }
    }
}
