package org.carapace.dashboard.internal;

/** Base of the dashboard's errors: a message that names the input or the resource that was wrong. */
public class DashboardException extends Exception {
    private static final long serialVersionUID = 1L;

    public DashboardException(String message) {
        super(message);
    }

    public DashboardException(String message, Throwable cause) {
        super(message, cause);
    }
}
