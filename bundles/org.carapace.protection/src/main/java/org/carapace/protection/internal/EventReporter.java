package org.carapace.protection.internal;

import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.carapace.api.events.SecurityEvent;
import org.carapace.api.events.SecurityEventType;

/**
 * Turns violations into security events off the responder's path: the responder only offers to a bounded queue;
 * this reporter's thread rate-limits per container and event type (a token bucket) and folds what it held back into
 * the {@code count} of the next event of that kind, so a flood of denials costs a few events, never the responder.
 */
final class EventReporter implements AutoCloseable {

    static final String SENSOR = "org.carapace.protection";

    /** One thing to report. */
    record Report(SecurityEventType type, String containerId, String message, Map<String, Object> context) {
    }

    private final Consumer<SecurityEvent> sink;
    private final int burst;
    private final double perSecond;
    private final BlockingQueue<Report> queue = new ArrayBlockingQueue<>(4096);
    private final Map<String, Bucket> buckets = new HashMap<>();
    private final AtomicLong dropped = new AtomicLong();
    private final Thread thread;
    private volatile boolean running = true;

    private static final class Bucket {
        double tokens;
        long lastNanos;
        int heldBack;
        Report last;
    }

    EventReporter(Consumer<SecurityEvent> sink, int burst, double perSecond) {
        if (burst < 1 || perSecond <= 0) {
            throw new IllegalArgumentException("event burst must be at least 1 and the rate positive");
        }
        this.sink = sink;
        this.burst = burst;
        this.perSecond = perSecond;
        this.thread = new Thread(this::run, "carapace-protection-events");
        thread.setDaemon(true);
        thread.start();
    }

    /** Never blocks: when the queue is full the report is counted as dropped and summarised later. */
    void report(Report report) {
        if (!queue.offer(report)) {
            dropped.incrementAndGet();
        }
    }

    /** Reports straight away, bypassing the rate limit (lifecycle and degradation events). */
    void reportNow(SecurityEventType type, String message, Map<String, Object> context) {
        sink.accept(SecurityEvent.of(type, SENSOR, message, context));
    }

    private void run() {
        while (running || !queue.isEmpty()) {
            try {
                Report r = queue.poll(500, TimeUnit.MILLISECONDS);
                if (r != null) {
                    handle(r, System.nanoTime());
                }
                flush(System.nanoTime());
            } catch (InterruptedException e) {
                if (!running) {
                    break;
                }
            } catch (RuntimeException e) {
                // a failing sink must not stop reporting; the next event goes through
                dropped.incrementAndGet();
            }
        }
    }

    private void handle(Report r, long now) {
        String key = r.containerId() + '/' + r.type();
        Bucket b = buckets.computeIfAbsent(key, k -> {
            Bucket n = new Bucket();
            n.tokens = burst;
            n.lastNanos = now;
            return n;
        });
        refill(b, now);
        if (b.tokens >= 1) {
            b.tokens -= 1;
            emit(r, 1 + b.heldBack);
            b.heldBack = 0;
            b.last = null;
        } else {
            b.heldBack++;
            b.last = r;
        }
    }

    /** Held-back reports go out as one event with their count once the bucket has a token again. */
    private void flush(long now) {
        for (Iterator<Map.Entry<String, Bucket>> it = buckets.entrySet().iterator(); it.hasNext();) {
            Bucket b = it.next().getValue();
            refill(b, now);
            if (b.heldBack > 0 && b.tokens >= 1) {
                b.tokens -= 1;
                emit(b.last, b.heldBack);
                b.heldBack = 0;
                b.last = null;
            } else if (b.heldBack == 0 && b.tokens >= burst) {
                it.remove();
            }
        }
        long lost = dropped.getAndSet(0);
        if (lost > 0) {
            sink.accept(new SecurityEvent(SecurityEventType.PROTECTION_DEGRADED, SENSOR,
                lost + " protection reports were dropped (report queue full)", (int) Math.min(Integer.MAX_VALUE, lost),
                Map.of("reason", "report-queue-full")));
        }
    }

    private void refill(Bucket b, long now) {
        b.tokens = Math.min(burst, b.tokens + (now - b.lastNanos) / 1e9 * perSecond);
        b.lastNanos = now;
    }

    private void emit(Report r, int count) {
        Map<String, Object> context = new LinkedHashMap<>(r.context());
        sink.accept(new SecurityEvent(r.type(), SENSOR, r.message(), count, context));
    }

    @Override
    public void close() {
        running = false;
        thread.interrupt();
        try {
            thread.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
