package org.carapace.ota.internal;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchService;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.carapace.api.events.SecurityEvent;
import org.carapace.api.events.SecurityEventType;
import org.carapace.api.monitoring.CommandHandler;
import org.carapace.api.platform.PlatformInfo;
import org.carapace.api.trust.NoTrustRootException;
import org.carapace.api.trust.Role;
import org.carapace.api.trust.TrustService;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.event.Event;
import org.osgi.service.event.EventAdmin;
import org.osgi.service.log.Logger;
import org.osgi.service.log.LoggerFactory;
import org.osgi.service.metatype.annotations.Designate;

/**
 * The OTA installer (required configuration {@code org.carapace.ota}): watches the inbox and installs each package
 * that arrives, on one thread of its own. Status and progress are security events ({@code OTA_STATUS},
 * {@code OTA_REJECTED}, {@code OTA_ROLLED_BACK}), which monitoring sends to the back end.
 *
 * <p>The trust service is a dynamic reference: an update of the policy bundle replaces it without restarting the
 * installer. While there is none, packages wait in the inbox; a verification that finds none is refused
 * ({@code NO_TRUST_ROOT}).
 */
@Component(configurationPid = OtaConfiguration.PID, configurationPolicy = ConfigurationPolicy.REQUIRE, immediate = true,
    service = {OtaComponent.class, CommandHandler.class}, property = CommandHandler.NAME + "=" + OtaComponent.COMMAND)
@Designate(ocd = OtaConfiguration.class)
public final class OtaComponent implements CommandHandler {

    static final String SENSOR = "org.carapace.ota";
    /** The command name: the back end sends package locations on {@code carapace/v1/<device>/commands/ota}. */
    static final String COMMAND = "ota";

    private final Logger logger;
    private final Installer installer;
    private final WatchService watcher;
    private final Thread worker;
    private final long pollMillis;
    private final OtaCommands commands;
    private volatile TrustService trust;
    private volatile String problem;

