package org.carapace.ota.internal;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.carapace.api.events.SecurityEventType;
import org.carapace.api.ota.OtaException;
import org.carapace.api.ota.OtaException.Reason;
import org.carapace.api.trust.MalformedDocumentException;
import org.osgi.service.log.Logger;

/**
 * Carries out {@code ota} commands from the back end (authenticated by monitoring before they arrive here), one at a
 * time on a thread of its own: parse, check device and expiry, drop repeats, fetch the package into the inbox
 * ({@link PackageFetcher}); the installer takes it from there. Every step is reported with the command's id:
 * {@code downloading}, then the installer's {@code verifying} ... {@code active}; a command that cannot be carried out
 * is reported {@code failed} with its reason and leaves nothing in the inbox.
 *
 * <p>Bounded: at most {@link #QUEUE} commands wait (more are refused at once), one download runs at a time, a command
 * may not expire further than {@code maxLifetime} in the future (so a captured one cannot be replayed for long), and
 * the ids of the last {@link #REMEMBERED} commands whose package reached the inbox are remembered so a QoS 1
 * redelivery or a replay within the runtime's life is ignored; a command that failed is not remembered, so the back end
 * can retry it under the same id (after a restart, the command's expiry and the package's release counters bound a
 * replay).
 */
final class OtaCommands {

    static final int QUEUE = 4;
    static final int REMEMBERED = 256;

    private final String deviceId;
    private final PackageFetcher fetcher;
    private final Path inbox;
    private final Installer.Reporter progress;
    private final Installer.Reporter outcomes;
    private final Clock clock;
    private final Duration maxLifetime;
    private final Logger logger;
    private final BlockingQueue<byte[]> queue = new ArrayBlockingQueue<>(QUEUE);
    private final Set<String> seen = new LinkedHashSet<>();
    private final Thread worker;
    private volatile boolean running = true;
    private volatile String disabled;

    /**
     * @param inbox where fetched packages go
     * @param progress reports a step (the installer's progress reports: not kept as an outcome)
     * @param outcomes records, logs and reports an outcome (a command that failed)
     * @param maxLifetime the furthest in the future a command's {@code expires} may lie
     */
    OtaCommands(String deviceId, PackageFetcher fetcher, Path inbox, Installer.Reporter progress, Installer.Reporter outcomes,
                Clock clock, Duration maxLifetime, Logger logger) {
        this.maxLifetime = maxLifetime;
        this.deviceId = deviceId;
        this.fetcher = fetcher;
        this.inbox = inbox;
        this.progress = progress;
        this.outcomes = outcomes;
        this.clock = clock;
        this.logger = logger;
        this.worker = new Thread(this::run, "carapace-ota-download");
        worker.setDaemon(true);
    }

    void start() {
        worker.start();
    }

    /**
     * Refuses every command from now on ({@code STORAGE}, naming why): the installer could not start, so a command
     * would wait for a thread that never comes.
     */
    void disable(String why) {
        disabled = why;
        running = false;
        queue.clear();
    }

    /** Queues an authenticated command's payload; called on the MQTT client's thread, returns at once. */
    void submit(byte[] payload) {
        String why = disabled;
        if (why != null) {
            fail(OtaCommand.idOf(payload).orElse(null), new OtaException(Reason.STORAGE, why));
            return;
        }
        if (!queue.offer(payload)) {
            fail(OtaCommand.idOf(payload).orElse(null), new OtaException(Reason.STORAGE, QUEUE
                + " commands are already waiting; this one is refused, send it again later"));
        }
    }

    private void run() {
        // the flag, not the interrupt, ends the loop: code under handle() (the JDK's HTTP body stream) may swallow one
        while (running) {
            byte[] payload;
            try {
                payload = queue.poll(1, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                return;
            }
            if (payload == null || !running) {
                continue;
            }
            try {
                handle(payload);
            } catch (RuntimeException e) {
                logger.error("OTA: a command failed unexpectedly", e);
                fail(OtaCommand.idOf(payload).orElse(null), new OtaException(Reason.STORAGE, "unexpected: " + e));
            }
        }
    }

    /** Carries out one command on the caller's thread (the worker's; tests call it directly). */
    void handle(byte[] payload) {
        OtaCommand command;
        try {
            command = OtaCommand.parse(payload);
        } catch (MalformedDocumentException e) {
            fail(OtaCommand.idOf(payload).orElse(null),
                new OtaException(Reason.MALFORMED, "the command is not valid: " + e.getMessage(), e));
            return;
        }
        synchronized (seen) {
            if (seen.contains(command.id())) {
                logger.info("OTA: the package of command {} was fetched already; ignored (a redelivery or a replay)", command.id());
                return;
            }
        }
        Instant now = clock.instant();
        try {
            command.requireApplicable(deviceId, now, maxLifetime);
            java.net.URI location = fetcher.check(command);
            progress.report(SecurityEventType.OTA_STATUS, new Installer.Outcome(clock.instant(), command.inboxName(), "downloading",
                null, "fetching " + PackageFetcher.describe(location) + " for command " + command.id(), List.of(), command.id()));
            Path file = fetcher.fetch(command, inbox);
            // only a command whose package reached the inbox is remembered: a back end retrying one that failed (e.g.
            // DOWNLOAD_FAILED) with the same id is carried out again
            synchronized (seen) {
                seen.add(command.id());
                while (seen.size() > REMEMBERED) {
                    seen.remove(seen.iterator().next());
                }
            }
            // the installer's inbox watcher sees the rename
            logger.info("OTA: command {}: package fetched into {}", command.id(), file);
        } catch (OtaException e) {
            if (!running) {
                // stopped in the middle of the download: the fetcher removed what it had written; nothing is reported
                // through a component that is going away (the back end resends, the command's id was not kept)
                logger.info("OTA: command {} abandoned: the installer stopped during its download", command.id());
                return;
            }
            fail(command.id(), e);
        }
    }

    private void fail(String id, OtaException e) {
        String label = id == null ? "(command)" : Installer.COMMAND_PREFIX + id + Installer.SUFFIX;
        outcomes.report(SecurityEventType.OTA_REJECTED, new Installer.Outcome(clock.instant(), label, "failed", e.reason().name(),
            e.getMessage(), List.of(), id));
    }

    /**
     * Stops the worker: a download in progress is cut off (its stream closed; the temporary file removed, nothing
     * renamed into the inbox) and the commands still waiting are dropped.
     */
    void close() throws InterruptedException {
        running = false;
        queue.clear();
        fetcher.cancel();
        worker.interrupt();
        worker.join(10_000);
        if (worker.isAlive()) {
            logger.warn("OTA: the download thread did not stop within 10 s");
        }
    }
}
