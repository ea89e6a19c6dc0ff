package org.carapace.api.trust;

import java.util.Objects;

/**
 * A signed document was refused. Each subclass carries the values involved; {@link #reason()} is the stable,
 * machine-readable code that status output, security events and the CLI report.
 *
 * <p>Refusals are final for the document offered: whatever was in force before stays in force.
 */
public abstract class TrustException extends Exception {
    private static final long serialVersionUID = 1L;

    /** Why a document was refused. Codes are stable: they appear in events and in scripts' output. */
    public enum Reason {
        /** Not JSON, not the expected structure, bad base64, or an illegal value. */
        MALFORMED,
        /** A JSON object names the same key twice (an ambiguity two parsers may resolve differently). */
        DUPLICATE_KEY,
        /** Bytes follow the JSON document. */
        TRAILING_DATA,
        /** The document ends before it is complete. */
        TRUNCATED,
        /** The document is larger than the configured limit. */
        TOO_LARGE,
        /** A configured limit other than size was exceeded: nesting, entries, signatures, streams. */
        LIMIT_EXCEEDED,
        /** Well-formed JSON that breaks the document schema; the message names the field. */
        SCHEMA,
        /** The envelope carries another payload type than the one required. */
        WRONG_PAYLOAD_TYPE,
        /** The threshold was not met and signatures name keys that are not keys of the role. */
        UNKNOWN_KEY,
        /** A signature by a key of the role does not verify. */
        BAD_SIGNATURE,
        /** Fewer distinct keys of the role signed than its threshold. */
        THRESHOLD_NOT_MET,
        /** The trust root defines no keys for the role. */
        ROLE_NOT_DEFINED,
        /** The device has no trust root: nothing can be verified. */
        NO_TRUST_ROOT,
        /** The version is older than the highest accepted for its stream. */
        ROLLBACK,
        /** The version equals the highest accepted for its stream but the content differs. */
        REPLAY,
        /** The document (or the root verifying it) has expired. */
        EXPIRED,
        /** The document is bound to other devices. */
        WRONG_DEVICE,
        /** A new root's version is not exactly the current version plus one. */
        ROOT_VERSION,
        /** The signer's role does not permit what the document does (an additional policy revoking, exempting). */
        FORBIDDEN_BY_ROLE
    }

    private final Reason reason;

    protected TrustException(Reason reason, String message) {
        super(message);
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    protected TrustException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    /** The refusal's code. */
    public Reason reason() {
        return reason;
    }
}
