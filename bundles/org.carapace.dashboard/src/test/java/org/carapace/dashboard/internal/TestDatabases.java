package org.carapace.dashboard.internal;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * The databases the store tests run against: an H2 file database always, and PostgreSQL from
 * {@code CARAPACE_TEST_POSTGRES_URL} (bin/test starts a throw-away cluster with bin/test-postgres and exports it). Without
 * that URL the PostgreSQL cases FAIL, unless {@code -Dcarapace.test.postgres=unavailable} says on purpose that this
 * machine has none (a developer box; CI never sets it). Each PostgreSQL case gets a fresh schema.
 */
final class TestDatabases {

    static final String POSTGRES_URL = "CARAPACE_TEST_POSTGRES_URL";

    private TestDatabases() {
    }

    static List<String> kinds() {
        List<String> kinds = new ArrayList<>(List.of("h2"));
        if (!"unavailable".equals(System.getProperty("carapace.test.postgres"))) {
            kinds.add("postgresql");
        }
        return kinds;
    }

    /** A JDBC URL of an empty database of this kind. */
    static String url(String kind, Path temp) throws SQLException {
        if (kind.equals("h2")) {
            return "jdbc:h2:file:" + temp.resolve("db-" + UUID.randomUUID()).toAbsolutePath() + ";DB_CLOSE_ON_EXIT=FALSE";
        }
        String base = System.getenv(POSTGRES_URL);
        if (base == null || base.isBlank()) {
            throw new AssertionError(POSTGRES_URL + " is not set: run the tests through bin/test (it starts a throw-away PostgreSQL), "
                + "or export the URL of bin/test-postgres start DIR; -Dcarapace.test.postgres=unavailable skips PostgreSQL on purpose");
        }
        String schema = "t_" + UUID.randomUUID().toString().replace("-", "");
        try (Connection c = DriverManager.getConnection(base); Statement s = c.createStatement()) {
            s.execute("CREATE SCHEMA " + schema);
        }
        return base + (base.contains("?") ? "&" : "?") + "currentSchema=" + schema;
    }
}
