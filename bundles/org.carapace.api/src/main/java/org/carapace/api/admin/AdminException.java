package org.carapace.api.admin;

/**
 * A command could not be carried out. The {@link #code()} tells the client how to react.
 */
public class AdminException extends Exception {
    private static final long serialVersionUID = 1L;

    /** What kind of failure this is; the CLI maps these onto its exit codes. */
    public enum Code {
        /** The request was malformed or named something unknown (CLI exit 2). */
        BAD_REQUEST,
        /** A check failed: a signature, a version, a digest (CLI exit 1). */
        CHECK_FAILED,
        /** Something inside the runtime went wrong (CLI exit 2). */
        INTERNAL
    }

    private final Code code;

    public AdminException(Code code, String message) {
        super(message);
        this.code = code;
    }

    public AdminException(Code code, String message, Throwable cause) {
        super(message, cause);
        this.code = code;
    }

    public Code code() {
        return code;
    }
}
