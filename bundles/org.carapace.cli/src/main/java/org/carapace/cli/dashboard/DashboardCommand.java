package org.carapace.cli.dashboard;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.carapace.api.monitoring.EventKeyFile;
import org.carapace.api.monitoring.EventKeyFileException;
import org.carapace.api.monitoring.EventStreamChecker;
import org.carapace.api.monitoring.MonitoringTopics;
import org.carapace.api.monitoring.QualifiedEvent;
import org.carapace.api.monitoring.SequenceTracker;
import org.carapace.cli.BrokerOptions;
import org.carapace.cli.CliException;
import org.carapace.cli.events.Subscription;
import org.carapace.dashboard.internal.Dashboard;
import org.carapace.dashboard.internal.DashboardConfig;
import org.carapace.dashboard.internal.DashboardException;
import org.carapace.dashboard.internal.EventStore;
import org.carapace.dashboard.internal.Limits;
import org.carapace.dashboard.internal.Users;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code carapace dashboard}: the fleet security dashboard. Subscribes to the fleet's events and statuses, verifies
 * and stores them (H2 file database by default, PostgreSQL by JDBC URL), and serves the page, the JSON API and the
 * live stream until stopped (SIGTERM, Ctrl-C) or {@code --timeout}.
 */
@Command(name = "dashboard", mixinStandardHelpOptions = true,
    description = {"The fleet security dashboard: a web page and a JSON API fed by MQTT.",
        "Verifies every event (authenticator, device, sequence number) before storing it; forged events are counted, never stored.",
        "Listens on 127.0.0.1:8089 by default; a non-loopback address needs --users (login). See docs/dashboard.md."},
    subcommands = {PasswdCommand.class})
