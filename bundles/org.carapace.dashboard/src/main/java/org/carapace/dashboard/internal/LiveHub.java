package org.carapace.dashboard.internal;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The live stream's fan-out: each server-sent-events client has a filter and a bounded queue; stored events are offered
 * to every client whose filter they match. A client that falls behind by more than its queue is told so and
 * disconnected (the page reconnects and catches up from the database), so a slow browser never slows ingestion.
 */
public final class LiveHub {

    /** One connected client. */
    public static final class Client {
        private final EventQuery filter;
        private final BlockingQueue<StoredEvent> queue;
        private volatile boolean overflowed;
        private volatile boolean closed;

        Client(EventQuery filter, int capacity) {
            this.filter = filter;
            this.queue = new ArrayBlockingQueue<>(capacity);
        }

        /** The next event, or {@code null} after the timeout, when closed or after an overflow. */
        public StoredEvent next(long timeoutMillis) throws InterruptedException {
            return closed || overflowed ? null : queue.poll(timeoutMillis, TimeUnit.MILLISECONDS);
        }

        public boolean overflowed() {
            return overflowed;
        }

        public boolean closed() {
            return closed;
        }

        void offer(StoredEvent event) {
            if (filter.matches(event) && !queue.offer(event)) {
                overflowed = true;
            }
        }
    }

    private final int maxClients;
    private final int queueCapacity;
    private final Set<Client> clients = ConcurrentHashMap.newKeySet();

    /**
     * @param maxClients connected clients at most (the next one is refused with 503)
     * @param queueCapacity events buffered per client
     */
    public LiveHub(int maxClients, int queueCapacity) {
        if (maxClients < 1 || queueCapacity < 1) {
            throw new IllegalArgumentException("live stream limits must be positive");
        }
        this.maxClients = maxClients;
        this.queueCapacity = queueCapacity;
    }

    /** Registers a client. */
    public synchronized Client register(EventQuery filter) throws BadRequestException {
        if (clients.size() >= maxClients) {
            throw new BadRequestException(503, null, "too many live clients (at most " + maxClients + ")");
        }
        Client client = new Client(filter, queueCapacity);
        clients.add(client);
        return client;
    }

    public synchronized void unregister(Client client) {
        clients.remove(client);
    }

    public int clients() {
        return clients.size();
    }

    /** Offers committed events to every client (the ingest's writer thread). */
    public void publish(List<StoredEvent> events) {
        for (Client client : clients) {
            for (StoredEvent event : events) {
                client.offer(event);
            }
        }
    }

    /** Ends every client's stream (shutdown). */
    public void closeAll() {
        for (Client client : clients) {
            client.closed = true;
        }
    }
}
