package org.carapace.api.ota;

import java.util.Objects;

/**
 * An update package was refused, or an update failed and was rolled back. {@link #reason()} is the stable,
 * machine-readable code that status output, security events and the CLI report; the message names the package
 * member or bundle that was wrong. Whatever was installed before stays installed, and no counter moves.
 */
public class OtaException extends Exception {
    private static final long serialVersionUID = 1L;

    /** Why. Codes are stable: they appear in events and in scripts' output. */
    public enum Reason {
        /** Not a package: not a ZIP archive, metadata not JSON or not the schema, a required member missing. */
        MALFORMED,
        /** The archive, its metadata or one of its jars is larger than the configured limit. */
        TOO_LARGE,
        /** An archive member whose name could escape the staging directory (absolute, {@code ..}, backslash, NUL). */
        PATH_TRAVERSAL,
        /** An archive member the metadata does not list, or one listed twice. */
        UNEXPECTED_ENTRY,
        /** The metadata's signatures do not meet the OTA role's threshold; {@link #getCause()} is the trust refusal. */
        SIGNATURE,
        /** A jar's SHA-256 differs from the metadata's. */
        HASH_MISMATCH,
        /** A jar's length differs from the metadata's. */
        LENGTH_MISMATCH,
        /** A jar's manifest names another symbolic name or version than the metadata. */
        MANIFEST_MISMATCH,
        /** The package has expired (freeze attack). */
        EXPIRED,
        /** The package is bound to other devices. */
        WRONG_DEVICE,
        /** The package is bound to other hardware. */
        WRONG_HARDWARE,
        /** A bundle's release counter is lower than the one installed (downgrade). */
        ROLLBACK,
        /** A bundle's release counter equals the one installed, with other content. */
        REPLAY,
        /** A bundle that is not installed, may not be updated (the installer itself, the API), or whose version would not grow. */
        NOT_UPDATABLE,
        /** The new set of bundles would not resolve: an import nobody exports, or a consumer that would lose its package. */
        UNRESOLVABLE,
        /** A new bundle did not become active, a component of it is not satisfied, or its self-test failed. */
        HEALTH_CHECK_FAILED,
        /** The package or the installer's state could not be read or written. */
        STORAGE,
        /** A command's package location is not one of the configured sources (scheme, host, port or path), since 1.1. */
        SOURCE_NOT_ALLOWED,
        /** A command's package could not be fetched: connection, HTTP status, timeout, since 1.1. */
        DOWNLOAD_FAILED
    }

    private final Reason reason;

    public OtaException(Reason reason, String message) {
        super(message);
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    public OtaException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    /** The refusal's code. */
    public Reason reason() {
        return reason;
    }
}
