package org.carapace.api.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import org.carapace.api.trust.DocumentTooLargeException;
import org.carapace.api.trust.MalformedDocumentException;
import org.carapace.api.trust.TrustException.Reason;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The JSON reader refuses every ambiguity with the reason that names it. */
class StrictJsonTest {

    private final StrictJson json = new StrictJson(1024, 4);

    private Reason refusal(String text) {
        return refusal(text.getBytes(StandardCharsets.UTF_8));
    }

    private Reason refusal(byte[] bytes) {
        return assertThrows(MalformedDocumentException.class, () -> json.parseObject(bytes, "test")).reason();
    }

    @Test
    void acceptsAnObjectWithTrailingWhitespace() throws Exception {
        assertEquals(1, json.parseObject("{\"a\": 1}\n \t\r\n".getBytes(StandardCharsets.UTF_8), "test").get("a").intValue());
    }

    @Test
    @DisplayName("json/duplicate-keys")
    void duplicateKeys() {
        assertEquals(Reason.DUPLICATE_KEY, refusal("{\"a\": 1, \"a\": 2}"));
        assertEquals(Reason.DUPLICATE_KEY, refusal("{\"o\": {\"b\": true, \"b\": false}}"));
    }

    @Test
    @DisplayName("json/trailing-garbage")
    void trailingGarbage() {
        assertEquals(Reason.TRAILING_DATA, refusal("{\"a\": 1} x"));
        assertEquals(Reason.TRAILING_DATA, refusal("{\"a\": 1}{\"a\": 2}"));
        assertEquals(Reason.TRAILING_DATA, refusal("{\"a\": 1}\"unterminated"));
        assertEquals(Reason.TRAILING_DATA, refusal("{\"a\": 1}]"));
    }

    @Test
    @DisplayName("json/truncated")
    void truncated() {
        assertEquals(Reason.TRUNCATED, refusal("{\"a\": [1, 2"));
        assertEquals(Reason.TRUNCATED, refusal("{\"a\": \"x"));
        assertEquals(Reason.TRUNCATED, refusal(""));
        assertEquals(Reason.TRUNCATED, refusal("   "));
    }

    @Test
    @DisplayName("json/huge-document")
    void hugeDocument() {
        DocumentTooLargeException e = assertThrows(DocumentTooLargeException.class,
            () -> json.parseObject(new byte[1025], "test"));
        assertEquals(1025, e.size());
        assertEquals(1024, e.limit());
        assertEquals(Reason.TOO_LARGE, e.reason());
    }

    @Test
    @DisplayName("json/deep-nesting")
    void deepNesting() {
        assertEquals(Reason.LIMIT_EXCEEDED, refusal("{\"a\": [[[[[1]]]]]}"));
    }

    @Test
    void malformedEncodingAndSyntax() {
        assertEquals(Reason.MALFORMED, refusal(new byte[] {'{', '"', (byte) 0xc3, '"', ':', '1', '}'}));
        assertEquals(Reason.MALFORMED, refusal(new byte[] {(byte) 0xef, (byte) 0xbb, (byte) 0xbf, '{', '}'}));
        assertEquals(Reason.MALFORMED, refusal("{a: 1}"));
        assertEquals(Reason.MALFORMED, refusal("{\"a\": 01}"));
        assertEquals(Reason.MALFORMED, refusal("{\"a\": NaN}"));
        assertEquals(Reason.SCHEMA, refusal("[1]"));
        assertEquals(Reason.SCHEMA, refusal("\"text\""));
    }
}
