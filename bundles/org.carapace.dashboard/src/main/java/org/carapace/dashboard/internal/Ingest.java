package org.carapace.dashboard.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.carapace.api.monitoring.EventStreamChecker;
import org.carapace.api.monitoring.EventStreamChecker.Finding;
import org.carapace.api.monitoring.MonitoringTopics;

/**
 * From MQTT messages to stored events: each message goes through the back end's checks ({@link EventStreamChecker}:
 * topic, authenticator, event model, sequence number), and what they conclude is queued for one writer thread that
 * stores it in batches. Verified new events are stored; duplicates, gaps and rejections (forged, unknown-key,
 * malformed, misrouted, conflict, stale) only increment counters, so a forged event never reaches the database. The
 * queue is bounded: when the database falls behind, {@link #accept} blocks the MQTT client (QoS 1 flow control) instead
 * of dropping. Stored events go to the live listener after their transaction commits.
 */
public final class Ingest implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(Ingest.class.getName());

    /** Messages larger than this are rejected as malformed before any parsing. */
    public static final int DEFAULT_MAX_PAYLOAD = 256 * 1024;

    private sealed interface Item permits EventItem, StatusItem, CountItem {
    }

    private record EventItem(StoredEvent event) implements Item {
    }

    private record StatusItem(EventStore.Status status) implements Item {
    }

    private record CountItem(String deviceId, String counter, long delta) implements Item {
    }

    private final EventStreamChecker checker;
    private final EventStore store;
    private final Clock clock;
    private final int batchSize;
    private final int maxPayload;
    private final int maxContextFields;
    private final int maxDevices;
    private final BlockingQueue<Item> queue;
    private final Consumer<List<StoredEvent>> live;
    private final ObjectMapper mapper = new ObjectMapper();
    private final Map<String, Boolean> devicesSeen = new LinkedHashMap<>();
    private final Thread thread;
    private final AtomicLong pending = new AtomicLong();
    private volatile boolean running = true;
    private long stored;
    private long alreadyStored;
    private long storeFailures;
    private long oversized;
    private long contextCut;

    /**
     * @param checker the back end's checks, with the fleet's key
     * @param store where events go
     * @param limits queue, batch, message size and context limits
     * @param maxDevices distinct devices that rejections are counted under and statuses are stored for; beyond, rejections
     *     count under the fleet ("") and statuses of further devices are dropped and counted there
     * @param live receives each committed batch of stored events (called on the writer thread)
     */
    public Ingest(EventStreamChecker checker, EventStore store, Clock clock, Dashboard.IngestLimits limits, int maxDevices,
                  Consumer<List<StoredEvent>> live) {
        if (maxDevices < 1) {
            throw new IllegalArgumentException("maxDevices must be positive, was " + maxDevices);
        }
        this.checker = checker;
        this.store = store;
        this.clock = clock;
        this.batchSize = limits.batch();
        this.maxPayload = limits.maxPayload();
        this.maxContextFields = limits.maxContextFields();
        this.maxDevices = maxDevices;
        this.queue = new ArrayBlockingQueue<>(limits.queue());
        this.live = live;
        this.thread = new Thread(this::writeLoop, "carapace-dashboard-writer");
        thread.setDaemon(true);
        thread.start();
    }

    /** One MQTT message (called on the MQTT client's thread; blocks while the writer's queue is full). */
    public void accept(String topic, byte[] payload) throws InterruptedException {
        long now = clock.millis();
        if (payload.length > maxPayload) {
            synchronized (this) {
                oversized++;
            }
            put(new CountItem(counted(deviceOf(topic)), "rejected.oversized", 1));
            return;
        }
        for (Finding finding : checker.check(topic, payload)) {
            switch (finding.kind()) {
                case EVENT -> {
                    StoredEvent event = stored(finding, now);
                    put(new EventItem(event));
                    if (event.truncated() && !finding.event().truncated()) {
                        put(new CountItem(event.deviceId(), "context-truncated", 1));
                    }
                }
                case DUPLICATE -> put(new CountItem(finding.deviceId(), "duplicate", 1));
                case GAP -> put(new CountItem(finding.deviceId(), "gap", finding.gapTo() - finding.gapFrom() + 1));
                case REJECTED -> put(new CountItem(counted(finding.deviceId()), "rejected." + finding.reason(), 1));
                case STATUS -> {
                    EventStore.Status status = status(finding.deviceId(), finding.status(), now);
                    // statuses are not authenticated: anyone who can publish could add device rows without end, so
                    // they share the bound of device names with the rejections
                    String device = counted(finding.deviceId());
                    if (status == null) {
                        put(new CountItem(device, "rejected.malformed-status", 1));
                    } else if (device.isEmpty()) {
                        put(new CountItem("", "rejected.status-over-limit", 1));
                    } else {
                        put(new StatusItem(status));
                    }
                }
                default -> throw new IllegalStateException(finding.kind().name());
            }
        }
    }

    private static String deviceOf(String topic) {
        try {
            return MonitoringTopics.parse(topic).deviceId();
        } catch (IllegalArgumentException e) {
            return "";
        }
    }

    /** Rejections name the topic's device, which anyone who can publish chooses: bound how many are tracked. */
    private synchronized String counted(String deviceId) {
        if (deviceId == null) {
            return "";
        }
        if (devicesSeen.containsKey(deviceId) || devicesSeen.size() < maxDevices) {
            devicesSeen.put(deviceId, Boolean.TRUE);
            return deviceId;
        }
        return "";
    }

    private StoredEvent stored(Finding finding, long now) {
        JsonNode json = finding.eventJson();
        JsonNode contextNode = json.path("context");
        boolean cut = false;
        if (contextNode.size() > maxContextFields) {
            // the configured limit is below the wire format's: keep the first entries, in the device's order
            ObjectNode kept = mapper.createObjectNode();
            var fields = contextNode.properties().iterator();
            while (kept.size() < maxContextFields && fields.hasNext()) {
                var f = fields.next();
                kept.set(f.getKey(), f.getValue());
            }
            contextNode = kept;
            cut = true;
            synchronized (this) {
                contextCut++;
            }
        }
        String context;
        try {
            context = mapper.writeValueAsString(contextNode);
        } catch (IOException e) {
            context = "{}";
        }
        var e = finding.event();
        synchronized (this) {
            devicesSeen.put(e.deviceId(), Boolean.TRUE);
        }
        return new StoredEvent(0, e.deviceId(), e.sequence(), e.bootId(), e.time().toEpochMilli(), now, e.eventId(), e.type(),
            e.category(), e.sensor(), e.severity().name(), e.count(), e.message(), context, e.truncated() || cut, finding.late());
    }

    /** The retained status, bounded and typed; {@code null} when it is not a status of this device. */
    private static EventStore.Status status(String deviceId, JsonNode s, long now) {
        if (s == null || !s.isObject() || !deviceId.equals(s.path("device").asText(null))) {
            return null;
        }
        String state = s.path("state").asText("");
        if (!state.equals("online") && !state.equals("offline")) {
            return null;
        }
        return new EventStore.Status(deviceId, state, bounded(s.path("boot"), 64), bounded(s.path("time"), 40),
            bounded(s.path("reason"), 64), now);
    }

    private static String bounded(JsonNode value, int max) {
        if (!value.isTextual()) {
            return null;
        }
        String text = value.asText();
        return text.length() <= max ? text : text.substring(0, max);
    }

    private void put(Item item) throws InterruptedException {
        if (!running) {
            throw new IllegalStateException("the dashboard's ingest is closed");
        }
        pending.incrementAndGet();
        queue.put(item);
    }

    private void writeLoop() {
        List<Item> items = new ArrayList<>(batchSize);
        while (running || !queue.isEmpty()) {
            try {
                Item first = queue.poll(200, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                items.add(first);
                queue.drainTo(items, batchSize - 1);
                writeBatch(items);
                pending.addAndGet(-items.size());
            } catch (InterruptedException e) {
                return;
            } finally {
                items.clear();
            }
        }
    }

    private void writeBatch(List<Item> items) {
        List<StoredEvent> events = new ArrayList<>();
        List<EventStore.Status> statuses = new ArrayList<>();
        Map<String, Map<String, Long>> counters = new TreeMap<>();
        for (Item item : items) {
            if (item instanceof EventItem e) {
                events.add(e.event());
            } else if (item instanceof StatusItem s) {
                statuses.add(s.status());
            } else if (item instanceof CountItem c) {
                counters.computeIfAbsent(c.deviceId(), k -> new TreeMap<>()).merge(c.counter(), c.delta(), Long::sum);
            }
        }
        EventStore.Written written;
        try {
            written = store.write(new EventStore.Batch(events, statuses, counters));
        } catch (StoreException e) {
            // infrastructure: log and carry on with the next batch; the events stay in the devices' journals and
            // arrive again after a reconnect with a persistent session
            synchronized (this) {
                storeFailures += events.size();
            }
            LOG.log(Level.WARNING, "dashboard: cannot store a batch of {0} events: {1}", new Object[] {events.size(), e.getMessage()});
            return;
        }
        synchronized (this) {
            stored += written.stored().size();
            alreadyStored += written.alreadyStored();
        }
        if (!written.stored().isEmpty()) {
            live.accept(written.stored());
        }
    }

    /** Waits until everything accepted so far is written (tests, benchmarks, shutdown). */
    public boolean drain(long timeoutMillis) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMillis;
        while (System.currentTimeMillis() < deadline) {
            if (pending.get() == 0) {
                return true;
            }
            Thread.sleep(10);
        }
        return false;
    }

    /** Counters of this process's ingest (the database holds the fleet's). */
    public synchronized Map<String, Object> stats() {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("accepted", checker.accepted());
        out.put("duplicates", checker.duplicates());
        out.put("rejected", checker.rejected());
        out.put("stored", stored);
        out.put("alreadyStored", alreadyStored);
        out.put("storeFailures", storeFailures);
        out.put("oversized", oversized);
        out.put("contextTruncated", contextCut);
        out.put("queued", queue.size());
        return out;
    }

    @Override
    public void close() {
        running = false;
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