public final class DashboardCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    BrokerOptions brokerOptions;

    // --broker and --key are checked in call(), not by picocli: "dashboard passwd" must not need them
    @Option(names = "--broker", paramLabel = "URL", description = "tcp://HOST:PORT or ssl://HOST:PORT (required).")
    String broker;

    @Option(names = "--key", paramLabel = "FILE",
        description = "Event-authentication key file: a device key (one device) or the fleet master key (any device) (required).")
    Path keyFile;

    @Option(names = "--share-group", paramLabel = "GROUP",
        description = "Share the event subscription with other dashboards of GROUP ($share/GROUP/...) on a clustered broker; "
            + "statuses are received by every instance.")
    String shareGroup;

    @Option(names = "--db", paramLabel = "JDBC_URL",
        description = "jdbc:postgresql://HOST/DB for a fleet, or jdbc:h2:file:PATH. Default: an H2 file database in --data-dir.")
    String db;

    @Option(names = "--db-user", paramLabel = "NAME", description = "Database user.")
    String dbUser;

    @Option(names = "--db-password-file", paramLabel = "FILE", description = "File holding the database password.")
    Path dbPasswordFile;

    @Option(names = "--data-dir", paramLabel = "DIR",
        description = "Where the default H2 database lives (default: $CARAPACE_DATA_DIR/dashboard, else "
            + "~/.local/share/carapace/dashboard).")
    Path dataDir;

    @Option(names = "--listen", paramLabel = "HOST:PORT", defaultValue = "127.0.0.1:8089",
        description = "Address of the web page and API (default ${DEFAULT-VALUE}; port 0 picks a free port).")
    String listen;

    @Option(names = "--users", paramLabel = "FILE",
        description = "Users who may log in (lines written by 'carapace dashboard passwd'); login is then required. "
            + "Required for a non-loopback --listen.")
    Path usersFile;

    @Option(names = "--tls-keystore", paramLabel = "FILE",
        description = "PKCS#12 key store with the server's key and certificate: serve HTTPS.")
    Path tlsKeystore;

    @Option(names = "--tls-password-file", paramLabel = "FILE", description = "File holding the key store's password.")
    Path tlsPasswordFile;

    @Option(names = "--session-hours", paramLabel = "H", defaultValue = "12",
        description = "Login session lifetime (default ${DEFAULT-VALUE}).")
    int sessionHours;

    @Option(names = "--page-size", paramLabel = "N", defaultValue = "500",
        description = "Events per API page at most (default ${DEFAULT-VALUE}).")
    int maxPage;

    @Option(names = "--max-live-clients", paramLabel = "N", defaultValue = "32",
        description = "Live-stream (server-sent events) clients at most (default ${DEFAULT-VALUE}).")
    int maxLiveClients;

    @Option(names = "--max-body", paramLabel = "BYTES", defaultValue = "65536",
        description = "Request body at most (default ${DEFAULT-VALUE}).")
    int maxBody;

    @Option(names = "--max-range-days", paramLabel = "D", defaultValue = "31",
        description = "Timeline range at most (default ${DEFAULT-VALUE}).")
    int maxRangeDays;

    @Option(names = {"--max-event-size", "--max-payload"}, paramLabel = "BYTES", defaultValue = "262144",
        description = "One event's MQTT message at most; larger ones are rejected unread and counted (default ${DEFAULT-VALUE}).")
    int maxPayload;

    @Option(names = "--max-context-fields", paramLabel = "N", defaultValue = "64",
        description = "Context entries stored per event, 1-64; a verified event with more is stored with the first N and marked "
            + "truncated (default ${DEFAULT-VALUE}).")
    int maxContextFields;

    @Option(names = "--max-devices", paramLabel = "N", defaultValue = "10000",
        description = "Devices listed by the overview, and devices whose rejected messages are counted apart, at most "
            + "(default ${DEFAULT-VALUE}).")
    int maxDevices;

    @Option(names = "--window", paramLabel = "N", defaultValue = "65536",
        description = "Anti-replay window: recent sequence numbers remembered per device (default ${DEFAULT-VALUE}).")
    int window;






    @Option(names = "--client-id", paramLabel = "ID",
        description = "A fixed MQTT client id with a persistent session: the broker keeps QoS 1 events while the dashboard is away.")
    String clientId;

    @Option(names = "--timeout", paramLabel = "S", description = "Stop after S seconds (default: run until stopped).")
    Long timeoutSeconds;

    @Override
    public Integer call() throws Exception {
        if (broker == null || keyFile == null) {
            throw CliException.usage("carapace dashboard needs --broker and --key (see carapace dashboard --help)");
        }
        brokerOptions.check(broker);
        if (shareGroup != null && !MonitoringTopics.isName(shareGroup)) {
            throw CliException.usage("--share-group must be a plain group name, was '" + shareGroup + "'");
        }
        if ((tlsKeystore == null) != (tlsPasswordFile == null)) {
            throw CliException.usage("--tls-keystore and --tls-password-file go together");
        }
        if (window < 1 || sessionHours < 1 || maxPage < 1 || maxLiveClients < 1 || maxBody < 1024 || maxRangeDays < 1 || maxPayload < 1024
            || maxDevices < 1 || (timeoutSeconds != null && timeoutSeconds < 1)) {
            throw CliException.usage("--window, --session-hours, --page-size, --max-live-clients, --max-range-days, --max-devices and "
                + "--timeout must be positive; --max-body and --max-event-size at least 1024");
        }
        if (maxContextFields < 1 || maxContextFields > QualifiedEvent.MAX_CONTEXT_ENTRIES) {
            throw CliException.usage("--max-context-fields must be 1 to " + QualifiedEvent.MAX_CONTEXT_ENTRIES + ", was "
                + maxContextFields);
        }
        EventKeyFile key;
        try {
            key = EventKeyFile.read(keyFile);
        } catch (EventKeyFileException e) {
            throw CliException.usage("--key: " + e.getMessage());
        }
        Users users = null;
        if (usersFile != null) {
            try {
                users = Users.read(usersFile);
            } catch (DashboardException e) {
                throw CliException.usage("--users: " + e.getMessage());
            }
        }
        Limits limits = new Limits(Math.min(100, maxPage), maxPage, maxBody, maxLiveClients, 1024, maxRangeDays * 24L * 3600_000, 1000,
            maxDevices, 8);
        DashboardConfig config = new DashboardConfig(address(listen), users, tls(), sessionHours * 3600_000L, limits);
        try {
            config.validate();
        } catch (DashboardException e) {
            throw CliException.usage(e.getMessage());
        }
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Clock clock = Clock.systemUTC();
        String url = db != null ? db : "jdbc:h2:file:" + dataDirectory().resolve("dashboard").toAbsolutePath()
            + ";DB_CLOSE_ON_EXIT=FALSE";
        String dbPassword = dbPasswordFile == null ? null : Files.readString(dbPasswordFile, StandardCharsets.UTF_8).strip();
        EventStore store;
        try {
            store = EventStore.open(url, dbUser, dbPassword, 4, clock);
        } catch (DashboardException e) {
            throw CliException.usage(e.getMessage());
        }
        EventStreamChecker checker = new EventStreamChecker(key.verifier(), new SequenceTracker(window), shareGroup == null);
        Dashboard dashboard;
        try {
            dashboard = Dashboard.start(store, checker, config, new Dashboard.IngestLimits(10_000, 500, maxPayload, maxContextFields),
                clock);
        } catch (DashboardException | IOException e) {
            store.close();
            throw CliException.usage("cannot start the dashboard on " + listen + ": " + e.getMessage());
        }
        List<String> filters = new ArrayList<>();
        String events = MonitoringTopics.eventsFilter(MonitoringTopics.ANY_DEVICE);
        filters.add(shareGroup == null ? events : MonitoringTopics.shared(shareGroup, events));
        filters.add(MonitoringTopics.statusFilter(MonitoringTopics.ANY_DEVICE));
        Subscription subscription = new Subscription(broker, clientId != null ? clientId : "carapace-dashboard-" + UUID.randomUUID(),
            mqttOptions(), filters, (topic, message) -> {
                try {
                    dashboard.accept(topic, message.getPayload());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, (kind, message, reconnect) -> {
                synchronized (err) {
                    err.println("carapace dashboard: mqtt " + kind + ": " + message);
                    err.flush();
                }
            });
        CountDownLatch stopped = new CountDownLatch(1);
        Thread onSignal = new Thread(() -> {
            subscription.close();
            dashboard.close();
            stopped.countDown();
        }, "carapace-dashboard-stop");
        try {
            subscription.start();
        } catch (MqttException e) {
            dashboard.close();
            throw new CliException(CliException.USAGE, "cannot connect to " + broker + ": " + e
                + (e.getCause() == null ? "" : " (" + e.getCause() + ")"), e);
        }
        Runtime.getRuntime().addShutdownHook(onSignal);
        out.println("carapace dashboard: " + dashboard.url() + " (database " + store.product() + ", broker " + broker + ")");
        out.flush();
        try {
            if (timeoutSeconds != null) {
                stopped.await(timeoutSeconds, TimeUnit.SECONDS);
            } else {
                stopped.await();
            }
        } catch (InterruptedException e) {
            // stopped by the embedding program (tests): shut down as on a signal
            Thread.interrupted();
        }
        try {
            Runtime.getRuntime().removeShutdownHook(onSignal);
        } catch (IllegalStateException shuttingDown) {
            return 0; // the hook is stopping everything
        }
        subscription.close();
        dashboard.ingest().drain(5_000);
        dashboard.close();
        return 0;
    }

    private Path dataDirectory() throws IOException {
        Path dir = dataDir;
        if (dir == null) {
            String env = System.getenv("CARAPACE_DATA_DIR");
            dir = env != null && !env.isBlank() ? Path.of(env, "dashboard")
                : Path.of(System.getProperty("user.home"), ".local", "share", "carapace", "dashboard");
        }
        Files.createDirectories(dir);
        return dir;
    }

    static InetSocketAddress address(String hostPort) throws CliException {
        int colon = hostPort.lastIndexOf(':');
        if (colon < 1) {
            throw CliException.usage("--listen must be HOST:PORT, was '" + hostPort + "'");
        }
        String host = hostPort.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port;
        try {
            port = Integer.parseInt(hostPort.substring(colon + 1));
        } catch (NumberFormatException e) {
            port = -1;
        }
        if (port < 0 || port > 65535) {
            throw CliException.usage("--listen needs a port 0-65535, was '" + hostPort + "'");
        }
        try {
            return new InetSocketAddress(InetAddress.getByName(host), port);
        } catch (UnknownHostException e) {
            throw CliException.usage("--listen: unknown host '" + host + "'");
        }
    }

    private SSLContext tls() throws CliException {
        if (tlsKeystore == null) {
            return null;
        }
        try (InputStream in = Files.newInputStream(tlsKeystore)) {
            char[] password = Files.readString(tlsPasswordFile, StandardCharsets.UTF_8).strip().toCharArray();
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(in, password);
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(store, password);
            SSLContext context = SSLContext.getInstance("TLSv1.3");
            context.init(kmf.getKeyManagers(), null, null);
            return context;
        } catch (IOException | GeneralSecurityException e) {
            throw CliException.usage("--tls-keystore " + tlsKeystore + ": " + e.getMessage());
        }
    }

    private MqttConnectOptions mqttOptions() throws CliException, IOException {
        MqttConnectOptions options = new MqttConnectOptions();
        options.setMqttVersion(MqttConnectOptions.MQTT_VERSION_3_1_1);
        options.setCleanSession(clientId == null);
        options.setAutomaticReconnect(false);
        options.setKeepAliveInterval(30);
        options.setConnectionTimeout(10);
        options.setMaxInflight(1000);
        brokerOptions.applyTo(options);
        return options;
    }
}
