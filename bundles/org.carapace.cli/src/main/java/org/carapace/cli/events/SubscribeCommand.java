package org.carapace.cli.events;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.carapace.api.monitoring.EventKeyFile;
import org.carapace.api.monitoring.EventKeyFileException;
import org.carapace.api.monitoring.EventStreamChecker;
import org.carapace.api.monitoring.MonitoringTopics;
import org.carapace.api.monitoring.QualifiedEvent;
import org.carapace.api.monitoring.SequenceTracker;
import org.carapace.cli.BrokerOptions;
import org.carapace.cli.CliException;
import org.carapace.cli.Output;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code carapace events subscribe}: a back end. Verifies every event's authenticator, checks device, category and
 * sequence number, drops duplicates, reports gaps, and prints one line per finding.
 */
@Command(name = "subscribe", mixinStandardHelpOptions = true,
    description = {"Subscribe to security events as a back end: verify each event's authenticator, drop duplicates by",
        "device and sequence number, report gaps, forged, replayed and misrouted events.",
        "Exit 0 when everything checked out; 1 when an event was rejected, events are missing (gaps no EVENTS_DROPPED",
        "report explains), or --count was not reached; 2 on bad usage or when the broker cannot be reached."})
final class SubscribeCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    Output output;

    @Mixin
    BrokerOptions brokerOptions;

    @Option(names = "--broker", required = true, paramLabel = "URL", description = "tcp://HOST:PORT or ssl://HOST:PORT.")
    String broker;

    @Option(names = "--device", paramLabel = "ID|+", defaultValue = "+", description = "One device, or + for all (default).")
    String device;

    @Option(names = "--share", paramLabel = "GROUP",
        description = "Share the subscription with other consumers of GROUP ($share/GROUP/...): each event goes to one of them. "
            + "Gap detection is off then (a consumer sees only part of each device's stream).")
    String share;

    @Option(names = "--key", required = true, paramLabel = "FILE",
        description = "Event-authentication key file: a device key (one device) or the fleet master key (any device).")
    Path keyFile;

    @Option(names = "--count", paramLabel = "N", description = "Stop after N new events.")
    Long count;

    @Option(names = "--timeout", paramLabel = "S", description = "Stop after S seconds.")
    Long timeoutSeconds;

    @Option(names = "--client-id", paramLabel = "ID",
        description = "A fixed client id with a persistent session: the broker keeps QoS 1 events for this consumer while it is away. "
            + "Default: a random id and a clean session.")
    String clientId;

    @Option(names = "--state", paramLabel = "FILE",
        description = "Remember each device's highest sequence number and open gaps in FILE across runs.")
    Path stateFile;

    @Option(names = "--window", paramLabel = "N", defaultValue = "65536",
        description = "Anti-replay window: recent sequence numbers remembered per device (default ${DEFAULT-VALUE}).")
    int window;

    @Option(names = "--no-status", description = "Do not show the devices' online/offline status.")
    boolean noStatus;

    private final ObjectMapper compact = new ObjectMapper();

    @Override
    public Integer call() throws Exception {
        brokerOptions.check(broker);
        if (!MonitoringTopics.ANY_DEVICE.equals(device) && !MonitoringTopics.isName(device)) {
            throw CliException.usage("--device must be a device id or +, was '" + device + "'");
        }
        if (share != null && !MonitoringTopics.isName(share)) {
            throw CliException.usage("--share must be a plain group name, was '" + share + "'");
        }
        if ((count != null && count < 1) || (timeoutSeconds != null && timeoutSeconds < 1) || window < 1) {
            throw CliException.usage("--count, --timeout and --window must be positive");
        }
        EventKeyFile key;
        try {
            key = EventKeyFile.read(keyFile);
        } catch (EventKeyFileException e) {
            throw CliException.usage("--key: " + e.getMessage());
        }
        SequenceTracker tracker = new SequenceTracker(window);
        if (stateFile != null && Files.exists(stateFile)) {
            tracker.restore(TrackerState.read(stateFile));
        }
        EventStreamChecker checker = new EventStreamChecker(key.verifier(), tracker, share == null);
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        CountDownLatch done = new CountDownLatch(1);

        List<String> filters = new ArrayList<>();
        String events = MonitoringTopics.eventsFilter(device);
        filters.add(share == null ? events : MonitoringTopics.shared(share, events));
        if (!noStatus) {
            filters.add(MonitoringTopics.statusFilter(device));
        }
        String id = clientId != null ? clientId : "carapace-backend-" + UUID.randomUUID();
        MqttConnectOptions options = new MqttConnectOptions();
        options.setMqttVersion(MqttConnectOptions.MQTT_VERSION_3_1_1);
        options.setCleanSession(clientId == null);
        options.setAutomaticReconnect(false);
        options.setKeepAliveInterval(30);
        options.setConnectionTimeout(10);
        options.setMaxInflight(1000);
        brokerOptions.applyTo(options);
        Subscription subscription = new Subscription(broker, id, options, filters, (topic, message) -> {
            for (EventStreamChecker.Finding finding : checker.check(topic, message.getPayload())) {
                print(out, finding, message.isRetained());
            }
            if (count != null && checker.accepted() >= count) {
                done.countDown();
            }
        }, (kind, message, reconnect) -> {
            Map<String, Object> fields = new LinkedHashMap<>();
            fields.put("broker", broker);
            fields.put("message", message);
            fields.put("reconnect", reconnect);
            note(out, err, kind, fields);
        });
        Thread onInterrupt = new Thread(() -> finish(out, err, checker, tracker));
        Runtime.getRuntime().addShutdownHook(onInterrupt);
        try {
            subscription.start();
        } catch (MqttException e) {
            Runtime.getRuntime().removeShutdownHook(onInterrupt);
            throw new CliException(CliException.USAGE, "cannot connect to " + broker + ": " + e
                + (e.getCause() == null ? "" : " (" + e.getCause() + ")"), e);
        }
        boolean reached = timeoutSeconds == null ? awaitForever(done) : done.await(timeoutSeconds, TimeUnit.SECONDS);
        Runtime.getRuntime().removeShutdownHook(onInterrupt);
        subscription.close();
        finish(out, err, checker, tracker);
        boolean countMissed = count != null && !reached;
        boolean gaps = share == null && !checker.unexplainedGaps().isEmpty();
        return checker.rejected() > 0 || gaps || countMissed ? CliException.CHECK_FAILED : 0;
    }

    private static boolean awaitForever(CountDownLatch done) throws InterruptedException {
        done.await();
        return true;
    }

    private synchronized void finish(PrintWriter out, PrintWriter err, EventStreamChecker checker, SequenceTracker tracker) {
        Map<String, Object> summary = checker.summary();
        if (output.json()) {
            line(out, summary);
        } else {
            err.printf("carapace events: %s new, %s duplicates dropped, %s rejected, %d gaps unexplained, %s explained by EVENTS_DROPPED%n",
                summary.get("accepted"), summary.get("duplicates"), summary.get("rejected"), ((List<?>) summary.get("gaps")).size(),
                summary.get("explainedGaps"));
            for (Object gap : (List<?>) summary.get("gaps")) {
                Map<?, ?> g = (Map<?, ?>) gap;
                err.printf("  missing: %s #%s..#%s%n", g.get("device"), g.get("from"), g.get("to"));
            }
            err.flush();
        }
        if (stateFile != null) {
            try {
                TrackerState.write(stateFile, tracker.snapshot());
            } catch (IOException e) {
                err.println("carapace events: cannot save --state " + stateFile + ": " + e.getMessage());
                err.flush();
            }
        }
    }

    private void note(PrintWriter out, PrintWriter err, String kind, Map<String, Object> fields) {
        if (output.json()) {
            Map<String, Object> line = new LinkedHashMap<>();
            line.put("kind", kind);
            line.putAll(fields);
            line(out, line);
        } else {
            synchronized (this) {
                err.println("carapace events: " + kind + " " + fields);
                err.flush();
            }
        }
    }

    private synchronized void line(PrintWriter out, Object value) {
        try {
            out.println(compact.writeValueAsString(value));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise output", e);
        }
        out.flush();
    }

    private synchronized void print(PrintWriter out, EventStreamChecker.Finding finding, boolean retained) {
        if (output.json()) {
            Map<String, Object> line = new LinkedHashMap<>();
            line.put("kind", finding.kind().name().toLowerCase(java.util.Locale.ROOT));
            line.put("device", finding.deviceId());
            switch (finding.kind()) {
                case EVENT -> {
                    line.put("seq", finding.event().sequence());
                    line.put("verified", true);
                    line.put("late", finding.late());
                    line.put("topic", finding.topic());
                    line.put("event", finding.eventJson());
                }
                case DUPLICATE -> line.put("seq", finding.event().sequence());
                case GAP -> {
                    line.put("from", finding.gapFrom());
                    line.put("to", finding.gapTo());
                    line.put("events", finding.gapTo() - finding.gapFrom() + 1);
                }
                case REJECTED -> {
                    line.put("topic", finding.topic());
                    line.put("reason", finding.reason());
                    line.put("detail", finding.detail());
                }
                case STATUS -> {
                    line.put("retained", retained);
                    line.put("status", finding.status());
                }
                default -> throw new IllegalStateException(finding.kind().name());
            }
            line(out, line);
            return;
        }
        switch (finding.kind()) {
            case EVENT -> out.println(human(finding.event(), finding.late()));
            case GAP -> out.printf("GAP       %s #%d..#%d missing (%s)%n", finding.deviceId(), finding.gapFrom(), finding.gapTo(),
                finding.detail());
            case REJECTED -> out.printf("REJECTED  %s %s: %s (%s)%n", finding.deviceId(), finding.topic(), finding.reason(),
                finding.detail());
            case STATUS -> out.printf("STATUS    %s %s%s (unauthenticated) %s%n", finding.deviceId(),
                finding.status().path("state").asText("?"),
                retained ? " [retained]" : "", finding.status());
            default -> {
                return; // duplicates are counted in the summary
            }
        }
        out.flush();
    }

    static String human(QualifiedEvent event, boolean late) {
        StringBuilder line = new StringBuilder();
        line.append(event.time()).append(' ').append(event.deviceId()).append(" #").append(event.sequence()).append(' ')
            .append(String.format("%-8s", event.severity())).append(' ').append(event.category()).append('/').append(event.type());
        if (event.count() > 1) {
            line.append(" x").append(event.count());
        }
        line.append(" [").append(event.sensor()).append("] ").append(event.message());
        if (!event.context().isEmpty()) {
            line.append(' ').append(event.context());
        }
        if (event.truncated()) {
            line.append(" (truncated)");
        }
        if (late) {
            line.append(" (LATE: out of order)");
        }
        return line.toString();
    }

    /** The --state file: each device's highest number and open gaps. */
    static final class TrackerState {
        private TrackerState() {
        }

        static List<SequenceTracker.DeviceState> read(Path file) throws CliException {
            try {
                Map<?, ?> root = new ObjectMapper().readValue(file.toFile(), Map.class);
                List<SequenceTracker.DeviceState> states = new ArrayList<>();
                for (Object d : (List<?>) root.get("devices")) {
                    Map<?, ?> device = (Map<?, ?>) d;
                    String id = (String) device.get("device");
                    List<SequenceTracker.Gap> gaps = new ArrayList<>();
                    for (Object g : (List<?>) device.get("gaps")) {
                        List<?> range = (List<?>) g;
                        gaps.add(new SequenceTracker.Gap(id, ((Number) range.get(0)).longValue(), ((Number) range.get(1)).longValue()));
                    }
                    states.add(new SequenceTracker.DeviceState(id, ((Number) device.get("highest")).longValue(), gaps));
                }
                return states;
            } catch (IOException | ClassCastException | NullPointerException e) {
                throw CliException.usage("--state " + file + " is not a state file written by this command: " + e.getMessage());
            }
        }

        static void write(Path file, List<SequenceTracker.DeviceState> states) throws IOException {
            List<Object> devices = new ArrayList<>();
            for (SequenceTracker.DeviceState state : states) {
                List<Object> gaps = new ArrayList<>();
                state.gaps().forEach(g -> gaps.add(List.of(g.from(), g.to())));
                devices.add(Map.of("device", state.deviceId(), "highest", state.highest(), "gaps", gaps));
            }
            Path temp = file.resolveSibling(file.getFileName() + ".tmp");
            new ObjectMapper().writeValue(temp.toFile(), Map.of("version", 1, "devices", devices));
            Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        }
    }
}
