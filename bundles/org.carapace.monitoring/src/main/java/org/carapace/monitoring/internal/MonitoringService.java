package org.carapace.monitoring.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLSocketFactory;
import org.carapace.api.events.SecurityEvent;
import org.carapace.api.events.SecurityEventType;
import org.carapace.api.monitoring.CommandHandler;
import org.carapace.api.monitoring.EventKeyFile;
import org.carapace.api.monitoring.EventKeyFileException;
import org.carapace.api.monitoring.HmacEventKeys;
import org.carapace.api.platform.PlatformInfo;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.event.Event;
import org.osgi.service.event.EventConstants;
import org.osgi.service.event.EventHandler;
import org.osgi.service.log.Logger;
import org.osgi.service.log.LoggerFactory;
import org.osgi.service.metatype.annotations.Designate;

/**
 * The monitoring service: receives every security event posted on EventAdmin under {@code org/carapace/security},
 * runs it through the filters, journals it authenticated and durable, and forwards the journal to the MQTT broker.
 * It is the only MQTT speaker of the runtime.
 *
 * <p>Activation fails (and the runtime reports it) when the configuration is invalid, the event key is missing, is
 * readable by others, belongs to another device, is a master key, or is a development key in a profile that does
 * not allow one, or when the journal belongs to another device or is in use by another process.
 */
@Component(configurationPid = MonitoringConfiguration.PID, configurationPolicy = ConfigurationPolicy.REQUIRE, immediate = true,
    service = {EventHandler.class, MonitoringService.class},
    property = EventConstants.EVENT_TOPIC + "=" + SecurityEvent.TOPIC_ROOT + "/*")
@Designate(ocd = MonitoringConfiguration.class)
public final class MonitoringService implements EventHandler {

