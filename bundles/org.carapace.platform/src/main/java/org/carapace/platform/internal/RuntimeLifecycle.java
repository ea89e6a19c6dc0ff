package org.carapace.platform.internal;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the runtime tells its service manager and what it learns from it: whether the previous run ended without a
 * clean stop (a marker in the run directory that only a clean stop removes, and the supervisor's
 * {@code CARAPACE_RESTART_*} variables), and the liveness pings of the watchdog.
 *
 * <p>A run ends uncleanly when the JVM is killed, crashes, or is killed by the watchdog. Meanwhile running
 * containers had no running-container protection (the kernel drops fanotify marks with the process) and no container
 * could be created (the hook fails closed): the restarted runtime reports that gap as {@code PLATFORM_RESTARTED}.
 * The run directory is a tmpfs on a device ({@code /run/carapace}), so a reboot is not mistaken for a crash.
 */
final class RuntimeLifecycle {

    static final String MARKER = "runtime.json";
    private static final Pattern MARKER_TEXT = Pattern.compile("\\{\"pid\":(\\d{1,10}),\"startedAt\":\"([0-9TZ:.+-]{1,40})\"}\\n?");

    /** How the previous run ended, when not cleanly. */
    record UncleanStop(String reason, Optional<Integer> restarts, Optional<Long> downMillis, Optional<Long> previousPid,
                       Optional<String> previousStartedAt) {

        Map<String, Object> context() {
            Map<String, Object> context = new LinkedHashMap<>();
            context.put("reason", reason);
            restarts.ifPresent(r -> context.put("restarts", r));
            downMillis.ifPresent(d -> context.put("downMillis", d));
            previousPid.ifPresent(p -> context.put("previousPid", p));
            previousStartedAt.ifPresent(s -> context.put("previousStartedAt", s));
            return context;
        }
    }

    private final Path runDir;
    private final ServiceNotifier notifier;
    private final Consumer<String> warn;
    private volatile boolean stopped;
    private Thread watchdog;

    RuntimeLifecycle(Path runDir, ServiceNotifier notifier, Consumer<String> warn) {
        this.runDir = runDir;
        this.notifier = notifier;
        this.warn = warn;
    }

    ServiceNotifier notifier() {
        return notifier;
    }

    /**
     * Reads what the previous run left, then leaves this run's marker (atomically).
     *
     * @return the previous run's unclean stop, if it had one
     */
    Optional<UncleanStop> takeOver(Map<String, String> env, long ownPid, long nowMillis) throws IOException {
        Path marker = runDir.resolve(MARKER);
        Optional<Long> previousPid = Optional.empty();
        Optional<String> previousStart = Optional.empty();
        boolean left = Files.exists(marker);
        if (left) {
            String text = Files.readString(marker, StandardCharsets.UTF_8);
            Matcher m = MARKER_TEXT.matcher(text);
            if (m.matches()) {
                previousPid = Optional.of(Long.parseLong(m.group(1)));
                previousStart = Optional.of(m.group(2));
            }
        }
        String started = Instant.ofEpochMilli(ManagementFactory.getRuntimeMXBean().getStartTime()).toString();
        Path temporary = runDir.resolve("." + MARKER + ".tmp");
        Files.writeString(temporary, "{\"pid\":" + ownPid + ",\"startedAt\":\"" + started + "\"}\n", StandardCharsets.UTF_8);
        Files.move(temporary, marker, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);

        String reason = env.get("CARAPACE_RESTART_REASON");
        if (reason != null && !reason.isBlank()) {
            return Optional.of(new UncleanStop(printable(reason), number(env.get("CARAPACE_RESTART_COUNT")).map(Long::intValue),
                number(env.get("CARAPACE_DOWN_SINCE_MS")).map(since -> Math.max(0, nowMillis - since)), previousPid, previousStart));
        }
        if (left) {
            return Optional.of(new UncleanStop("the previous runtime" + previousPid.map(p -> " (pid " + p + ")").orElse("")
                + " ended without a clean stop", Optional.empty(), Optional.empty(), previousPid, previousStart));
        }
        return Optional.empty();
    }

    /** After a clean stop: the next start is not a restart. */
    void stoppedCleanly() {
        stopped = true;
        try {
            notifier.send("STOPPING=1");
        } catch (IOException e) {
            warn.accept("Cannot tell the service manager the runtime is stopping: " + e.getMessage());
        }
        try {
            Files.deleteIfExists(runDir.resolve(MARKER));
        } catch (IOException e) {
            warn.accept("Cannot remove " + runDir.resolve(MARKER) + ": " + e.getMessage());
        }
        Thread t = watchdog;
        if (t != null) {
            t.interrupt();
        }
    }

    /**
     * Tells the service manager the runtime is ready and, when it watches, starts the liveness pings: every quarter
     * of its interval, a {@code WATCHDOG=1} once the admin socket has answered a status request and no threads are
     * deadlocked. A runtime that hangs stops pinging and is killed and restarted by the manager.
     */
    void ready(String status) {
        try {
            notifier.send("READY=1\nSTATUS=" + status);
        } catch (IOException e) {
            warn.accept("Cannot tell the service manager the runtime is ready: " + e.getMessage());
        }
        long interval = notifier.watchdogMillis();
        if (interval <= 0) {
            return;
        }
        Thread t = new Thread(() -> pingWhileAlive(Math.max(100, interval / 4)), "carapace-watchdog");
        t.setDaemon(true);
        watchdog = t;
        t.start();
    }

    private void pingWhileAlive(long everyMillis) {
        boolean complained = false;
        while (!stopped) {
            String problem = liveness();
            if (problem == null) {
                try {
                    notifier.send("WATCHDOG=1");
                    complained = false;
                } catch (IOException e) {
                    problem = e.getMessage();
                }
            }
            if (problem != null && !complained) {
                warn.accept("Watchdog ping withheld or lost: " + problem);
                complained = true;
            }
            try {
                Thread.sleep(everyMillis);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** Null when alive: no deadlocked threads, and the admin socket serves a status request. */
    String liveness() {
        long[] deadlocked = ManagementFactory.getThreadMXBean().findDeadlockedThreads();
        if (deadlocked != null) {
            return deadlocked.length + " threads are deadlocked";
        }
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            channel.connect(UnixDomainSocketAddress.of(runDir.resolve(AdminProtocol.SOCKET_NAME)));
            channel.write(ByteBuffer.wrap("{\"command\":\"status\",\"arguments\":{}}\n".getBytes(StandardCharsets.UTF_8)));
            ByteBuffer answer = ByteBuffer.allocate(16);
            while (answer.hasRemaining() && channel.read(answer) >= 0) {
                // the answer's start is enough: {"ok":true,...
            }
            String start = new String(answer.array(), 0, answer.position(), StandardCharsets.UTF_8);
            return start.startsWith("{\"ok\":true") ? null : "the admin socket answered '" + start + "'";
        } catch (IOException e) {
            return "the admin socket does not answer: " + e.getMessage();
        }
    }

    private static Optional<Long> number(String text) {
        try {
            return text == null ? Optional.empty() : Optional.of(Long.parseLong(text.trim()));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    /** One line of printable text, bounded (the variable comes from outside the JVM). */
    private static String printable(String text) {
        StringBuilder b = new StringBuilder(Math.min(text.length(), 240));
        for (int i = 0; i < text.length() && b.length() < 240; i++) {
            char c = text.charAt(i);
            b.append(c >= 0x20 && c < 0x7f ? c : '?');
        }
        return b.toString();
    }
}
