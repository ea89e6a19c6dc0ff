package org.carapace.dashboard.internal;

import java.io.IOException;
import java.time.Clock;
import org.carapace.api.monitoring.EventStreamChecker;
import org.carapace.api.monitoring.QualifiedEvent;

/**
 * The dashboard in one process: the store (migrated on open), the ingest that verifies and stores what MQTT
 * delivers, the live stream's hub and the HTTP server. The caller feeds MQTT messages to {@link #accept}.
 */
public final class Dashboard implements AutoCloseable {

    /**
     * Ingest limits.
     *
     * @param queue items waiting for the database writer at most
     * @param batch items per transaction at most
     * @param maxPayload bytes per MQTT message (one event's envelope) at most; larger ones are rejected unread
     * @param maxContextFields context entries stored per event at most (1 to {@value QualifiedEvent#MAX_CONTEXT_ENTRIES},
     *     the wire format's own limit); a verified event with more is stored with the first ones and marked truncated
     */
    public record IngestLimits(int queue, int batch, int maxPayload, int maxContextFields) {
        public IngestLimits {
            if (queue < 1 || batch < 1 || maxPayload < 1024 || maxContextFields < 1
                || maxContextFields > QualifiedEvent.MAX_CONTEXT_ENTRIES) {
                throw new IllegalArgumentException("ingest limits out of range: queue and batch at least 1, maxPayload at least 1024, "
                    + "maxContextFields 1 to " + QualifiedEvent.MAX_CONTEXT_ENTRIES + ": " + queue + ", " + batch + ", " + maxPayload
                    + ", " + maxContextFields);
            }
        }

        /** 10,000 queued, 500 a transaction, 256 KiB a message, every context entry the wire format allows. */
        public static IngestLimits defaults() {
            return new IngestLimits(10_000, 500, Ingest.DEFAULT_MAX_PAYLOAD, QualifiedEvent.MAX_CONTEXT_ENTRIES);
        }
    }

    private final EventStore store;
    private final LiveHub hub;
    private final Ingest ingest;
    private final DashboardServer server;

    private Dashboard(EventStore store, LiveHub hub, Ingest ingest, DashboardServer server) {
        this.store = store;
        this.hub = hub;
        this.ingest = ingest;
        this.server = server;
    }

    /**
     * Opens the database, starts the writer and the HTTP server.
     *
     * @throws DashboardException if the configuration is refused or the database cannot be opened or migrated
     * @throws IOException if the address cannot be bound
     */
    public static Dashboard start(EventStore store, EventStreamChecker checker, DashboardConfig config, IngestLimits ingestLimits,
                                  Clock clock) throws DashboardException, IOException {
        config.validate();
        LiveHub hub = new LiveHub(config.limits().maxLiveClients(), config.limits().liveQueue());
        Ingest ingest = new Ingest(checker, store, clock, ingestLimits, config.limits().maxDevices(), hub::publish);
        DashboardServer server;
        try {
            server = new DashboardServer(store, ingest, hub, config, clock);
        } catch (IOException e) {
            ingest.close();
            throw e;
        }
        server.start();
        return new Dashboard(store, hub, ingest, server);
    }

    /** One MQTT message (blocks while the database writer is behind). */
    public void accept(String topic, byte[] payload) throws InterruptedException {
        ingest.accept(topic, payload);
    }

    public String url() {
        return server.url();
    }

    public EventStore store() {
        return store;
    }

    public Ingest ingest() {
        return ingest;
    }

    public LiveHub hub() {
        return hub;
    }

    /** Stops the server, writes what is queued, and closes the database. */
    @Override
    public void close() {
        server.close();
        ingest.close();
        store.close();
    }
}
