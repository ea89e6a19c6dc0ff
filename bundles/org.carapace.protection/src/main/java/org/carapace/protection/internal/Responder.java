package org.carapace.protection.internal;

import com.sun.jna.Memory;
import java.util.LinkedHashMap;
import java.util.Map;
import org.carapace.api.events.SecurityEventType;
import org.carapace.api.protection.ProtectionMode;

/**
 * Answers one container's fanotify permission events. The kernel holds the accessing process until it gets an
 * answer, so this loop never blocks on anything but {@code poll}: verdicts come from the container's cache in
 * memory; a file the cache does not know goes to the {@link ContentWorker} (which answers within its deadline)
 * and the loop moves on to the next event.
 *
 * <p>Per event: one {@code statx} of the event's fd (device, inode, change time), a map lookup, one
 * {@code write} of the answer, an optional ignore mark, one {@code close}. Processes outside the container's mount
 * namespace (the host reaching in through {@code /proc/<pid>/root}, the runtime itself) are always allowed.
 */
final class Responder implements Runnable {

    private static final int BUFFER = 64 * 1024;
    private static final int POLL_MILLIS = 200;

    private final ProtectedContainer c;
    private final ContentWorker worker;
    private final ProcessProbe probe;
    private final EventReporter reporter;
    private final int ownPid;

    Responder(ProtectedContainer c, ContentWorker worker, ProcessProbe probe, EventReporter reporter, int ownPid) {
        this.c = c;
        this.worker = worker;
        this.probe = probe;
        this.reporter = reporter;
        this.ownPid = ownPid;
    }

    @Override
    public void run() {
        if (c.nativeResponder != null) {
            runForwarded(c.nativeResponder.forwardFd());
        } else {
            runFanotify();
        }
    }

    /** Java answers every event: reads the fanotify group itself. */
    private void runFanotify() {
        Memory buf = new Memory(BUFFER);
        Memory pollFd = new Memory(8);
        Memory answer = new Memory(8);
        Memory stat = new Memory(Linux.STATX_SIZE);
        int fd = c.groupFd;
        while (!c.stopping) {
            c.heartbeatNanos = System.nanoTime();
            if (!poll(pollFd, fd)) {
                continue;
            }
            long n = Linux.read(fd, buf, BUFFER);
            long start = System.nanoTime();
            for (long off = 0; off + Linux.FAN_EVENT_METADATA_LEN <= n;) {
                int len = buf.getInt(off);
                if (len < Linux.FAN_EVENT_METADATA_LEN) {
                    break;
                }
                long mask = buf.getLong(off + 8);
                int eventFd = buf.getInt(off + 16);
                int pid = buf.getInt(off + 20);
                off += len;
                guarded(eventFd, answer, () -> handle(eventFd, pid, mask, start, answer, stat));
            }
        }
    }

    /** The native responder answers what its table knows and forwards the rest here (struct forward, 64 bytes). */
    private void runForwarded(int pipe) {
        Memory buf = new Memory(NativeResponder.FORWARD_SIZE * 512);
        Memory pollFd = new Memory(8);
        Memory answer = new Memory(8);
        while (!c.stopping) {
            c.heartbeatNanos = System.nanoTime();
            if (!poll(pollFd, pipe)) {
                continue;
            }
            long n = Linux.read(pipe, buf, buf.size());
            for (long off = 0; off + NativeResponder.FORWARD_SIZE <= n; off += NativeResponder.FORWARD_SIZE) {
                int eventFd = buf.getInt(off);
                int pid = buf.getInt(off + 4);
                long mask = buf.getLong(off + 8);
                FileKey key = new FileKey(buf.getLong(off + 16), buf.getLong(off + 24), buf.getLong(off + 32),
                    buf.getInt(off + 40));
                boolean regular = buf.getInt(off + 44) != 0;
                long size = buf.getLong(off + 48);
                long start = buf.getLong(off + 56);
                guarded(eventFd, answer, () -> {
                    if (eventFd == Linux.FAN_NOFD) {
                        overflow();
                    } else if (!regular) {
                        // the native side answers non-regular files itself; a failed statx comes here
                        respond(eventFd, c.mode() == ProtectionMode.AUDIT, answer, start);
                        Linux.close(eventFd);
                    } else {
                        decideKnown(eventFd, pid, mask, key, size, start, answer);
                    }
                });
            }
        }
    }

    private static boolean poll(Memory pollFd, int fd) {
        pollFd.setInt(0, fd);
        pollFd.setShort(4, (short) Linux.POLLIN);
        pollFd.setShort(6, (short) 0);
        return Linux.poll(pollFd, 1, POLL_MILLIS) > 0;
    }

    private void guarded(int eventFd, Memory answer, Runnable work) {
        try {
            work.run();
        } catch (RuntimeException | Error e) {
            // the kernel must get an answer whatever went wrong here
            if (eventFd != Linux.FAN_NOFD) {
                writeAnswer(c, eventFd, c.mode() == ProtectionMode.AUDIT, answer);
                Linux.close(eventFd);
            }
            if (e instanceof Error) {
                throw (Error) e;
            }
        }
    }

    private void overflow() {
        reporter.reportNow(SecurityEventType.PROTECTION_DEGRADED, "fanotify queue overflow in container " + c.id,
            Map.of("containerId", c.id, "reason", "queue-overflow"));
    }