    @Activate
    public OtaComponent(@Reference PlatformInfo platform, @Reference EventAdmin eventAdmin, @Reference ServiceComponentRuntime scr,
                        @Reference(service = LoggerFactory.class) Logger logger, BundleContext context, OtaConfiguration config)
        throws IOException {
        this.logger = logger;
        if (config.pollMillis() < 10 || config.healthTimeoutMillis() < 100) {
            throw new IllegalArgumentException("pollMillis must be at least 10 and healthTimeoutMillis at least 100");
        }
        PackageLimits limits = new PackageLimits(config.maxArchiveBytes(), config.maxMetadataBytes(), config.maxBundleBytes(),
            config.maxBundles(), 10_000);
        Set<String> protectedBundles = new LinkedHashSet<>(List.of(config.protectedBundles()));
        protectedBundles.add(context.getBundle().getSymbolicName());
        Installer.Settings settings = new Installer.Settings(resolve(platform, config.inbox(), "inbox"),
            resolve(platform, config.directory(), "directory"), platform.deviceId(), config.hardwareId(), limits,
            Duration.ofMillis(config.healthTimeoutMillis()), protectedBundles, config.testPauseAt());
        if (config.downloadTimeoutMillis() < 100) {
            throw new IllegalArgumentException("downloadTimeoutMillis must be at least 100");
        }
        if (config.maxCommandLifetimeMillis() < 1000) {
            throw new IllegalArgumentException("maxCommandLifetimeMillis must be at least 1000");
        }
        PackageSources sources = PackageSources.parse(config.commandSources());
        Clock clock = Clock.systemUTC();
        this.installer = new Installer(settings, context, scr, json -> {
            TrustService service = trust;
            if (service == null) {
                throw new NoTrustRootException("no trust service is running: nothing can be verified");
            }
            return service.verify(json, Role.OTA, PackageMetadata.PAYLOAD_TYPE);
        }, clock, (type, outcome) -> post(eventAdmin, clock, type, outcome), logger);
        this.pollMillis = config.pollMillis();
        this.commands = new OtaCommands(platform.deviceId(), new PackageFetcher(sources, config.maxArchiveBytes(),
            Duration.ofMillis(config.downloadTimeoutMillis())), settings.inbox(), (type, outcome) -> post(eventAdmin, clock, type, outcome),
            installer::report, clock, Duration.ofMillis(config.maxCommandLifetimeMillis()), logger);
        this.watcher = FileSystems.getDefault().newWatchService();
        this.worker = new Thread(this::run, "carapace-ota");
        worker.setDaemon(true);
        logger.info("OTA installer: inbox {}, state {}, hardware '{}', limits {}, health timeout {} ms, protected {}, command sources {}",
            settings.inbox(), settings.directory(), settings.hardwareId(), limits, config.healthTimeoutMillis(), protectedBundles,
            sources.isEmpty() ? "none (commands refused)" : sources.sources());
        // the command thread is started by the installer's thread once installer.start() has created the inbox and
        // removed stale .command-*.part files: started now, a download could lose its temporary file to that clean-up
        worker.start();
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    void bindTrust(TrustService service) {
        trust = service;
    }

    void unbindTrust(TrustService service) {
        if (trust == service) {
            trust = null;
        }
    }

    private static Path resolve(PlatformInfo platform, String path, String what) {
        if (path == null || path.isBlank()) {
            throw new IllegalArgumentException(what + " is required");
        }
        return platform.dataDir().resolve(path).normalize();
    }

    private static void post(EventAdmin eventAdmin, Clock clock, SecurityEventType type, Installer.Outcome outcome) {
        Map<String, Object> context = new LinkedHashMap<>();
        context.put("package", outcome.packageName());
        context.put("state", outcome.state());
        if (outcome.reason() != null) {
            context.put("reason", outcome.reason());
        }
        if (outcome.command() != null) {
            context.put("command", outcome.command());
        }
        context.put("bundles", outcome.bundles());
        String message = "OTA " + outcome.packageName() + " " + outcome.state() + (outcome.reason() == null ? "" : " (" + outcome.reason()
            + ")") + ": " + outcome.message();
        SecurityEvent event = SecurityEvent.of(type, SENSOR, message.length() > 1000 ? message.substring(0, 997) + "..." : message,
            context);
        eventAdmin.postEvent(new Event(event.topic(), event.toProperties(clock.millis())));
    }

    private void run() {
        try {
            installer.start();
            installer.settings().inbox().register(watcher, StandardWatchEventKinds.ENTRY_CREATE);
        } catch (IOException | RuntimeException e) {
            logger.error("OTA installer cannot start; no update will be installed", e);
            problem = "the installer cannot start, no update will be installed: " + e.getMessage();
            commands.disable("the installer cannot start: " + e.getMessage());
            return;
        }
        commands.start();
        while (!Thread.currentThread().isInterrupted()) {
            // packages wait in the inbox until the trust service is there (at start it may come after the installer):
            // without it every package would be refused and lost
            if (trust != null) {
                installer.poll();
            }
            try {
                var key = watcher.poll(pollMillis, TimeUnit.MILLISECONDS);
                if (key != null) {
                    key.pollEvents();
                    key.reset();
                }
            } catch (InterruptedException | ClosedWatchServiceException e) {
                return;
            }
        }
    }

    /** An authenticated {@code ota} command (monitoring checked it); queued for the download thread. */
    @Override
    public void handle(byte[] payload) {
        commands.submit(payload);
    }

    @Deactivate
    void deactivate() throws InterruptedException, IOException {
        commands.close();
        worker.interrupt();
        watcher.close();
        worker.join(30_000);
    }

    Installer installer() {
        return installer;
    }

    /** Why the installer is not working, if it is not. */
    String problem() {
        return problem;
    }
}
