package org.carapace.api.trust;

import java.util.EnumSet;
import java.util.Set;

/**
 * A document could not be read: not JSON, ambiguous JSON (duplicate keys), trailing bytes, truncated, too deep or
 * too long, or JSON that breaks the schema. The message names the document and, for schema errors, the field.
 */
public class MalformedDocumentException extends TrustException {
    private static final long serialVersionUID = 1L;

    private static final Set<Reason> ALLOWED = EnumSet.of(Reason.MALFORMED, Reason.DUPLICATE_KEY, Reason.TRAILING_DATA,
        Reason.TRUNCATED, Reason.TOO_LARGE, Reason.LIMIT_EXCEEDED, Reason.SCHEMA);

    private final String document;
    private final String detail;

    /**
     * @param reason one of MALFORMED, DUPLICATE_KEY, TRAILING_DATA, TRUNCATED, TOO_LARGE, LIMIT_EXCEEDED, SCHEMA
     * @param document what was being read, for example {@code policy envelope}
     * @param detail what was wrong, for example {@code images[3].rootfsDigest: not a sha256 digest}
     */
    public MalformedDocumentException(Reason reason, String document, String detail) {
        super(checked(reason), document + ": " + detail);
        this.document = document;
        this.detail = detail;
    }

    public MalformedDocumentException(Reason reason, String document, String detail, Throwable cause) {
        super(checked(reason), document + ": " + detail, cause);
        this.document = document;
        this.detail = detail;
    }

    private static Reason checked(Reason reason) {
        if (!ALLOWED.contains(reason)) {
            throw new IllegalArgumentException(reason + " is not a reason for a malformed document");
        }
        return reason;
    }

    /** What was being read. */
    public String document() {
        return document;
    }

    /** What was wrong with it. */
    public String detail() {
        return detail;
    }
}
