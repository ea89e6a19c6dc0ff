package org.carapace.platform.internal;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.util.Map;

/**
 * The administration socket's wire format, shared by server and client: one UTF-8 JSON object terminated by a
 * newline in each direction, one exchange per connection.
 *
 * <pre>
 * request:  {"command": "status", "arguments": {...}}
 * answer:   {"ok": true, "result": {...}}
 *           {"ok": false, "error": {"code": "BAD_REQUEST" | "CHECK_FAILED" | "INTERNAL", "message": "..."}}
 * </pre>
 */
public final class AdminProtocol {

    /** File name of the socket inside the platform's run directory. */
    public static final String SOCKET_NAME = "admin.sock";

    /** Default ceiling on one request or answer line. */
    public static final int DEFAULT_MAX_BYTES = 4 * 1024 * 1024;

    private AdminProtocol() {
    }

    /** A JSON mapper that refuses duplicate keys, trailing tokens and absurd nesting. */
    public static ObjectMapper mapper() {
        JsonMapper mapper = JsonMapper.builder()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();
        mapper.getFactory().setStreamReadConstraints(StreamReadConstraints.builder()
            .maxNestingDepth(64).maxStringLength(DEFAULT_MAX_BYTES).build());
        return mapper;
    }

    /**
     * Reads bytes up to the first newline.
     *
     * @throws IOException when the peer closes first or the line exceeds {@code maxBytes}
     */
    public static byte[] readLine(ReadableByteChannel channel, int maxBytes) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream(512);
        ByteBuffer buffer = ByteBuffer.allocate(8192);
        while (true) {
            buffer.clear();
            int n = channel.read(buffer);
            if (n < 0) {
                throw new IOException("connection closed before a complete line (" + line.size() + " bytes read)");
            }
            for (int i = 0; i < n; i++) {
                byte b = buffer.get(i);
                if (b == '\n') {
                    return line.toByteArray();
                }
                if (line.size() >= maxBytes) {
                    throw new IOException("line longer than " + maxBytes + " bytes");
                }
                line.write(b);
            }
        }
    }

    /** Writes a JSON object followed by a newline. */
    public static void writeLine(WritableByteChannel channel, ObjectMapper mapper, Map<String, Object> message)
        throws IOException {
        byte[] json = mapper.writeValueAsBytes(message);
        ByteBuffer buffer = ByteBuffer.allocate(json.length + 1).put(json).put((byte) '\n').flip();
        while (buffer.hasRemaining()) {
            channel.write(buffer);
        }
    }
}
