package org.carapace.dashboard.internal;

/** The schema cannot be brought to the version this build knows (e.g. the database is newer, or a script failed). */
public class MigrationException extends StoreException {
    private static final long serialVersionUID = 1L;

    private final int databaseVersion;
    private final int knownVersion;

    public MigrationException(String message, int databaseVersion, int knownVersion) {
        super(message + " (database at version " + databaseVersion + ", this build knows up to " + knownVersion + ")");
        this.databaseVersion = databaseVersion;
        this.knownVersion = knownVersion;
    }

    public int databaseVersion() {
        return databaseVersion;
    }

    public int knownVersion() {
        return knownVersion;
    }
}
