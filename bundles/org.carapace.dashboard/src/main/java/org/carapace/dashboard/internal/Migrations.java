package org.carapace.dashboard.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A small versioned migration runner: the scripts listed in {@code db/index.txt} ({@code V<n>__<name>.sql}, numbered
 * from 1 without holes) are applied in order in one transaction, each recorded in {@code schema_version}.
 * A database at a higher version than this build knows is refused rather than used.
 */
public final class Migrations {

    private static final String BASE = "db/";
    private static final Pattern NAME = Pattern.compile("V([1-9][0-9]{0,5})__([a-z0-9_]{1,64})\\.sql");

    /** One script. */
    public record Script(int version, String description, String sql) {
    }

    private final List<Script> scripts;
    private final Clock clock;

    Migrations(List<Script> scripts, Clock clock) {
        this.scripts = List.copyOf(scripts);
        this.clock = clock;
        for (int i = 0; i < scripts.size(); i++) {
            if (scripts.get(i).version() != i + 1) {
                throw new IllegalArgumentException("migration " + scripts.get(i).version() + " out of order; expected " + (i + 1));
            }
        }
    }

    /** The scripts shipped in this build. */
    public static Migrations bundled(Clock clock) throws StoreException {
        List<Script> scripts = new ArrayList<>();
        for (String line : resource("index.txt").split("\n")) {
            String name = line.strip();
            if (name.isEmpty() || name.startsWith("#")) {
                continue;
            }
            Matcher m = NAME.matcher(name);
            if (!m.matches()) {
                throw new StoreException("migration index names '" + name + "', not V<n>__<name>.sql");
            }
            scripts.add(new Script(Integer.parseInt(m.group(1)), m.group(2), resource(name)));
        }
        return new Migrations(scripts, clock);
    }

    private static String resource(String name) throws StoreException {
        try (InputStream in = Migrations.class.getResourceAsStream(BASE + name)) {
            if (in == null) {
                throw new StoreException("migration resource " + BASE + name + " is missing from the build");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new StoreException("cannot read migration " + name + ": " + e.getMessage());
        }
    }

    /** The highest version this build knows. */
    public int latest() {
        return scripts.size();
    }

    /**
     * Brings the database to {@link #latest()}.
     *
     * @return the versions applied now (empty when it was current)
     * @throws MigrationException if the database is newer than this build or a script fails
     */
    public List<Integer> migrate(Connection connection) throws StoreException {
        // instances migrating one database at once: an embedded H2 file belongs to one process, so a lock in this JVM
        // serialises them; on PostgreSQL a table lock held until commit does (its DDL is transactional)
        synchronized (Migrations.class) {
            try {
                connection.setAutoCommit(true);
                createVersionTable(connection);
                connection.setAutoCommit(false);
                try {
                    if ("PostgreSQL".equals(connection.getMetaData().getDatabaseProductName())) {
                        try (Statement s = connection.createStatement()) {
                            s.execute("LOCK TABLE schema_version IN EXCLUSIVE MODE");
                        }
                    }
                    int current = current(connection);
                    if (current > latest()) {
                        throw new MigrationException("the dashboard database is newer than this build", current, latest());
                    }
                    List<Integer> applied = new ArrayList<>();
                    for (Script script : scripts.subList(current, scripts.size())) {
                        apply(connection, script, current);
                        applied.add(script.version());
                    }
                    connection.commit();
                    return applied;
                } catch (SQLException | StoreException e) {
                    connection.rollback();
                    throw e;
                } finally {
                    connection.setAutoCommit(true);
                }
            } catch (SQLException e) {
                throw new StoreException("cannot migrate the dashboard database", e);
            }
        }
    }

    private static void createVersionTable(Connection connection) throws SQLException {
        try (Statement s = connection.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL PRIMARY KEY, "
                + "description VARCHAR(64) NOT NULL, applied_ms BIGINT NOT NULL)");
        } catch (SQLException e) {
            // PostgreSQL: a concurrent CREATE TABLE IF NOT EXISTS can still collide in its catalogue; the table exists then
            if (!"23505".equals(e.getSQLState()) && !"42P07".equals(e.getSQLState())) {
                throw e;
            }
        }
    }

    /** The version recorded in the database (0 for an empty one). */
    public static int current(Connection connection) throws SQLException {
        try (Statement s = connection.createStatement(); ResultSet rs = s.executeQuery("SELECT MAX(version) FROM schema_version")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    private void apply(Connection connection, Script script, int current) throws StoreException {
        try {
            try (Statement s = connection.createStatement()) {
                for (String statement : statements(script.sql())) {
                    s.execute(statement);
                }
            }
            try (PreparedStatement record = connection.prepareStatement(
                "INSERT INTO schema_version (version, description, applied_ms) VALUES (?, ?, ?)")) {
                record.setInt(1, script.version());
                record.setString(2, script.description());
                record.setLong(3, clock.millis());
                record.executeUpdate();
            }
        } catch (SQLException e) {
            throw new MigrationException("migration V" + script.version() + "__" + script.description() + " failed: " + e.getMessage(),
                current, latest());
        }
    }

    /** The script's statements: split at ";" ending a line; "--" comment lines dropped. */
    static List<String> statements(String sql) {
        List<String> out = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (String line : sql.split("\n")) {
            String trimmed = line.strip();
            if (trimmed.startsWith("--") || trimmed.isEmpty()) {
                continue;
            }
            if (trimmed.endsWith(";")) {
                current.append(trimmed, 0, trimmed.length() - 1);
                out.add(current.toString().strip());
                current.setLength(0);
            } else {
                current.append(trimmed).append('\n');
            }
        }
        if (!current.toString().isBlank()) {
            out.add(current.toString().strip());
        }
        return out;
    }
}
