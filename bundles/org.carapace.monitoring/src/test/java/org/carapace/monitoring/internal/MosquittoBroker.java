package org.carapace.monitoring.internal;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real Mosquitto on a free port of 127.0.0.1, with the test's extra configuration lines; restartable. Shared
 * with the CLI's back-end tests through this module's test jar.
 */
public final class MosquittoBroker implements AutoCloseable {

    private final Path dir;
    private final int port;
    private final int secondPort;
    private final Path config;
    private Process process;

    private MosquittoBroker(Path dir, int port, int secondPort, Path config) {
        this.dir = dir;
        this.port = port;
        this.secondPort = secondPort;
        this.config = config;
    }

    public static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    /**
     * Starts a broker. The extra lines follow the first listener; {@code {port2}} in them stands for a second free
     * port (for a second listener), {@code {dir}} for the broker's directory. Anonymous clients are allowed unless a
     * line sets a password file.
     */
    public static MosquittoBroker start(Path dir, String... extra) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        int port = freePort();
        int secondPort = freePort();
        List<String> lines = new ArrayList<>();
        lines.add("listener " + port + " 127.0.0.1");
        boolean passwords = false;
        boolean persistence = false;
        for (String line : extra) {
            passwords |= line.startsWith("password_file");
            persistence |= line.startsWith("persistence ");
            lines.add(line.replace("{port2}", Integer.toString(secondPort)).replace("{dir}", dir.toString()));
        }
        lines.add("allow_anonymous " + !passwords);
        // run as root, Mosquitto would switch to the "mosquitto" user, which cannot read the test's private files
        lines.add("user " + System.getProperty("user.name"));
        if (!persistence) {
            lines.add("persistence false");
        }
        lines.add("log_type error");
        lines.add("log_type warning");
        lines.add("log_type notice");
        Path config = dir.resolve("mosquitto-" + port + ".conf");
        Files.write(config, lines);
        MosquittoBroker broker = new MosquittoBroker(dir, port, secondPort, config);
        broker.launch();
        return broker;
    }

    public int secondPort() {
        return secondPort;
    }

    private void launch() throws IOException, InterruptedException {
        process = new ProcessBuilder("mosquitto", "-c", config.toString())
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("mosquitto-" + port + ".log").toFile()))
            .start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IOException("mosquitto exited with " + process.exitValue() + ": " + log());
            }
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return;
            } catch (IOException notYet) {
                Thread.sleep(20);
            }
        }
        throw new IOException("mosquitto did not listen on " + port + ": " + log());
    }

    public String log() throws IOException {
        Path log = dir.resolve("mosquitto-" + port + ".log");
        return Files.exists(log) ? Files.readString(log) : "";
    }

    public int port() {
        return port;
    }

    public String url(String scheme) {
        return scheme + "://127.0.0.1:" + port;
    }

    /** Stops the broker (SIGTERM) and waits for it. */
    public void stop() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroy();
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
            }
        }
    }

    /** Starts again on the same port with the same configuration. */
    public void restart() throws IOException, InterruptedException {
        stop();
        launch();
    }

    @Override
    public void close() {
        try {
            stop();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
