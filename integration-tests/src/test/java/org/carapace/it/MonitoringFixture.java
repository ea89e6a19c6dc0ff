package org.carapace.it;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.carapace.monitoring.internal.MosquittoBroker;
import org.carapace.monitoring.internal.TestPki;

/**
 * Driver-side set-up for {@link MonitoringIT}: a throw-away CA, a Mosquitto with a TLS listener that requires a
 * client certificate and a password (for the vehicle), and a plain listener on loopback for the test's back end.
 * Called from the {@code @Configuration} method only, never inside the framework.
 */
final class MonitoringFixture {

    static final String BACKEND_USER = "backend";
    static final String BACKEND_PASSWORD = "b4ckend";

    private MonitoringFixture() {
    }

    /** Starts the broker (stopped when the JVM exits) and answers the runtime's {@code carapace.*} overrides. */
    static Map<String, String> start(Path work) throws Exception {
        Path pki = Files.createDirectories(work.resolve("pki"));
        TestPki ca = new TestPki("Carapace IT CA");
        Path caFile = ca.writeCa(pki, "ca");
        Path[] server = ca.issue("broker", new String[] {"localhost"}, new String[] {"127.0.0.1"}).write(pki, "server");
        Path[] client = ca.issue("it-vehicle-7", new String[0], new String[0]).write(pki, "vehicle");
        Path passwords = work.resolve("passwd");
        Files.deleteIfExists(passwords);
        passwd(passwords, "-c", "vehicle", "v3hicle");
        passwd(passwords, null, BACKEND_USER, BACKEND_PASSWORD);
        Path vehiclePassword = work.resolve("vehicle.password");
        Files.writeString(vehiclePassword, "v3hicle\n");
        MosquittoBroker broker = MosquittoBroker.start(work.resolve("broker"), "cafile " + caFile, "certfile " + server[0],
            "keyfile " + server[1], "require_certificate true", "listener {port2} 127.0.0.1", "password_file " + passwords);
        Runtime.getRuntime().addShutdownHook(new Thread(broker::close));
        Map<String, String> overrides = new LinkedHashMap<>();
        overrides.put("carapace.monitoring.broker", broker.url("ssl"));
        overrides.put("carapace.monitoring.caFile", caFile.toString());
        overrides.put("carapace.monitoring.clientCertFile", client[0].toString());
        overrides.put("carapace.monitoring.clientKeyFile", client[1].toString());
        overrides.put("carapace.monitoring.username", "vehicle");
        overrides.put("carapace.monitoring.passwordFile", vehiclePassword.toString());
        overrides.put("carapace.it.backendBroker", "tcp://127.0.0.1:" + broker.secondPort());
        return overrides;
    }

    private static void passwd(Path file, String create, String user, String password) throws Exception {
        ProcessBuilder builder = create == null
            ? new ProcessBuilder("mosquitto_passwd", "-b", file.toString(), user, password)
            : new ProcessBuilder("mosquitto_passwd", "-b", create, file.toString(), user, password);
        Process process = builder.redirectErrorStream(true).start();
        if (process.waitFor() != 0) {
            throw new IllegalStateException("mosquitto_passwd failed: " + new String(process.getInputStream().readAllBytes()));
        }
    }
}
