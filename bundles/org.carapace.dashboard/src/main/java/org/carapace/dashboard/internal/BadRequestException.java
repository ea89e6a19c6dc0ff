package org.carapace.dashboard.internal;

/** A request the API refuses: a bad parameter, a body too large, a range beyond the configured limits. */
public class BadRequestException extends DashboardException {
    private static final long serialVersionUID = 1L;

    private final int status;
    private final String parameter;

    public BadRequestException(int status, String parameter, String message) {
        super(message);
        this.status = status;
        this.parameter = parameter;
    }

    public BadRequestException(String parameter, String message) {
        this(400, parameter, message);
    }

    /** The HTTP status to answer with (400, 401, 403, 404, 413, 429, 503). */
    public int status() {
        return status;
    }

    /** The parameter that was wrong, or {@code null}. */
    public String parameter() {
        return parameter;
    }
}
