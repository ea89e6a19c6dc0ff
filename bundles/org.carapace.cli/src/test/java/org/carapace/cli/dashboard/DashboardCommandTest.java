package org.carapace.cli.dashboard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.Map;
import org.carapace.api.events.Severity;
import org.carapace.api.monitoring.EventKeyFile;
import org.carapace.cli.Main;
import org.carapace.monitoring.internal.MosquittoBroker;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code carapace dashboard} ingesting from a real Mosquitto into its default embedded database. */
class DashboardCommandTest {

    static final EventKeyFile MASTER = EventKeyFile.generateMasterKey();

    @TempDir
    Path temp;

    private Path masterKey() throws Exception {
        Path file = temp.resolve("master.key");
        if (!java.nio.file.Files.exists(file)) {
            MASTER.write(file);
        }
        return file;
    }

    @Test
    void ingestsVerifiedEventsAndStatusFromMosquitto() throws Exception {
        try (MosquittoBroker broker = MosquittoBroker.start(temp.resolve("broker"));
             DashboardRun dashboard = new DashboardRun(DashboardRun.args(broker, masterKey(), temp.resolve("data")).toArray(String[]::new));
             DashboardRun.Device car = new DashboardRun.Device(broker, "car-1", MASTER)) {
            dashboard.url();
            car.online();
            car.publish("GATE_ALLOWED", "gate", Severity.INFO, Map.of("image", "busybox-demo"));
            car.publish("GATE_REFUSED", "gate", Severity.HIGH, Map.of("image", "busybox-demo", "paths", "/usr/bin/ping"));
            car.publish("SECOC_VERIFICATION_FAILED", "secoc", Severity.HIGH, Map.of("pdu", 17));
            // attack: an event of car-1 sealed with another fleet's key
            try (DashboardRun.Device impostor = new DashboardRun.Device(broker, "car-1", EventKeyFile.generateMasterKey())) {
                impostor.publish("GATE_ALLOWED", "gate", Severity.INFO, Map.of());
            }
            JsonNode overview = dashboard.await("/api/v1/overview", o -> o.get("storedEvents").asLong() == 3
                && o.get("devices").size() == 1 && o.get("devices").get(0).get("rejectedTotal").asLong() == 1
                && "online".equals(o.get("devices").get(0).get("state").asText()));
            JsonNode car1 = overview.get("devices").get(0);
            assertEquals(2, car1.get("severity").get("HIGH").asLong());
            assertEquals("SECOC_VERIFICATION_FAILED", car1.get("lastEvent").get("type").asText());
            JsonNode refused = dashboard.get("/api/v1/events?type=GATE_REFUSED");
            assertEquals("/usr/bin/ping", refused.get("events").get(0).get("context").get("paths").asText());
            assertTrue(dashboard.get("/api/v1/events").get("events").size() == 3, "the forged event was not stored");
        }
    }

    @Test
    void instancesOfAShareGroupSplitTheFleetIntoOneDatabase() throws Exception {
        // two dashboards of one share group on one database (an H2 file opened twice in this JVM stands in for PostgreSQL)
        String db = "jdbc:h2:file:" + temp.resolve("shared").toAbsolutePath() + ";DB_CLOSE_ON_EXIT=FALSE";
        try (MosquittoBroker broker = MosquittoBroker.start(temp.resolve("broker"));
             DashboardRun a = new DashboardRun(DashboardRun.args(broker, masterKey(), temp.resolve("a"), "--share-group", "fleet",
                 "--db", db).toArray(String[]::new));
             DashboardRun b = new DashboardRun(DashboardRun.args(broker, masterKey(), temp.resolve("b"), "--share-group", "fleet",
                 "--db", db).toArray(String[]::new));
             DashboardRun.Device car = new DashboardRun.Device(broker, "car-7", MASTER)) {
            a.url();
            b.url();
            for (int i = 0; i < 40; i++) {
                car.publish("GATE_ALLOWED", "gate", Severity.INFO, Map.of("n", i));
            }
            a.await("/api/v1/overview", o -> o.get("storedEvents").asLong() == 40);
            long first = a.get("/api/v1/overview").get("ingest").get("stored").asLong();
            long second = b.get("/api/v1/overview").get("ingest").get("stored").asLong();
            assertEquals(40, first + second);
            assertTrue(first > 0 && second > 0, "each instance took part: " + first + " + " + second);
        }
    }

    @Test
    void refusesToListenBeyondLoopbackWithoutUsers() throws Exception {
        StringWriter err = new StringWriter();
        int code = Main.run(new String[] {"dashboard", "--broker", "tcp://127.0.0.1:1", "--key", masterKey().toString(), "--listen",
            "0.0.0.0:0", "--data-dir", temp.toString()}, new PrintWriter(new StringWriter()), new PrintWriter(err, true));
        assertEquals(2, code);
        assertTrue(err.toString().contains("without login"), err.toString());
    }

    @Test
    void passwdWritesAPrivateUsersFileThatTheDashboardAccepts() throws Exception {
        // regression: "dashboard passwd" was refused for want of the parent command's --broker and --key
        Path users = temp.resolve("users");
        java.io.InputStream stdin = System.in;
        StringWriter out = new StringWriter();
        int code;
        try {
            System.setIn(new java.io.ByteArrayInputStream("a long enough password\n".getBytes(java.nio.charset.StandardCharsets.UTF_8)));
            code = Main.run(new String[] {"dashboard", "passwd", "--users", users.toString(), "--user", "alice", "--iterations", "100000"},
                new PrintWriter(out, true), new PrintWriter(new StringWriter(), true));
        } finally {
            System.setIn(stdin);
        }
        assertEquals(0, code, out.toString());
        assertEquals("rw-------",
            java.nio.file.attribute.PosixFilePermissions.toString(java.nio.file.Files.getPosixFilePermissions(users)));
        String line = java.nio.file.Files.readAllLines(users).get(1);
        assertTrue(line.startsWith("alice:pbkdf2-sha256:100000:"), line);
        assertTrue(!java.nio.file.Files.readString(users).contains("a long enough password"), "no password in the file");
        org.carapace.dashboard.internal.Users read = org.carapace.dashboard.internal.Users.read(users);
        assertTrue(read.authenticate("alice", "a long enough password".toCharArray()).isPresent());
        assertTrue(read.authenticate("alice", "a long enough passwore".toCharArray()).isEmpty());
    }

    @Test
    void refusesToStartWithoutBrokerOrKeyOrWithLimitsOutOfRange() throws Exception {
        for (String[] args : new String[][] {{"dashboard", "--key", masterKey().toString()},
            {"dashboard", "--broker", "tcp://127.0.0.1:1", "--key", masterKey().toString(), "--max-context-fields", "65"},
            {"dashboard", "--broker", "tcp://127.0.0.1:1", "--key", masterKey().toString(), "--max-event-size", "10"}}) {
            StringWriter err = new StringWriter();
            assertEquals(2, Main.run(args, new PrintWriter(new StringWriter()), new PrintWriter(err, true)), String.join(" ", args));
            assertTrue(err.toString().contains("--"), err.toString());
        }
    }
}
