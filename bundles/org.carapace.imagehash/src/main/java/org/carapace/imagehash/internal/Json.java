package org.carapace.imagehash.internal;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.carapace.api.image.Digest;
import org.carapace.api.image.ImageException;
import org.carapace.api.image.ImageFormatException;
import org.carapace.api.image.ImageLimitException;

/** Strict JSON reading for image metadata: duplicate keys refused, size and nesting bounded, typed errors. */
final class Json {

    private final ObjectMapper mapper;
    private final ImageLimits limits;

    Json(ImageLimits limits) {
        this.limits = limits;
        JsonMapper json = JsonMapper.builder()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();
        json.getFactory().setStreamReadConstraints(StreamReadConstraints.builder()
            .maxNestingDepth(limits.maxJsonDepth())
            .maxStringLength((int) Math.min(Integer.MAX_VALUE, Math.max(limits.maxJsonBytes(), limits.maxManifestBytes())))
            .build());
        this.mapper = json;
    }

    ObjectMapper mapper() {
        return mapper;
    }

    /** Parses a whole document. */
    JsonNode parse(byte[] document, String location) throws ImageException {
        try {
            JsonNode node = mapper.readTree(document);
            if (node == null || node.isMissingNode()) {
                throw new ImageFormatException(location, "empty JSON document");
            }
            return node;
        } catch (StreamConstraintsException e) {
            throw new ImageLimitException("maxJsonDepth", limits.maxJsonDepth(), limits.maxJsonDepth() + 1L, location);
        } catch (JsonProcessingException e) {
            throw new ImageFormatException(location, "malformed JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new ImageFormatException(location, "malformed JSON: " + e.getMessage());
        }
    }

    /** Reads at most {@code max} bytes; more is a limit error. */
    static byte[] readBounded(InputStream in, long max, String limitName, String location) throws IOException, ImageLimitException {
        byte[] data = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, max + 1));
        if (data.length > max) {
            throw new ImageLimitException(limitName, max, data.length, location);
        }
        return data;
    }

    static JsonNode object(JsonNode parent, String field, String location) throws ImageFormatException {
        JsonNode node = parent.get(field);
        if (node == null || !node.isObject()) {
            throw new ImageFormatException(location, "'" + field + "' must be an object");
        }
        return node;
    }

    static List<JsonNode> array(JsonNode parent, String field, String location, boolean required) throws ImageFormatException {
        JsonNode node = parent.get(field);
        if (node == null || node.isNull()) {
            if (required) {
                throw new ImageFormatException(location, "'" + field + "' is missing");
            }
            return List.of();
        }
        if (!node.isArray()) {
            throw new ImageFormatException(location, "'" + field + "' must be an array");
        }
        List<JsonNode> items = new ArrayList<>();
        node.forEach(items::add);
        return items;
    }

    static String text(JsonNode parent, String field, String location) throws ImageFormatException {
        JsonNode node = parent.get(field);
        if (node == null || !node.isTextual()) {
            throw new ImageFormatException(location, "'" + field + "' must be a string");
        }
        return node.asText();
    }

    static Optional<String> optionalText(JsonNode parent, String field, String location) throws ImageFormatException {
        JsonNode node = parent.get(field);
        if (node == null || node.isNull()) {
            return Optional.empty();
        }
        if (!node.isTextual()) {
            throw new ImageFormatException(location, "'" + field + "' must be a string");
        }
        return Optional.of(node.asText());
    }

    static Digest digest(JsonNode parent, String field, String location) throws ImageFormatException {
        String text = text(parent, field, location);
        try {
            return Digest.parse(text);
        } catch (IllegalArgumentException e) {
            throw new ImageFormatException(location, "'" + field + "': " + e.getMessage());
        }
    }
}
