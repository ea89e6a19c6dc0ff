package org.carapace.cli;

/**
 * A command ended with a defined, non-zero exit code and one line for the user.
 *
 * <p>Exit codes every command follows: 0 success; 1 a check failed (verification failed, image refused,
 * signature bad); 2 bad usage or unreadable input (also: the runtime could not be reached).
 */
public class CliException extends Exception {
    private static final long serialVersionUID = 1L;

    public static final int CHECK_FAILED = 1;
    public static final int USAGE = 2;

    private final int exitCode;

    public CliException(int exitCode, String message) {
        super(message);
        this.exitCode = exitCode;
    }

    public CliException(int exitCode, String message, Throwable cause) {
        super(message, cause);
        this.exitCode = exitCode;
    }

    public int exitCode() {
        return exitCode;
    }

    /** A check failed: exit code 1. */
    public static CliException checkFailed(String message) {
        return new CliException(CHECK_FAILED, message);
    }

    /** Bad usage or unreadable input: exit code 2. */
    public static CliException usage(String message) {
        return new CliException(USAGE, message);
    }
}
