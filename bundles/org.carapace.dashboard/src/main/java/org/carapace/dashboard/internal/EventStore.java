package org.carapace.dashboard.internal;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The dashboard's database through plain JDBC: H2 (embedded file database) or PostgreSQL, the same SQL for both.
 * Readers borrow connections from a small pool; one writer ({@link #write}) stores batches. The schema is brought up
 * to date by {@link Migrations} when the store opens. Thread-safe.
 */
public final class EventStore implements AutoCloseable {

    /** A unique constraint was violated (the same in H2 and PostgreSQL). */
    static final String UNIQUE_VIOLATION = "23505";

    private static final String COLUMNS = "id, device_id, seq, boot, event_ms, received_ms, event_def_id, type, category, sensor, "
        + "severity, event_count, message, context_json, truncated, late";

    /** A device's retained status message, as received. */
    public record Status(String deviceId, String state, String boot, String time, String reason, long receivedMs) {
    }

    /** What one writer batch holds. */
    public record Batch(List<StoredEvent> events, List<Status> statuses, Map<String, Map<String, Long>> counters) {
    }

    /** What the writer stored: the events with their ids, and those the database already held. */
    public record Written(List<StoredEvent> stored, int alreadyStored) {
    }

    /** Event counts (sum of {@code count}) per type and time bucket. */
    public record Timeline(long fromMs, long toMs, long bucketMs, Map<String, Map<Long, Long>> series) {
    }

    private final String url;
    private final Properties credentials;
    private final BlockingQueue<Connection> idle;
    private final int poolSize;
    private final Clock clock;
    private final Set<String> knownDevices = new HashSet<>();
    private final Set<String> knownCounters = new HashSet<>();
    private final Connection writer;
    private final String product;
    private int open;
    private boolean closed;

    private EventStore(String url, Properties credentials, int poolSize, Clock clock) throws SQLException {
        this.url = url;
        this.credentials = credentials;
        this.poolSize = poolSize;
        this.idle = new ArrayBlockingQueue<>(poolSize);
        this.clock = clock;
        this.writer = DriverManager.getConnection(url, credentials);
        this.product = writer.getMetaData().getDatabaseProductName();
    }

    /**
     * Opens the database and migrates its schema.
     *
     * @param url a JDBC URL ({@code jdbc:h2:file:...} or {@code jdbc:postgresql://...})
     * @param user the database user, or {@code null}
     * @param password the password, or {@code null}
     * @param poolSize connections for readers (1 to 64)
     * @throws StoreException if it cannot be opened or migrated
     */
    public static EventStore open(String url, String user, String password, int poolSize, Clock clock) throws StoreException {
        if (url == null || !url.startsWith("jdbc:h2:") && !url.startsWith("jdbc:postgresql:")) {
            throw new StoreException("the database URL must be jdbc:h2:... or jdbc:postgresql:..., was '" + url + "'");
        }
        if (poolSize < 1 || poolSize > 64) {
            throw new StoreException("the connection pool size must be 1 to 64, was " + poolSize);
        }
        Properties properties = new Properties();
        if (user != null) {
            properties.setProperty("user", user);
        }
        if (password != null) {
            properties.setProperty("password", password);
        }
        EventStore store;
        try {
            store = new EventStore(url, properties, poolSize, clock);
        } catch (SQLException e) {
            throw new StoreException("cannot open the dashboard database " + redacted(url), e);
        }
        try {
            Migrations.bundled(clock).migrate(store.writer);
            store.writer.setAutoCommit(false);
        } catch (StoreException | SQLException e) {
            store.close();
            if (e instanceof StoreException se) {
                throw se;
            }
            throw new StoreException("cannot open the dashboard database " + redacted(url), (SQLException) e);
        }
        return store;
    }

    /** The URL without a password parameter, for messages. */
    static String redacted(String url) {
        return url.replaceAll("(?i)(password=)[^&;]*", "$1***");
    }

    /** The database product ("H2", "PostgreSQL"). */
    public String product() {
        return product;
    }

    /** The schema version. */
    public int schemaVersion() throws StoreException {
        return read(Migrations::current, "read the schema version");
    }

    // ---------------------------------------------------------------------------------------------------- writing

    /**
     * Stores one batch in one transaction: the events (an event whose device and sequence number are already stored
     * is skipped and counted, so a redelivery or a second instance cannot store it twice), the devices' statuses and
     * last events, and the counters. Only the ingest's writer thread calls this.
     */
    public synchronized Written write(Batch batch) throws StoreException {
        try {
            for (StoredEvent e : batch.events()) {
                ensureDevice(e.deviceId());
            }
            for (Status s : batch.statuses()) {
                ensureDevice(s.deviceId());
            }
            for (Map.Entry<String, Map<String, Long>> device : batch.counters().entrySet()) {
                for (String name : device.getValue().keySet()) {
                    ensureCounter(device.getKey(), name);
                }
            }
            // every row this batch may touch exists before its transaction starts: creating one commits or rolls back
            // on its own, which must never happen in the middle of the events' transaction (a rollback there, when
            // another instance created the same row first, took the batch's events with it while its counters stayed)
            for (StoredEvent e : batch.events()) {
                ensureCounter(e.deviceId(), "severity." + e.severity());
            }
            List<StoredEvent> stored = new ArrayList<>(batch.events().size());
            int already = insertEvents(batch.events(), stored);
            Map<String, Map<String, Long>> counters = new TreeMap<>();
            batch.counters().forEach((d, c) -> counters.put(d, new TreeMap<>(c)));
            for (StoredEvent e : stored) {
                counters.computeIfAbsent(e.deviceId(), k -> new TreeMap<>()).merge("severity." + e.severity(), 1L, Long::sum);
            }
            updateDevices(stored, batch.statuses());
            updateCounters(counters);
            writer.commit();
            return new Written(stored, already);
        } catch (SQLException e) {
            try {
                writer.rollback();
            } catch (SQLException ignored) {
                // the original failure is what the caller needs
            }
            throw new StoreException("cannot store " + batch.events().size() + " events", e);
        }
    }

    private int insertEvents(List<StoredEvent> events, List<StoredEvent> stored) throws SQLException {
        if (events.isEmpty()) {
            return 0;
        }
        String sql = "INSERT INTO security_event (device_id, seq, boot, event_ms, received_ms, event_def_id, type, category, sensor, "
            + "severity, event_count, message, context_json, truncated, late) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
        try (PreparedStatement insert = writer.prepareStatement(sql, new String[] {"id"})) {
            for (StoredEvent e : events) {
                bind(insert, e);
                insert.addBatch();
            }
            insert.executeBatch();
            try (ResultSet keys = insert.getGeneratedKeys()) {
                int i = 0;
                while (keys.next()) {
                    stored.add(events.get(i++).withId(keys.getLong(1)));
                }
                if (i != events.size()) {
                    throw new SQLException("the driver returned " + i + " ids for " + events.size() + " rows");
                }
            }
            return 0;
        } catch (SQLException e) {
            if (!isUniqueViolation(e)) {
                throw e;
            }
        }
        // some were stored before (a redelivery after a restart, another instance): one by one, each in its own
        // transaction, so a duplicate does not abort the others (PostgreSQL aborts a transaction on any error)
        writer.rollback();
        stored.clear();
        int already = 0;
        for (StoredEvent e : events) {
            try (PreparedStatement insert = writer.prepareStatement(sql, new String[] {"id"})) {
                bind(insert, e);
                insert.executeUpdate();
                try (ResultSet keys = insert.getGeneratedKeys()) {
                    keys.next();
                    stored.add(e.withId(keys.getLong(1)));
                }
                writer.commit();
            } catch (SQLException failure) {
                writer.rollback();
                if (!isUniqueViolation(failure)) {
                    throw failure;
                }
                already++;
            }
        }
        return already;
    }

    private static boolean isUniqueViolation(SQLException e) {
        for (SQLException s = e; s != null; s = s.getNextException()) {
            if (UNIQUE_VIOLATION.equals(s.getSQLState())) {
                return true;
            }
            if (s.getCause() instanceof SQLException cause && UNIQUE_VIOLATION.equals(cause.getSQLState())) {
                return true;
            }
        }
        return false;
    }

    private static void bind(PreparedStatement p, StoredEvent e) throws SQLException {
        p.setString(1, e.deviceId());
        p.setLong(2, e.seq());
        p.setString(3, e.boot());
        p.setLong(4, e.eventMs());
        p.setLong(5, e.receivedMs());
        p.setInt(6, e.eventDefId());
        p.setString(7, e.type());
        p.setString(8, e.category());
        p.setString(9, e.sensor());
        p.setString(10, e.severity());
        p.setInt(11, e.count());
        p.setString(12, e.message());
        p.setString(13, e.contextJson());
        p.setBoolean(14, e.truncated());
        p.setBoolean(15, e.late());
    }

    /** Creates the device's row if missing, in its own transaction (another instance may create it at the same time). */
    private void ensureDevice(String deviceId) throws SQLException {
        if (knownDevices.contains(deviceId)) {
            return;
        }
        insertIfMissing("INSERT INTO device (device_id) SELECT CAST(? AS VARCHAR(64)) WHERE NOT EXISTS "
            + "(SELECT 1 FROM device WHERE device_id = ?)", deviceId, null);
        knownDevices.add(deviceId);
    }

    private void ensureCounter(String deviceId, String name) throws SQLException {
        String key = deviceId + '\n' + name;
        if (knownCounters.contains(key)) {
            return;
        }
        insertIfMissing("INSERT INTO device_counter (device_id, name, n) SELECT CAST(? AS VARCHAR(64)), CAST(? AS VARCHAR(48)), 0 "
            + "WHERE NOT EXISTS (SELECT 1 FROM device_counter WHERE device_id = ? AND name = ?)", deviceId, name);
        knownCounters.add(key);
    }

    private void insertIfMissing(String sql, String deviceId, String name) throws SQLException {
        try (PreparedStatement p = writer.prepareStatement(sql)) {
            int i = 1;
            p.setString(i++, deviceId);
            if (name != null) {
                p.setString(i++, name);
            }
            p.setString(i++, deviceId);
            if (name != null) {
                p.setString(i, name);
            }
            p.executeUpdate();
            writer.commit();
        } catch (SQLException e) {
            writer.rollback();
            if (!isUniqueViolation(e)) {
                throw e;
            }
        }
    }

    private void updateDevices(List<StoredEvent> stored, List<Status> statuses) throws SQLException {
        Map<String, StoredEvent> last = new LinkedHashMap<>();
        for (StoredEvent e : stored) {
            last.merge(e.deviceId(), e, (a, b) -> b.id() > a.id() ? b : a);
        }
        if (!last.isEmpty()) {
            try (PreparedStatement p = writer.prepareStatement("UPDATE device SET last_event_id = ?, last_seq = ?, last_type = ?, "
                + "last_severity = ?, last_event_ms = ? WHERE device_id = ? AND (last_event_id IS NULL OR last_event_id < ?)")) {
                for (StoredEvent e : last.values()) {
                    p.setLong(1, e.id());
                    p.setLong(2, e.seq());
                    p.setString(3, e.type());
                    p.setString(4, e.severity());
                    p.setLong(5, e.eventMs());
                    p.setString(6, e.deviceId());
                    p.setLong(7, e.id());
                    p.addBatch();
                }
                p.executeBatch();
            }
        }
        if (!statuses.isEmpty()) {
            try (PreparedStatement p = writer.prepareStatement("UPDATE device SET state = ?, boot = ?, status_time = ?, "
                + "status_reason = ?, status_received_ms = ? WHERE device_id = ?")) {
                for (Status s : statuses) {
                    p.setString(1, s.state());
                    p.setString(2, s.boot());
                    p.setString(3, s.time());
                    p.setString(4, s.reason());
                    p.setLong(5, s.receivedMs());
                    p.setString(6, s.deviceId());
                    p.addBatch();
                }
                p.executeBatch();
            }
        }
    }

    private void updateCounters(Map<String, Map<String, Long>> counters) throws SQLException {
        if (counters.isEmpty()) {
            return;
        }
        try (PreparedStatement p = writer.prepareStatement("UPDATE device_counter SET n = n + ? WHERE device_id = ? AND name = ?")) {
            for (Map.Entry<String, Map<String, Long>> device : counters.entrySet()) {
                for (Map.Entry<String, Long> counter : device.getValue().entrySet()) {
                    p.setLong(1, counter.getValue());
                    p.setString(2, device.getKey());
                    p.setString(3, counter.getKey());
                    p.addBatch();
                }
            }
            p.executeBatch();
        }
    }

    // ---------------------------------------------------------------------------------------------------- reading

    /** Events matching the query: newest first, or oldest first after {@code afterId}. */
    public List<StoredEvent> events(EventQuery q) throws StoreException {
        StringBuilder sql = new StringBuilder("SELECT ").append(COLUMNS).append(" FROM security_event WHERE 1 = 1");
        List<Object> args = new ArrayList<>();
        if (q.deviceId() != null) {
            sql.append(" AND device_id = ?");
            args.add(q.deviceId());
        }
        if (q.type() != null) {
            sql.append(" AND type = ?");
            args.add(q.type());
        }
        if (!q.severities().isEmpty()) {
            sql.append(" AND severity IN (").append(String.join(", ", q.severities().stream().map(s -> "?").toList())).append(')');
            q.severities().stream().sorted().forEach(args::add);
        }
        if (q.fromMs() != null) {
            sql.append(" AND event_ms >= ?");
            args.add(q.fromMs());
        }
        if (q.toMs() != null) {
            sql.append(" AND event_ms < ?");
            args.add(q.toMs());
        }
        if (q.beforeId() != null) {
            sql.append(" AND id < ?");
            args.add(q.beforeId());
        }
        if (q.afterId() != null) {
            sql.append(" AND id > ?");
            args.add(q.afterId());
        }
        sql.append(q.afterId() != null ? " ORDER BY id ASC" : " ORDER BY id DESC").append(" LIMIT ").append(q.limit());
        return read(c -> {
            try (PreparedStatement p = c.prepareStatement(sql.toString())) {
                bindAll(p, args);
                List<StoredEvent> out = new ArrayList<>();
                try (ResultSet rs = p.executeQuery()) {
                    while (rs.next()) {
                        out.add(event(rs));
                    }
                }
                return out;
            }
        }, "query events");
    }

    private static void bindAll(PreparedStatement p, List<Object> args) throws SQLException {
        for (int i = 0; i < args.size(); i++) {
            Object a = args.get(i);
            if (a instanceof Long l) {
                p.setLong(i + 1, l);
            } else {
                p.setString(i + 1, (String) a);
            }
        }
    }

    private static StoredEvent event(ResultSet rs) throws SQLException {
        return new StoredEvent(rs.getLong(1), rs.getString(2), rs.getLong(3), rs.getString(4), rs.getLong(5), rs.getLong(6), rs.getInt(7),
            rs.getString(8), rs.getString(9), rs.getString(10), rs.getString(11), rs.getInt(12), rs.getString(13), rs.getString(14),
            rs.getBoolean(15), rs.getBoolean(16));
    }

    /** The devices in id order (at most {@code limit}), with their counters. */
    public List<DeviceRow> devices(String onlyDevice, int limit) throws StoreException {
        return read(c -> {
            Map<String, Map<String, Long>> counters = new TreeMap<>();
            String counterSql = "SELECT device_id, name, n FROM device_counter" + (onlyDevice == null ? "" : " WHERE device_id = ?");
            try (PreparedStatement p = c.prepareStatement(counterSql)) {
                if (onlyDevice != null) {
                    p.setString(1, onlyDevice);
                }
                try (ResultSet rs = p.executeQuery()) {
                    while (rs.next()) {
                        counters.computeIfAbsent(rs.getString(1), k -> new TreeMap<>()).put(rs.getString(2), rs.getLong(3));
                    }
                }
            }
            String sql = "SELECT device_id, state, boot, status_time, status_reason, status_received_ms, last_event_id, last_seq, "
                + "last_type, last_severity, last_event_ms FROM device" + (onlyDevice == null ? "" : " WHERE device_id = ?")
                + " ORDER BY device_id LIMIT " + limit;
            List<DeviceRow> out = new ArrayList<>();
            try (PreparedStatement p = c.prepareStatement(sql)) {
                if (onlyDevice != null) {
                    p.setString(1, onlyDevice);
                }
                try (ResultSet rs = p.executeQuery()) {
                    while (rs.next()) {
                        out.add(new DeviceRow(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5),
                            nullable(rs, 6), nullable(rs, 7), nullable(rs, 8), rs.getString(9), rs.getString(10), nullable(rs, 11),
                            counters.getOrDefault(rs.getString(1), Map.of())));
                    }
                }
            }
            return out;
        }, "query devices");
    }

    /** Counters of messages that named no device (e.g. a topic outside the monitoring tree). */
    public Map<String, Long> fleetCounters() throws StoreException {
        return read(c -> {
            Map<String, Long> out = new TreeMap<>();
            try (PreparedStatement p = c.prepareStatement("SELECT name, n FROM device_counter WHERE device_id = ''");
                 ResultSet rs = p.executeQuery()) {
                while (rs.next()) {
                    out.put(rs.getString(1), rs.getLong(2));
                }
            }
            return out;
        }, "query counters");
    }

    private static Long nullable(ResultSet rs, int column) throws SQLException {
        long v = rs.getLong(column);
        return rs.wasNull() ? null : v;
    }

    /** Sums of {@code count} per type and bucket of {@code bucketMs} in [fromMs, toMs). */
    public Timeline timeline(long fromMs, long toMs, long bucketMs, String deviceId) throws StoreException {
        String sql = "SELECT type, b, SUM(event_count) FROM (SELECT type, event_count, (event_ms - ?) / ? AS b FROM security_event "
            + "WHERE event_ms >= ? AND event_ms < ?" + (deviceId == null ? "" : " AND device_id = ?") + ") t GROUP BY type, b";
        return read(c -> {
            Map<String, Map<Long, Long>> series = new TreeMap<>();
            try (PreparedStatement p = c.prepareStatement(sql)) {
                p.setLong(1, fromMs);
                p.setLong(2, bucketMs);
                p.setLong(3, fromMs);
                p.setLong(4, toMs);
                if (deviceId != null) {
                    p.setString(5, deviceId);
                }
                try (ResultSet rs = p.executeQuery()) {
                    while (rs.next()) {
                        series.computeIfAbsent(rs.getString(1), k -> new TreeMap<>()).put(fromMs + rs.getLong(2) * bucketMs, rs.getLong(3));
                    }
                }
            }
            return new Timeline(fromMs, toMs, bucketMs, series);
        }, "query the timeline");
    }

    /** Stored events in all. */
    public long eventCount() throws StoreException {
        return read(c -> {
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM security_event")) {
                rs.next();
                return rs.getLong(1);
            }
        }, "count events");
    }

    /** The user's saved layout (JSON), if any. */
    public Optional<String> layout(String user) throws StoreException {
        return read(c -> {
            try (PreparedStatement p = c.prepareStatement("SELECT layout_json FROM user_layout WHERE user_name = ?")) {
                p.setString(1, user);
                try (ResultSet rs = p.executeQuery()) {
                    return rs.next() ? Optional.of(rs.getString(1)) : Optional.<String>empty();
                }
            }
        }, "read the layout");
    }

    /** Saves the user's layout (JSON, already validated). */
    public void saveLayout(String user, String json) throws StoreException {
        read(c -> {
            c.setAutoCommit(false);
            try {
                try (PreparedStatement p = c.prepareStatement(
                    "UPDATE user_layout SET layout_json = ?, updated_ms = ? WHERE user_name = ?")) {
                    p.setString(1, json);
                    p.setLong(2, clock.millis());
                    p.setString(3, user);
                    if (p.executeUpdate() == 0) {
                        try (PreparedStatement i = c.prepareStatement(
                            "INSERT INTO user_layout (user_name, layout_json, updated_ms) VALUES (?, ?, ?)")) {
                            i.setString(1, user);
                            i.setString(2, json);
                            i.setLong(3, clock.millis());
                            i.executeUpdate();
                        }
                    }
                }
                c.commit();
                return null;
            } catch (SQLException e) {
                c.rollback();
                throw e;
            } finally {
                c.setAutoCommit(true);
            }
        }, "save the layout");
    }

    // ---------------------------------------------------------------------------------------------------- pool

    private interface Work<T> {
        T run(Connection c) throws SQLException;
    }

    private <T> T read(Work<T> work, String what) throws StoreException {
        Connection c = borrow();
        boolean broken = false;
        try {
            return work.run(c);
        } catch (SQLException e) {
            broken = true;
            throw new StoreException("cannot " + what, e);
        } finally {
            giveBack(c, broken);
        }
    }

    private Connection borrow() throws StoreException {
        Connection c = idle.poll();
        if (c != null) {
            return c;
        }
        synchronized (idle) {
            if (closed) {
                throw new StoreException("the dashboard database is closed");
            }
            if (open < poolSize) {
                try {
                    Connection fresh = DriverManager.getConnection(url, credentials);
                    open++;
                    return fresh;
                } catch (SQLException e) {
                    throw new StoreException("cannot connect to the dashboard database " + redacted(url), e);
                }
            }
        }
        try {
            c = idle.poll(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StoreException("interrupted waiting for a database connection");
        }
        if (c == null) {
            throw new StoreException("no database connection free within 10 s (pool of " + poolSize + ")");
        }
        return c;
    }

    private void giveBack(Connection c, boolean broken) {
        boolean keep;
        try {
            keep = !closed && !c.isClosed() && (!broken || c.isValid(2));
        } catch (SQLException e) {
            keep = false;
        }
        if (keep && idle.offer(c)) {
            return;
        }
        synchronized (idle) {
            open--;
        }
        closeQuietly(c);
    }

    private static void closeQuietly(Connection c) {
        try {
            c.close();
        } catch (SQLException ignored) {
            // closing anyway
        }
    }

    @Override
    public void close() {
        synchronized (idle) {
            closed = true;
        }
        Connection c;
        while ((c = idle.poll()) != null) {
            closeQuietly(c);
        }
        synchronized (this) {
            closeQuietly(writer);
        }
    }
}
