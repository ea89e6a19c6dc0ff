package org.carapace.platform.internal;

import java.lang.management.ManagementFactory;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.carapace.api.events.SecurityEvent;
import org.carapace.api.events.SecurityEventType;
import org.carapace.api.platform.PlatformInfo;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleEvent;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.FrameworkListener;
import org.osgi.framework.SynchronousBundleListener;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.event.Event;
import org.osgi.service.event.EventAdmin;
import org.osgi.service.log.Logger;
import org.osgi.service.log.LoggerFactory;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * Logs one clear line when the runtime is ready: the framework has started and every Carapace bundle is active
 * with all its configured components satisfied. If that does not happen within the configured time it logs what
 * is missing instead, so a broken profile is visible at once.
 */
@Component(configurationPid = ReadyReporter.PID, service = {}, immediate = true)
@Designate(ocd = ReadyReporter.Config.class)
public final class ReadyReporter implements FrameworkListener, SynchronousBundleListener {

    static final String PID = "org.carapace.platform.ready";

    @ObjectClassDefinition(name = "Carapace ready line", description = "When the runtime reports itself ready.")
    @interface Config {
        @AttributeDefinition(name = "Timeout (ms)",
            description = "How long to wait after framework start for every component before reporting problems.")
        long timeoutMillis() default 15_000;
    }

    private static final long POLL_MILLIS = 25;

    private final BundleContext context;
    private final ServiceComponentRuntime scr;
    private final PlatformInfo platform;
    private final EventAdmin events;
    private final Logger logger;
    private final long timeoutMillis;
    private final ScheduledExecutorService timer;
    private final RuntimeLifecycle lifecycle;
    private final java.util.Optional<RuntimeLifecycle.UncleanStop> uncleanStop;
    private volatile boolean reported;
    private final java.util.concurrent.atomic.AtomicBoolean stoppingAnnounced = new java.util.concurrent.atomic.AtomicBoolean();
    private long pollingSince;

    @Activate
    public ReadyReporter(BundleContext context, @Reference ServiceComponentRuntime scr, @Reference PlatformInfo platform,
                         @Reference EventAdmin events, @Reference(service = LoggerFactory.class) Logger logger,
                         Config config) {
        this.context = context;
        this.scr = scr;
        this.platform = platform;
        this.events = events;
        this.logger = logger;
        if (config.timeoutMillis() <= 0) {
            throw new IllegalArgumentException("timeoutMillis must be positive, was " + config.timeoutMillis());
        }
        this.timeoutMillis = config.timeoutMillis();
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "carapace-ready");
            t.setDaemon(true);
            return t;
        });
        long pid = ProcessHandle.current().pid();
        this.lifecycle = new RuntimeLifecycle(platform.runDir(), ServiceNotifier.fromEnvironment(System.getenv(), pid),
            logger::warn);
        java.util.Optional<RuntimeLifecycle.UncleanStop> previous;
        try {
            previous = lifecycle.takeOver(System.getenv(), pid, System.currentTimeMillis());
        } catch (java.io.IOException e) {
            logger.warn("Cannot tell whether the previous runtime stopped cleanly: {}", e.toString());
            previous = java.util.Optional.empty();
        }
        this.uncleanStop = previous;
    }

    @Activate
    void start() {
        context.addFrameworkListener(this);
        context.addBundleListener(this);
        if (context.getBundle(0).getState() == Bundle.ACTIVE) {
            beginPolling();
        }
    }

    @Modified
    void modified(Config config) {
        // the timeout only matters before the ready line; nothing to redo
    }

    @Deactivate
    void stop() {
        context.removeFrameworkListener(this);
        context.removeBundleListener(this);
        timer.shutdownNow();
        int frameworkState = context.getBundle(0).getState();
        if (frameworkState == Bundle.STOPPING) {
            announceStopping();
            lifecycle.stoppedCleanly();
        }
    }

    @Override
    public void bundleChanged(BundleEvent event) {
        // delivered synchronously before the framework stops any bundle: every bundle, the console log's too, still
        // runs, so the line reaches the console (said again at deactivation if this event was missed)
        if (event.getType() == BundleEvent.STOPPING && event.getBundle().getBundleId() == 0) {
            announceStopping();
        }
    }

    private void announceStopping() {
        if (stoppingAnnounced.compareAndSet(false, true)) {
            logger.audit("Carapace runtime stopping: device={} profile={}", platform.deviceId(), platform.profile());
        }
    }

    @Override
    public void frameworkEvent(FrameworkEvent event) {
        if (event.getType() == FrameworkEvent.STARTED) {
            beginPolling();
        }
    }

    private synchronized void beginPolling() {
        if (pollingSince != 0 || timer.isShutdown()) {
            return;
        }
        pollingSince = System.nanoTime();
        timer.execute(this::poll);
    }

    /** The gap an unclean stop left: containers unprotected, creations refused. */
    private void reportRestart(RuntimeLifecycle.UncleanStop stop) {
        String message = "runtime restarted after an unclean stop (" + stop.reason() + ")"
            + stop.downMillis().map(d -> "; down for " + d + " ms").orElse("")
            + ": meanwhile running containers had no running-container protection and no container could be created";
        logger.warn("Carapace {}", message);
        events.postEvent(new Event(SecurityEventType.PLATFORM_RESTARTED.topic(),
            SecurityEvent.of(SecurityEventType.PLATFORM_RESTARTED, context.getBundle().getSymbolicName(), message,
                stop.context()).toProperties(System.currentTimeMillis())));
    }

    private void poll() {
        if (reported) {
            return;
        }
        ComponentHealth.Report report = ComponentHealth.read(context, scr);
        long waited = (System.nanoTime() - pollingSince) / 1_000_000;
        if (report.healthy()) {
            reported = true;
            // the JVM's own start time: /proc's process start is only precise to the second
            long sinceLaunch = System.currentTimeMillis() - ManagementFactory.getRuntimeMXBean().getStartTime();
            logger.audit("Carapace runtime ready: profile={} device={} bundles={} components={} started in {} ms",
                platform.profile(), platform.deviceId(), report.bundles().size(), report.components().size(), sinceLaunch);
            for (String idle : report.idle()) {
                logger.info("Not configured, idle: {}", idle);
            }
            events.postEvent(new Event(SecurityEventType.PLATFORM_STARTED.topic(),
                SecurityEvent.of(SecurityEventType.PLATFORM_STARTED, context.getBundle().getSymbolicName(),
                    "runtime ready", Map.of("profile", platform.profile(), "startupMillis", sinceLaunch))
                    .toProperties(System.currentTimeMillis())));
            uncleanStop.ifPresent(this::reportRestart);
            lifecycle.ready("ready: profile=" + platform.profile() + " device=" + platform.deviceId());
        } else if (waited >= timeoutMillis) {
            reported = true;
            logger.error("Carapace runtime NOT ready after {} ms: {}", waited, String.join("; ", report.problems()));
        } else {
            timer.schedule(this::poll, POLL_MILLIS, TimeUnit.MILLISECONDS);
        }
    }
}
