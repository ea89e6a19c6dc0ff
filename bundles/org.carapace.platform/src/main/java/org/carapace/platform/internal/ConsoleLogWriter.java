package org.carapace.platform.internal;

import java.io.PrintStream;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;
import java.util.Locale;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.log.LogEntry;
import org.osgi.service.log.LogLevel;
import org.osgi.service.log.LogListener;
import org.osgi.service.log.LogReaderService;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * Writes the OSGi log to the console: one line per entry, UTC time, level, bundle, message. Entries logged
 * before this component started are written first, oldest first, from the log service's history.
 */
@Component(configurationPid = ConsoleLogWriter.PID, service = {}, immediate = true)
@Designate(ocd = ConsoleLogWriter.Config.class)
public final class ConsoleLogWriter implements LogListener {

    static final String PID = "org.carapace.platform.log";

    @ObjectClassDefinition(name = "Carapace console log", description = "What the runtime writes to its console.")
    @interface Config {
        @AttributeDefinition(name = "Level",
            description = "Lowest level written for Carapace bundles: ERROR, WARN, INFO, DEBUG or TRACE.")
        String level() default "INFO";

        @AttributeDefinition(name = "Level of other bundles",
            description = "Lowest level written for the framework and third-party bundles.")
        String otherLevel() default "WARN";
    }

    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'")
        .withZone(ZoneOffset.UTC);

    private final LogReaderService reader;
    private volatile LogLevel threshold;
    private volatile LogLevel otherThreshold;
    private final PrintStream out;
    private long lastSequence = -1;

    @Activate
    public ConsoleLogWriter(@Reference LogReaderService reader, Config config) {
        this(reader, parseLevel(config.level()), parseLevel(config.otherLevel()), System.out);
    }

    ConsoleLogWriter(LogReaderService reader, LogLevel threshold, LogLevel otherThreshold, PrintStream out) {
        this.reader = reader;
        this.threshold = threshold;
        this.otherThreshold = otherThreshold;
        this.out = out;
    }

    @Modified
    void modified(Config config) {
        threshold = parseLevel(config.level());
        otherThreshold = parseLevel(config.otherLevel());
    }

    @Activate
    synchronized void start() {
        // listen first, then replay the history; the sequence number drops what both deliver
        reader.addLogListener(this);
        replayHistory();
    }

    private void replayHistory() {
        List<LogEntry> history = new ArrayList<>();
        for (Enumeration<LogEntry> e = reader.getLog(); e.hasMoreElements();) {
            history.add(e.nextElement());
        }
        Collections.reverse(history); // the service returns newest first
        history.forEach(this::logged);
    }

    static LogLevel parseLevel(String level) {
        try {
            return LogLevel.valueOf(level.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new IllegalArgumentException("level must be one of ERROR, WARN, INFO, DEBUG, TRACE; was '" + level + "'");
        }
    }

    @Deactivate
    synchronized void deactivate() {
        reader.removeLogListener(this);
        // the log service delivers to listeners on its own thread: what was logged just before this (bundles stopping
        // with the framework) may not have arrived yet, but it is in the history
        replayHistory();
        out.flush();
    }

    @Override
    public synchronized void logged(LogEntry entry) {
        if (entry.getSequence() <= lastSequence) {
            return;
        }
        lastSequence = entry.getSequence();
        if (!thresholdFor(entry).implies(entry.getLogLevel())) {
            return;
        }
        out.println(format(entry));
    }

    private LogLevel thresholdFor(LogEntry entry) {
        // the log service turns every bundle and service event into an entry; only their problems are news
        if (entry.getLoggerName() != null && entry.getLoggerName().startsWith("Events.")) {
            return otherThreshold;
        }
        String bsn = entry.getBundle() == null ? null : entry.getBundle().getSymbolicName();
        return bsn != null && bsn.startsWith(ComponentHealth.BUNDLE_PREFIX) ? threshold : otherThreshold;
    }

    static String format(LogEntry entry) {
        StringBuilder line = new StringBuilder(160);
        line.append(TIME.format(Instant.ofEpochMilli(entry.getTime())))
            .append(' ').append(String.format(Locale.ROOT, "%-5s", entry.getLogLevel()))
            .append(" [").append(entry.getBundle() == null ? "-" : entry.getBundle().getSymbolicName()).append("] ")
            .append(entry.getMessage());
        Throwable failure = entry.getException();
        if (failure != null) {
            line.append(": ").append(failure);
            for (Throwable cause = failure.getCause(); cause != null && cause != cause.getCause(); cause = cause.getCause()) {
                line.append(" <- ").append(cause);
            }
        }
        return line.toString();
    }
}
