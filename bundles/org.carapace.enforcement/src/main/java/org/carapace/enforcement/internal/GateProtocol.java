package org.carapace.enforcement.internal;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import org.carapace.api.enforcement.ContainerState;
import org.carapace.api.enforcement.GateDecision;

/**
 * The gate socket's wire format (docs/gate-protocol.md).
 *
 * <pre>
 * request:  "CARAPACE-GATE 1 " stage "\n" OCI-state-JSON, then the client half-closes
 * answer:   ("ALLOW" | "AUDIT" | "REFUSE") " " text "\n"      at most 4096 bytes, printable ASCII
 * </pre>
 */
final class GateProtocol {

    static final String MAGIC = "CARAPACE-GATE";
    static final int VERSION = 1;
    static final int MAX_ANSWER = 4096;
    private static final java.util.regex.Pattern STAGE = java.util.regex.Pattern.compile("[A-Za-z]{1,32}");

    /** A parsed request. */
    record Request(String stage, ContainerState state) {
    }

    /** The request could not be understood; the gate refuses. */
    static final class ProtocolException extends Exception {
        private static final long serialVersionUID = 1L;

        ProtocolException(String message) {
            super(message);
        }
    }

    private GateProtocol() {
    }

    static ObjectMapper mapper(int maxDepth) {
        JsonMapper mapper = JsonMapper.builder()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();
        mapper.getFactory().setStreamReadConstraints(StreamReadConstraints.builder()
            .maxNestingDepth(maxDepth).build());
        return mapper;
    }

    static Request parse(byte[] request, ObjectMapper mapper) throws ProtocolException {
        int newline = -1;
        for (int i = 0; i < Math.min(request.length, 128); i++) {
            if (request[i] == '\n') {
                newline = i;
                break;
            }
        }
        if (newline < 0) {
            throw new ProtocolException("no request header line");
        }
        String[] header = new String(request, 0, newline, StandardCharsets.US_ASCII).split(" ");
        if (header.length != 3 || !MAGIC.equals(header[0])) {
            throw new ProtocolException("not a Carapace gate request");
        }
        if (!Integer.toString(VERSION).equals(header[1])) {
            throw new ProtocolException("unsupported gate protocol version " + header[1]);
        }
        if (!STAGE.matcher(header[2]).matches()) {
            throw new ProtocolException("bad stage name");
        }
        JsonNode json;
        try {
            json = mapper.readTree(request, newline + 1, request.length - newline - 1);
        } catch (JacksonException e) {
            throw new ProtocolException("container state is not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new ProtocolException("container state is unreadable: " + e.getMessage());
        }
        return new Request(header[2], state(json));
    }

    /** The OCI state (runtime-spec runtime.md "State"); bundle must be absolute. */
    static ContainerState state(JsonNode json) throws ProtocolException {
        if (json == null || !json.isObject()) {
            throw new ProtocolException("container state is not a JSON object");
        }
        String id = text(json, "id", true);
        String bundle = text(json, "bundle", true);
        Map<String, String> annotations = new LinkedHashMap<>();
        JsonNode a = json.get("annotations");
        if (a != null && !a.isNull()) {
            if (!a.isObject()) {
                throw new ProtocolException("annotations must be an object");
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = a.fields(); it.hasNext();) {
                Map.Entry<String, JsonNode> e = it.next();
                if (!e.getValue().isTextual()) {
                    throw new ProtocolException("annotation " + e.getKey() + " is not a string");
                }
                annotations.put(e.getKey(), e.getValue().asText());
            }
        }
        JsonNode pid = json.get("pid");
        if (pid != null && !pid.isNull() && !pid.canConvertToLong()) {
            throw new ProtocolException("pid is not a number");
        }
        try {
            return new ContainerState(textOr(json, "ociVersion", ""), id, textOr(json, "status", ""),
                pid == null || pid.isNull() ? 0 : pid.asLong(), Path.of(bundle), annotations);
        } catch (IllegalArgumentException e) {
            throw new ProtocolException("invalid container state: " + e.getMessage());
        }
    }

    private static String text(JsonNode json, String field, boolean required) throws ProtocolException {
        JsonNode node = json.get(field);
        if (node == null || node.isNull()) {
            if (required) {
                throw new ProtocolException("container state has no \"" + field + "\"");
            }
            return null;
        }
        if (!node.isTextual()) {
            throw new ProtocolException("\"" + field + "\" is not a string");
        }
        return node.asText();
    }

    private static String textOr(JsonNode json, String field, String fallback) throws ProtocolException {
        String value = text(json, field, false);
        return value == null ? fallback : value;
    }

    /** The one answer line for a decision. */
    static byte[] answer(GateDecision decision) {
        StringBuilder text = new StringBuilder(256);
        text.append(decision.verdict().name()).append(' ');
        decision.imageName().ifPresent(name -> text.append("image ").append(name).append(": "));
        text.append(decision.reason());
        if (!decision.differences().isEmpty()) {
            text.append("; differs at ").append(String.join(", ", decision.differences()));
        }
        return line(text.toString());
    }

    /** A refusal line for failures before any decision. */
    static byte[] refusal(String reason) {
        return line("REFUSE " + reason);
    }

    /** Printable ASCII only (the text reaches terminals through runc's error), one line, at most MAX_ANSWER bytes. */
    private static byte[] line(String text) {
        int room = MAX_ANSWER - 1; // the newline
        boolean truncated = text.length() > room;
        int keep = truncated ? room - 3 : text.length();
        StringBuilder clean = new StringBuilder(keep + 4);
        for (int i = 0; i < keep; i++) {
            char c = text.charAt(i);
            clean.append(c >= 0x20 && c < 0x7f ? c : '?');
        }
        if (truncated) {
            clean.append("...");
        }
        clean.append('\n');
        return clean.toString().getBytes(StandardCharsets.US_ASCII);
    }
}
