package org.carapace.dashboard.internal;

import java.sql.SQLException;

/** The database refused or failed an operation; carries the SQL state when the driver gave one. */
public class StoreException extends DashboardException {
    private static final long serialVersionUID = 1L;

    private final String sqlState;

    public StoreException(String message, SQLException cause) {
        super(message + ": " + cause.getMessage(), cause);
        this.sqlState = cause.getSQLState();
    }

    public StoreException(String message) {
        super(message);
        this.sqlState = null;
    }

    /** The SQL state of the cause, or {@code null}. */
    public String sqlState() {
        return sqlState;
    }
}