    /** Default key file name in the data directory. */
    static final String KEY_FILE = "event-auth.key";
    /** The file in the journal directory naming the device the journal belongs to. */
    static final String DEVICE_FILE = "device";
    private static final java.nio.file.attribute.FileAttribute<?> PRIVATE =
        java.nio.file.attribute.PosixFilePermissions.asFileAttribute(java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));

    private final Logger logger;
    private final String deviceId;
    private final String bootId;
    private final Path journalDir;
    private final long journalMaxBytes;
    private final EventKeyFile key;
    private final HmacEventKeys.Authenticator authenticator;
    private final EventJournal journal;
    private final FilterChain filters;
    private final EventPipeline pipeline;
    private final MqttPublisher publisher;
    private final CommandDispatcher commands;
    private final ScheduledExecutorService ticker;
    private final Map<EventFilterComponent, FilterRule> filterRules = new ConcurrentHashMap<>();
    private volatile boolean active = true;
    private final boolean commandsEnabled;

    @Activate
    public MonitoringService(@Reference PlatformInfo platform, @Reference(service = LoggerFactory.class) Logger logger,
                             MonitoringConfiguration config) throws IOException, EventKeyFileException {
        this.logger = logger;
        this.deviceId = platform.deviceId();
        this.commandsEnabled = config.commandsEnabled();
        this.bootId = BootIdentity.bootId();
        // validate everything that can be validated before touching the disk
        EventJournal.Limits limits = new EventJournal.Limits(config.journalMaxBytes(), config.journalSegmentBytes(),
            config.journalMaxRecordBytes(), config.ackFlushMillis());
        DeviceLimits deviceLimits = new DeviceLimits(config.rateLimitEvents(), config.trafficLimitBytes(),
            config.limitIntervalMillis(), config.limitsApplyToBypass());
        ContextBounds bounds = new ContextBounds(config.maxMessageChars(), config.maxContextEntries(),
            config.maxContextValueChars(), config.maxContextListElements());
        IdsmSettings idsm = config.idsmFrames() ? new IdsmSettings(config.idsmProtocolVersion(), config.idsmInstanceId(),
            IdsmSettings.parseSensorIds(config.idsmSensorInstanceIds()), config.idsmTimestamps()) : null;
        if (config.tickMillis() < 10 || config.tickMillis() > 60_000) {
            throw new IllegalArgumentException("tickMillis must be 10 to 60000, was " + config.tickMillis());
        }
        MqttPublisher.Settings publisherSettings = publisherSettings(config, deviceId);

        this.key = loadKey(platform, config, logger);
        this.journalDir = config.journalDir().isBlank()
            ? platform.dataDir().resolve("events") : absolute("journalDir", config.journalDir());
        this.journalMaxBytes = config.journalMaxBytes();
        bindJournalToDevice(journalDir, deviceId);
        this.authenticator = HmacEventKeys.authenticator(key.key());
        this.journal = EventJournal.open(journalDir, limits);
        try {
            this.filters = new FilterChain(MonotonicClock.INSTANCE, deviceLimits);
            this.pipeline = new EventPipeline(deviceId, bootId, journal, authenticator, filters, bounds, idsm,
                Clock.systemUTC(), System::nanoTime, message -> logger.warn("{}", message));
            EventJournal.Recovery recovery = journal.recovery();
            if (recovery.cutBytes() > 0 || recovery.badSegments() > 0 || !recovery.lost().isEmpty() || recovery.positionDamaged()) {
                logger.warn("Event journal {} recovered: cut {} bytes of unflushed or damaged tails, {} damaged segments, lost {}, "
                    + "position file damaged: {}", journalDir, recovery.cutBytes(), recovery.badSegments(), recovery.lost(),
                    recovery.positionDamaged());
            }
            pipeline.reportLost(recovery.lost());
            this.commands = new CommandDispatcher(deviceId, HmacEventKeys.deviceVerifier(deviceId, key.key()),
                message -> logger.warn("{}", message));
            this.publisher = publisherSettings == null ? null
                : new MqttPublisher(publisherSettings, journal, bootId, Clock.systemUTC(), message -> logger.info("{}", message),
                    message -> logger.warn("{}", message), config.commandsEnabled() ? commands::arrived : null);
            this.ticker = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "carapace-monitoring-tick");
                t.setDaemon(true);
                return t;
            });
        } catch (RuntimeException e) {
            journal.close();
            authenticator.close();
            throw e;
        }
        ticker.scheduleWithFixedDelay(this::tick, config.tickMillis(), config.tickMillis(), TimeUnit.MILLISECONDS);
        if (publisher != null) {
            publisher.start();
        }
        logger.info("Monitoring device {} (boot {}): journal {}, key {}{}, broker {}", deviceId, bootId, journalDir, key.keyId(),
            key.dev() ? " (DEVELOPMENT key)" : "", publisher == null ? "none configured (events are kept)" : publisherSettings.brokerUrl()
                + (config.commandsEnabled() ? ", commands received" : ", commands disabled (commandsEnabled=false)"));
    }

    private static Path absolute(String name, String value) {
        Path path = Path.of(value);
        if (!path.isAbsolute()) {
            throw new IllegalArgumentException(name + " must be an absolute path, was '" + value + "'");
        }
        return path;
    }

    static MqttPublisher.Settings publisherSettings(MonitoringConfiguration config, String deviceId) throws IOException {
        String url = config.brokerUrl().trim();
        if (url.isEmpty()) {
            return null;
        }
        if (config.requireTls() && !url.startsWith("ssl://")) {
            throw new IllegalArgumentException("brokerUrl '" + url + "' is not ssl:// but requireTls is set");
        }
        SSLSocketFactory tls = null;
        if (url.startsWith("ssl://")) {
            if (config.caFile().isBlank()) {
                throw new IllegalArgumentException("brokerUrl '" + url + "' needs caFile: the broker is verified against it only");
            }
            tls = TlsContexts.socketFactory(absolute("caFile", config.caFile()),
                config.clientCertFile().isBlank() ? null : absolute("clientCertFile", config.clientCertFile()),
                config.clientKeyFile().isBlank() ? null : absolute("clientKeyFile", config.clientKeyFile()));
        }
        char[] password = null;
        if (!config.passwordFile().isBlank()) {
            String text = Files.readString(absolute("passwordFile", config.passwordFile()), StandardCharsets.UTF_8);
            password = text.strip().toCharArray();
        }
        String clientId = config.clientId().isBlank() ? "carapace-" + deviceId : config.clientId();
        return new MqttPublisher.Settings(url, clientId, deviceId, config.username().isBlank() ? null : config.username(),
            password, tls, config.keepAliveSeconds(), config.connectTimeoutSeconds(), config.reconnectMinMillis(),
            config.reconnectMaxMillis(), config.maxInflight(), 500);
    }

    static EventKeyFile loadKey(PlatformInfo platform, MonitoringConfiguration config, Logger logger)
        throws IOException, EventKeyFileException {
        Path file = config.keyFile().isBlank() ? platform.dataDir().resolve(KEY_FILE) : absolute("keyFile", config.keyFile());
        if (config.generateDevKey() && !Files.exists(file)) {
            EventKeyFile.generateDeviceKey(platform.deviceId(), true).write(file);
            logger.warn("Generated a DEVELOPMENT event-authentication key for {} in {}: for development only, never for a vehicle",
                platform.deviceId(), file);
        }
        EventKeyFile key = EventKeyFile.read(file);
        if (key.kind() != EventKeyFile.Kind.DEVICE) {
            throw new EventKeyFileException(file, "holds a fleet master key; a device holds only its own device key");
        }
        if (!key.deviceId().equals(platform.deviceId())) {
            throw new EventKeyFileException(file, "is the key of device " + key.deviceId() + ", this is " + platform.deviceId());
        }
        if (key.dev() && !config.generateDevKey()) {
            throw new EventKeyFileException(file, "is a development key, refused by this profile (generateDevKey=false)");
        }
        return key;
    }

    static void bindJournalToDevice(Path journalDir, String deviceId) throws IOException {
        Files.createDirectories(journalDir);
        Path file = journalDir.resolve(DEVICE_FILE);
        if (Files.exists(file)) {
            String owner = Files.readString(file, StandardCharsets.UTF_8).strip();
            if (!owner.equals(deviceId)) {
                throw new IllegalStateException("event journal " + journalDir + " belongs to device " + owner + ", this is "
                    + deviceId + ": move it away to start a new one");
            }
        } else {
            Files.writeString(Files.createFile(file, PRIVATE), deviceId + "\n", StandardCharsets.UTF_8);
        }
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addFilter(EventFilterComponent filter) {
        filterRules.put(filter, filter.rule());
        applyRules();
    }

    void removeFilter(EventFilterComponent filter) {
        filterRules.remove(filter);
        applyRules();
    }

    /** Command handlers (whiteboard): each gets the authenticated commands of its name. */
    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addCommandHandler(CommandHandler handler, Map<String, Object> properties) {
        commands.add(properties, handler);
    }

    void removeCommandHandler(CommandHandler handler, Map<String, Object> properties) {
        commands.remove(properties, handler);
    }

    private synchronized void applyRules() {
        Map<SecurityEventType, FilterRule> rules = new EnumMap<>(SecurityEventType.class);
        for (FilterRule rule : filterRules.values()) {
            FilterRule previous = rules.put(rule.type(), rule);
            if (previous != null && !previous.equals(rule)) {
                logger.warn("Two filter configurations for {}: using {}, ignoring {}", rule.type(), previous, rule);
                rules.put(rule.type(), previous);
            }
        }
        filters.setRules(rules);
    }

    private void tick() {
        try {
            pipeline.tick();
        } catch (RuntimeException e) {
            logger.error("Monitoring tick failed", e);
        }
    }

    @Override
    public void handleEvent(Event event) {
        if (!active) {
            return;
        }
        Map<String, Object> properties = new HashMap<>();
        for (String name : event.getPropertyNames()) {
            properties.put(name, event.getProperty(name));
        }
        pipeline.submit(event.getTopic(), properties);
    }

    @Deactivate
    void stop() {
        active = false;
        ticker.shutdownNow();
        if (publisher != null) {
            publisher.close();
        }
        pipeline.drain();
        try {
            journal.close();
        } catch (IOException e) {
            logger.error("Closing the event journal {} failed", journalDir, e);
        }
        authenticator.close();
    }

    /** The status reported by {@code events.status}. */
    Map<String, Object> status() throws IOException {
        Map<String, Object> status = new LinkedHashMap<>();
        status.put("device", deviceId);
        status.put("boot", bootId);
        status.put("keyId", key.keyId());
        status.put("developmentKey", key.dev());
        EventJournal.Stats stats = journal.stats();
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("dir", journalDir.toString());
        j.put("nextSeq", stats.nextSeq());
        j.put("durableSeq", stats.durableSeq());
        j.put("ackedSeq", stats.ackedSeq());
        j.put("sentLimit", stats.sentLimit());
        j.put("pending", stats.pending());
        j.put("oldestPending",
            stats.oldestPendingWallMillis() == 0 ? null : Instant.ofEpochMilli(stats.oldestPendingWallMillis()).toString());
        j.put("bytes", stats.bytes());
        j.put("maxBytes", journalMaxBytes);
        j.put("segments", stats.segments());
        j.put("droppedEvents", stats.droppedEvents());
        j.put("commits", stats.commits());
        EventJournal.Recovery recovery = journal.recovery();
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("cutBytes", recovery.cutBytes());
        r.put("badSegments", recovery.badSegments());
        List<Object> lost = new ArrayList<>();
        for (EventJournal.Drop drop : recovery.lost()) {
            lost.add(drop.firstSeq() + ".." + drop.lastSeq());
        }
        r.put("lost", lost);
        r.put("positionDamaged", recovery.positionDamaged());
        j.put("recovery", r);
        status.put("journal", j);
        if (publisher != null) {
            status.put("connection", publisher.status());
        } else {
            status.put("connection", Map.of("state", "NOT_CONFIGURED"));
        }
        Map<String, Object> commandStatus = new LinkedHashMap<>();
        commandStatus.put("enabled", commandsEnabled);
        commandStatus.put("subscription", publisher == null ? "NOT_CONFIGURED" : publisher.subscription().name());
        commandStatus.putAll(commands.status());
        status.put("commands", commandStatus);
        Map<String, Object> f = new LinkedHashMap<>();
        List<Object> rules = new ArrayList<>();
        for (FilterRule rule : new ArrayList<>(filterRules.values())) {
            Map<String, Object> r2 = new LinkedHashMap<>();
            r2.put("type", rule.type().name());
            r2.put("reportingMode", rule.mode().name());
            r2.put("severity", rule.effectiveSeverity().name());
            r2.put("forwardEveryNth", rule.forwardEveryNth());
            r2.put("aggregationWindowMillis", rule.aggregationWindowMillis());
            r2.put("threshold", rule.threshold());
            rules.add(r2);
        }
        f.put("rules", rules);
        f.put("counters", filters.counters());
        f.put("malformed", pipeline.malformed());
        status.put("filters", f);
        status.put("lastError", pipeline.lastError());
        return status;
    }
}
