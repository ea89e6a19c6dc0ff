package org.carapace.protection.internal;

import com.sun.jna.Memory;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.carapace.api.events.SecurityEventType;

/**
 * Establishes what an unknown file is (header, and SHA-256 when it may run) off the responder's path, reading
 * through the fanotify event's own fd (which raises no further events), and answers the kernel. Each piece of work
 * has a deadline: if the content is not established in time, the kernel gets the documented default answer
 * (enforce: deny, audit: allow and report) and the late result only fills the cache.
 */
final class ContentWorker implements AutoCloseable {

    private static final int CHUNK = 1 << 20;

    private final ExecutorService pool;
    private final ScheduledExecutorService deadlines;
    private final ProcessProbe probe;
    private final EventReporter reporter;
    private final long deadlineMillis;
    private final long maxHashBytes;
    private final int maxCacheEntries;
    private final ThreadLocal<Memory> buffers = ThreadLocal.withInitial(() -> new Memory(CHUNK));
    private final ThreadLocal<Memory> answers = ThreadLocal.withInitial(() -> new Memory(8));
    private final ThreadLocal<MessageDigest> digests = ThreadLocal.withInitial(RootfsWalkWhitelist::sha256);

    ContentWorker(int threads, int queue, long deadlineMillis, long maxHashBytes, int maxCacheEntries,
                  ProcessProbe probe, EventReporter reporter) {
        if (threads < 1 || queue < 1 || deadlineMillis < 1 || maxHashBytes < 1 || maxCacheEntries < 1) {
            throw new IllegalArgumentException("content worker limits must be positive");
        }
        AtomicInteger n = new AtomicInteger();
        this.pool = new ThreadPoolExecutor(threads, threads, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(queue),
            r -> daemon(r, "carapace-protection-hash-" + n.incrementAndGet()));
        ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1,
            r -> daemon(r, "carapace-protection-deadline"));
        timer.setRemoveOnCancelPolicy(true);
        this.deadlines = timer;
        this.probe = probe;
        this.reporter = reporter;
        this.deadlineMillis = deadlineMillis;
        this.maxHashBytes = maxHashBytes;
        this.maxCacheEntries = maxCacheEntries;
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    /** One event whose answer this worker owns from now on. */
    private final class Pending implements Runnable {
        final ProtectedContainer c;
        final int eventFd;
        final int pid;
        final long mask;
        final FileKey key;
        final long size;
        final long start;
        boolean answered;
        boolean closed;
        boolean workDone;

        Pending(ProtectedContainer c, int eventFd, int pid, long mask, FileKey key, long size, long start) {
            this.c = c;
            this.eventFd = eventFd;
            this.pid = pid;
            this.mask = mask;
            this.key = key;
            this.size = size;
            this.start = start;
        }

        @Override
        public void run() {
            FileFacts facts = null;
            try {
                facts = establish(this);
                c.learn(key, facts, maxCacheEntries);
                Verdict verdict = Decider.decide(c, mask, key, facts, pid, probe);
                synchronized (this) {
                    if (!answered) {
                        answered = true;
                        synchronized (c.fdLock) {
                            Responder.finish(c, verdict, eventFd, pid, facts, start, answers.get(), probe, reporter, true);
                        }
                    }
                }
            } catch (RuntimeException e) {
                answerDefault("content could not be read: " + e.getMessage(), facts);
            } finally {
                synchronized (this) {
                    workDone = true;
                    closeOnce();
                }
                c.pendingWork.decrementAndGet();
            }
        }

        /** Deadline or failure: the documented default answer. */
        void answerDefault(String reason, FileFacts facts) {
            synchronized (this) {
                if (answered) {
                    return;
                }
                answered = true;
                boolean exec = (mask & Linux.FAN_OPEN_EXEC_PERM) != 0;
                Verdict verdict = Decider.violation(c, SecurityEventType.EXEC_DENIED, exec ? "exec-whitelist" : "library",
                    reason);
                synchronized (c.fdLock) {
                    Responder.finish(c, verdict, eventFd, pid, facts, start, answers.get(), probe, reporter, true);
                }
                if (workDone) {
                    closeOnce();
                }
            }
        }

        void closeOnce() {
            if (!closed && answered) {
                closed = true;
                Linux.close(eventFd);
            }
        }
    }

    void submit(ProtectedContainer c, int eventFd, int pid, long mask, FileKey key, long size, long start) {
        Pending p = new Pending(c, eventFd, pid, mask, key, size, start);
        c.pendingWork.incrementAndGet();
        try {
            pool.execute(p);
        } catch (RejectedExecutionException e) {
            c.pendingWork.decrementAndGet();
            p.answerDefault("content worker queue full", null);
            synchronized (p) {
                p.workDone = true;
                p.closeOnce();
            }
            return;
        }
        deadlines.schedule(() -> {
            if (!p.answered) {
                c.deadlines.incrementAndGet();
            }
            p.answerDefault("content not established within " + deadlineMillis + " ms", null);
        }, deadlineMillis, TimeUnit.MILLISECONDS);
    }

    /** Reads the header; hashes when the file may run (exec event, ELF, script) and is within the size limit. */
    private FileFacts establish(Pending p) {
        Memory buf = buffers.get();
        long n = Linux.pread(p.eventFd, buf, 64, 0);
        byte[] header = n > 0 ? buf.getByteArray(0, (int) n) : new byte[0];
        FileFacts.Kind kind = FileFacts.classify(header, header.length);
        boolean exec = (p.mask & Linux.FAN_OPEN_EXEC_PERM) != 0;
        Optional<String> digest = Optional.empty();
        if ((exec || kind != FileFacts.Kind.DATA) && p.size <= maxHashBytes) {
            digest = hash(p.eventFd, buf);
        }
        FileFacts known = p.c.facts.get(p.key);
        Optional<String> imagePath = known == null ? Optional.empty() : known.imagePath();
        return p.c.trustFacts(kind, digest, imagePath);
    }

    private Optional<String> hash(int fd, Memory buf) {
        MessageDigest sha256 = digests.get();
        sha256.reset();
        long offset = 0;
        while (true) {
            long n = Linux.pread(fd, buf, CHUNK, offset);
            if (n < 0) {
                return Optional.empty();
            }
            if (n == 0) {
                break;
            }
            sha256.update(buf.getByteBuffer(0, n));
            offset += n;
            if (offset > maxHashBytes) {
                return Optional.empty();
            }
        }
        return Optional.of("sha256:" + HexFormat.of().formatHex(sha256.digest()));
    }

    @Override
    public void close() {
        pool.shutdownNow();
        deadlines.shutdownNow();
    }
}