    private void handle(int eventFd, int pid, long mask, long start, Memory answer, Memory stat) {
        c.events.incrementAndGet();
        if (eventFd == Linux.FAN_NOFD) {
            overflow();
            return;
        }
        if ((mask & (Linux.FAN_OPEN_PERM | Linux.FAN_OPEN_EXEC_PERM)) == 0) {
            Linux.close(eventFd);
            return;
        }
        if (pid == ownPid) {
            // Carapace itself (the whitelist walk, a hash worker reopening an executable): never ask ourselves
            respond(eventFd, true, answer, start);
            Linux.close(eventFd);
            return;
        }
        if (Linux.statx(eventFd, "", Linux.AT_EMPTY_PATH, Linux.STATX_BASIC_STATS, stat) != 0) {
            respond(eventFd, c.mode() == ProtectionMode.AUDIT, answer, start);
            Linux.close(eventFd);
            return;
        }
        int mode = Linux.statxMode(stat);
        if (!Linux.isRegular(mode)) {
            // devices, FIFOs, sockets: never executed as programs; nothing in them is image content
            respond(eventFd, true, answer, start);
            if (c.ignoreMarks) {
                addIgnoreMark(eventFd, Decider.OPEN);
            }
            Linux.close(eventFd);
            return;
        }
        FileKey key = new FileKey(Linux.statxDev(stat), Linux.statxIno(stat), Linux.statxCtimeSec(stat),
            Linux.statxCtimeNsec(stat));
        decideKnown(eventFd, pid, mask, key, Linux.statxSize(stat), start, answer);
    }

    /** A regular file's event with its key: decide from the cache, or hand it to the content worker. */
    private void decideKnown(int eventFd, int pid, long mask, FileKey key, long size, long start, Memory answer) {
        FileFacts facts = c.facts.get(key);
        boolean exec = (mask & Linux.FAN_OPEN_EXEC_PERM) != 0;
        if (facts == null || (exec && facts.digest().isEmpty())) {
            c.cacheMisses.incrementAndGet();
            worker.submit(c, eventFd, pid, mask, key, size, start);
            return;
        }
        finish(c, Decider.decide(c, mask, key, facts, pid, probe), eventFd, pid, facts, start, answer, probe, reporter,
            false);
        Linux.close(eventFd);
    }

    /**
     * Applies a verdict: a violation by a process outside the container is allowed; the answer is written, the
     * latency recorded, an ignore mark added, the violation reported. Shared with the content worker, which calls it
     * with {@code locked} under the container's fd lock.
     */
    static void finish(ProtectedContainer c, Verdict verdict, int eventFd, int pid, FileFacts facts, long start,
                       Memory answer, ProcessProbe probe, EventReporter reporter, boolean locked) {
        boolean allow = verdict.allow();
        if (verdict.violation() != null && probe.mountNamespace(pid) != c.mountNamespace) {
            allow = true;
            verdict = Verdict.ALLOW;
        }
        EventReporter.Report report = null;
        if (verdict.violation() != null) {
            // read while the process still waits for the answer: a denied exec's process exits right after
            report = report(c, verdict, allow, pid, probe.fdPath(eventFd), probe.executablePath(pid),
                facts == null ? null : facts.digest().orElse(null));
        }
        if (!writeAnswer(c, eventFd, allow, answer)) {
            return;
        }
        c.latency.recordNanos(System.nanoTime() - start);
        if (report != null) {
            (allow ? c.audited : c.denied).incrementAndGet();
            reporter.report(report);
        } else if (verdict.ignoreMask() != 0 && c.ignoreMarks && c.groupFd >= 0) {
            Linux.fanotify_mark(c.groupFd, Linux.FAN_MARK_ADD | Linux.FAN_MARK_IGNORED_MASK | Linux.FAN_MARK_EVICTABLE,
                verdict.ignoreMask(), eventFd, null);
        }
    }

    static EventReporter.Report report(ProtectedContainer c, Verdict verdict, boolean allowed, int pid, String path,
                                       String executable, String digest) {
        Map<String, Object> context = new LinkedHashMap<>();
        context.put("containerId", c.id);
        c.image.ifPresent(i -> context.put("image", i));
        context.put("mode", c.mode().name().toLowerCase(java.util.Locale.ROOT));
        context.put("rules", c.origin);
        context.put("rule", verdict.rule());
        context.put("violation", verdict.violation().name());
        context.put("pid", pid);
        context.put("executable", executable);
        context.put("path", path);
        if (digest != null) {
            context.put("digest", digest);
        }
        context.put("reason", verdict.reason());
        context.put("verdict", allowed ? "allowed" : "denied");
        String message = (allowed ? "audit: would deny " : "denied ") + verdict.rule() + " in container " + c.id + ": "
            + path + " by " + executable + " (pid " + pid + "): " + verdict.reason();
        return new EventReporter.Report(allowed ? SecurityEventType.PROTECTION_AUDIT : verdict.violation(), c.id,
            message, context);
    }

    private void respond(int eventFd, boolean allow, Memory answer, long start) {
        if (writeAnswer(c, eventFd, allow, answer)) {
            c.latency.recordNanos(System.nanoTime() - start);
        }
    }

    private void addIgnoreMark(int eventFd, long mask) {
        Linux.fanotify_mark(c.groupFd, Linux.FAN_MARK_ADD | Linux.FAN_MARK_IGNORED_MASK | Linux.FAN_MARK_EVICTABLE,
            mask, eventFd, null);
    }

    /** struct fanotify_response { __s32 fd; __u32 response; } */
    static boolean writeAnswer(ProtectedContainer c, int eventFd, boolean allow, Memory answer) {
        int group = c.groupFd;
        if (group < 0) {
            return false;
        }
        answer.setInt(0, eventFd);
        answer.setInt(4, allow ? Linux.FAN_ALLOW : Linux.FAN_DENY);
        return Linux.write(group, answer, 8) == 8;
    }
}
