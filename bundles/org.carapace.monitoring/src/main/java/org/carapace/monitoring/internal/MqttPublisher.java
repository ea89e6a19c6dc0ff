package org.carapace.monitoring.internal;

import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;
import javax.net.ssl.SSLSocketFactory;
import org.carapace.api.monitoring.MonitoringTopics;
import org.eclipse.paho.client.mqttv3.IMqttActionListener;
import org.eclipse.paho.client.mqttv3.IMqttDeliveryToken;
import org.eclipse.paho.client.mqttv3.IMqttToken;
import org.eclipse.paho.client.mqttv3.MqttAsyncClient;
import org.eclipse.paho.client.mqttv3.MqttCallback;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;

/**
 * Forwards the journal to the MQTT broker: QoS 1, in journal order, up to {@code maxInflight} unacknowledged
 * messages, each acknowledgement (PUBACK, MQTT 3.1.1 §4.3.2) moving the journal's position. It keeps a retained
 * online/offline status on {@code carapace/v1/<device>/status} with a last will (MQTT 3.1.1 §3.1.2.5), and
 * reconnects with exponential backoff and jitter.
 *
 * <p>The session is clean (MQTT 3.1.1 §3.1.2.4): after any reconnect the publisher itself resends everything the
 * journal holds unacknowledged, in order. A message can therefore arrive twice; the back end drops duplicates by
 * device and sequence number. Paho's own store is in memory only; the journal is the store.
 *
 * <p>With a command sink, it also subscribes to the device's command topics at QoS 1 once each connection is up and
 * hands every message that arrives there to the sink (which authenticates it). The subscription never holds up or fails
 * the connection: events flow whether it succeeds, is refused (a SUBACK return code 0x80, MQTT 3.1.1 §3.9.3, which
 * Paho's asynchronous client reports as a success), never answered, or makes the broker drop the connection (then it is
 * tried again only after a growing delay, so a broker that punishes the subscription cannot starve the events). Its
 * state is in {@link #status()}, {@code commandSubscription}.
 */
final class MqttPublisher implements AutoCloseable {

    /**
     * Connection settings.
     *
     * @param brokerUrl {@code tcp://host:port} or {@code ssl://host:port}
     * @param clientId the MQTT client id
     * @param deviceId the device, for the topics
     * @param username user name, or {@code null}
     * @param password password, or {@code null}
     * @param socketFactory TLS socket factory for {@code ssl://}, else {@code null}
     * @param keepAliveSeconds MQTT keep-alive
     * @param connectTimeoutSeconds how long a connect may take
     * @param reconnectMinMillis first backoff after a failure
     * @param reconnectMaxMillis longest backoff
     * @param maxInflight most messages awaiting their acknowledgement
     * @param batchRecords most records read from the journal at once
     */
    record Settings(String brokerUrl, String clientId, String deviceId, String username, char[] password,
                    SSLSocketFactory socketFactory, int keepAliveSeconds, int connectTimeoutSeconds,
                    long reconnectMinMillis, long reconnectMaxMillis, int maxInflight, int batchRecords) {
        Settings {
            Objects.requireNonNull(brokerUrl, "brokerUrl");
            if (!brokerUrl.startsWith("tcp://") && !brokerUrl.startsWith("ssl://")) {
                throw new IllegalArgumentException("brokerUrl must start with tcp:// or ssl://, was '" + brokerUrl + "'");
            }
            if (brokerUrl.startsWith("ssl://") && socketFactory == null) {
                throw new IllegalArgumentException("an ssl:// broker needs a CA file");
            }
            if (clientId == null || clientId.isEmpty() || clientId.length() > 65535) {
                throw new IllegalArgumentException("clientId must not be empty");
            }
            if (keepAliveSeconds < 1 || connectTimeoutSeconds < 1) {
                throw new IllegalArgumentException("keepAliveSeconds and connectTimeoutSeconds must be positive");
            }
            if (reconnectMinMillis < 1 || reconnectMaxMillis < reconnectMinMillis) {
                throw new IllegalArgumentException("need 1 <= reconnectMinMillis <= reconnectMaxMillis");
            }
            if (maxInflight < 1 || maxInflight > 65535 || batchRecords < 1) {
                throw new IllegalArgumentException("maxInflight must be 1 to 65535 and batchRecords positive");
            }
        }
    }

    /** Connection state. */
    enum State { CONNECTING, CONNECTED, BACKING_OFF, STOPPED }

    /** State of the command subscription. */
    enum Subscription { DISABLED, NOT_CONNECTED, PENDING, SUBSCRIBED, REFUSED, FAILED, DEFERRED }

    /** SUBACK return code of a refused subscription (MQTT 3.1.1 §3.9.3). */
    static final int SUBACK_FAILURE = 0x80;
    /** First and longest delay before subscribing again after the broker dropped the connection on a subscription. */
    static final long SUBSCRIBE_RETRY_MIN_MILLIS = 60_000;
    static final long SUBSCRIBE_RETRY_MAX_MILLIS = 3_600_000;

    private static final class Inflight {
        final long sequence;
        volatile boolean acked;

        Inflight(long sequence) {
            this.sequence = sequence;
        }
    }

    private final Settings settings;
    private final EventJournal journal;
    private final String bootId;
    private final Clock wallClock;
    private final Consumer<String> info;
    private final Consumer<String> warn;
    private final Thread thread;
    private final Map<String, String> topics = new HashMap<>();
    private final Object signal = new Object();
    private final String statusTopic;
    private final CommandSink commands;

    private volatile boolean running = true;
    private volatile State state = State.CONNECTING;
    private volatile long stateSinceMillis;
    private volatile long lastDeliveryMillis;
    private volatile long lastAckedSeq;
    private volatile long published;
    private volatile long acknowledged;
    private volatile long connects;
    private volatile String lastError;
    private volatile int inflightCount;
    private volatile boolean lost;
    private volatile Subscription subscription;
    private volatile String subscriptionDetail;
    /** No subscription before this instant (System.nanoTime); set when the broker dropped the connection on one. */
    private volatile long subscribeNotBefore;
    private volatile boolean subscribeDelayed;
    private volatile long subscribeRetryMillis = SUBSCRIBE_RETRY_MIN_MILLIS;
    /** The connection number the last subscription was made on. */
    private volatile long subscribedOn;
    /** Whether the broker answered the last subscription (SUBACK), whatever the answer. */
    private volatile boolean subscriptionAnswered;
    /** Set while the publisher thread waits for acknowledgements: only then does an acknowledgement wake it. */
    private volatile boolean waiting;
    private MqttAsyncClient client;
    private long failures;
    private long lastWarningNanos;

    /** Where messages on the command topics go; called on Paho's callback thread. */
    @FunctionalInterface
    interface CommandSink {
        void arrived(String topic, byte[] payload, boolean retained);
    }

    MqttPublisher(Settings settings, EventJournal journal, String bootId, Clock wallClock, Consumer<String> info,
                  Consumer<String> warn) {
        this(settings, journal, bootId, wallClock, info, warn, null);
    }

    MqttPublisher(Settings settings, EventJournal journal, String bootId, Clock wallClock, Consumer<String> info,
                  Consumer<String> warn, CommandSink commands) {
        this.commands = commands;
        this.settings = settings;
        this.journal = journal;
        this.bootId = bootId;
        this.wallClock = wallClock;
        this.info = info;
        this.warn = warn;
        this.statusTopic = MonitoringTopics.status(settings.deviceId());
        this.stateSinceMillis = wallClock.millis();
        this.subscription = commands == null ? Subscription.DISABLED : Subscription.NOT_CONNECTED;
        this.thread = new Thread(this::run, "carapace-mqtt-publisher");
        thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    /** A snapshot for status reports. */
    Map<String, Object> status() {
        Map<String, Object> status = new LinkedHashMap<>();
        status.put("broker", settings.brokerUrl());
        status.put("clientId", settings.clientId());
        status.put("state", state.name());
        status.put("since", Instant.ofEpochMilli(stateSinceMillis).toString());
        status.put("connects", connects);
        status.put("published", published);
        status.put("acknowledged", acknowledged);
        status.put("inflight", inflightCount);
        status.put("lastAcknowledgedSeq", lastAckedSeq);
        status.put("lastDelivery", lastDeliveryMillis == 0 ? null : Instant.ofEpochMilli(lastDeliveryMillis).toString());
        status.put("lastError", lastError);
        status.put("commandSubscription", subscription.name());
        status.put("commandSubscriptionDetail", subscriptionDetail);
        return status;
    }

    State state() {
        return state;
    }

    Subscription subscription() {
        return subscription;
    }

    private void setState(State next) {
        if (state != next) {
            state = next;
            stateSinceMillis = wallClock.millis();
        }
    }

    private byte[] statusPayload(String presence, String reason) {
        String json = "{\"v\":1,\"device\":\"" + settings.deviceId() + "\",\"state\":\"" + presence + "\",\"boot\":\""
            + bootId + "\",\"time\":\"" + wallClock.instant() + "\"" + (reason == null ? "" : ",\"reason\":\"" + reason + "\"") + "}";
        return json.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    private void run() {
        long backoff = settings.reconnectMinMillis();
        try {
            client = new MqttAsyncClient(settings.brokerUrl(), settings.clientId(), new MemoryPersistence());
        } catch (MqttException e) {
            lastError = "cannot create the MQTT client: " + e;
            warn.accept(lastError);
            setState(State.STOPPED);
            return;
        }
        client.setCallback(new MqttCallback() {
            @Override
            public void connectionLost(Throwable cause) {
                lost = true;
                lastError = "connection lost: " + cause;
                synchronized (signal) {
                    signal.notifyAll();
                }
            }

            @Override
            public void messageArrived(String topic, MqttMessage message) {
                // only the command topics are subscribed to; the sink authenticates and bounds what arrives
                if (commands != null) {
                    try {
                        commands.arrived(topic, message.getPayload(), message.isRetained());
                    } catch (RuntimeException e) {
                        // Paho shuts the client down when this method throws: one bad message must not cut the link
                        warn.accept("A message on " + CommandDispatcher.escape(topic) + " could not be handled: "
                            + CommandDispatcher.escape(String.valueOf(e)));
                    }
                }
            }

            @Override
            public void deliveryComplete(IMqttDeliveryToken token) {
                // acknowledgements arrive through each publish's listener
            }
        });
        while (running) {
            setState(State.CONNECTING);
            try {
                connect();
                connects++;
                failures = 0;
                backoff = settings.reconnectMinMillis();
                setState(State.CONNECTED);
                info.accept("Connected to MQTT broker " + settings.brokerUrl() + " as " + settings.clientId());
                if (commands != null) {
                    subscription = Subscription.NOT_CONNECTED;
                }
                forward();
            } catch (MqttException | IOException e) {
                lastError = describe(e);
            } catch (RuntimeException e) {
                // a bug must not end forwarding for good: report it, back off, try again
                lastError = "unexpected: " + e;
                warn.accept("MQTT publisher failed unexpectedly: " + e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            afterConnectionEnded();
            if (!running) {
                break;
            }
            disconnectQuietly();
            setState(State.BACKING_OFF);
            failures++;
            // one warning when an outage starts, then one a minute: a long outage must not flood the log
            long now = System.nanoTime();
            if (failures == 1 || now - lastWarningNanos >= 60_000_000_000L) {
                warn.accept("MQTT broker " + settings.brokerUrl() + " unavailable (" + lastError + "); " + failures
                    + " attempt(s) failed, retrying in " + backoff + " ms; events are kept in the journal");
                lastWarningNanos = now;
            }
            if (!sleep(backoff)) {
                break;
            }
            // exponential backoff with +-20% jitter, so a fleet does not reconnect in lockstep after an outage
            long doubled = Math.min(settings.reconnectMaxMillis(), backoff * 2);
            backoff = Math.max(settings.reconnectMinMillis(), (long) (doubled * (0.8 + 0.4 * ThreadLocalRandom.current().nextDouble())));
            backoff = Math.min(backoff, settings.reconnectMaxMillis());
        }
        setState(State.STOPPED);
    }

    private static String describe(Exception e) {
        // Paho's MqttException already names its cause
        return e.toString();
    }

    private void connect() throws MqttException {
        MqttConnectOptions options = new MqttConnectOptions();
        options.setMqttVersion(MqttConnectOptions.MQTT_VERSION_3_1_1);
        options.setCleanSession(true);
        options.setAutomaticReconnect(false);
        options.setKeepAliveInterval(settings.keepAliveSeconds());
        options.setConnectionTimeout(settings.connectTimeoutSeconds());
        options.setMaxInflight(settings.maxInflight());
        options.setWill(statusTopic, statusPayload("offline", "connection-lost"), 1, true);
        if (settings.username() != null) {
            options.setUserName(settings.username());
        }
        if (settings.password() != null) {
            options.setPassword(settings.password());
        }
        if (settings.socketFactory() != null) {
            options.setSocketFactory(settings.socketFactory());
            options.setHttpsHostnameVerificationEnabled(true);
        }
        lost = false;
        client.connect(options).waitForCompletion(settings.connectTimeoutSeconds() * 1000L + 1000);
        client.publish(statusTopic, statusPayload("online", null), 1, true).waitForCompletion(settings.connectTimeoutSeconds() * 1000L);
    }

    /**
     * Subscribes to the command topics without waiting for the SUBACK (called on the publisher's thread once the
     * connection is up, and again when a delay set after a dropped connection has passed). The session is clean, so the
     * subscription is made again on every connection; a command sent while the device was offline is not delivered (the
     * back end resends until it sees a report naming the command).
     */
    private void subscribeCommands() {
        if (commands == null || subscription != Subscription.NOT_CONNECTED && subscription != Subscription.DEFERRED) {
            return;
        }
        if (subscribeDelayed && System.nanoTime() - subscribeNotBefore < 0) {
            subscription = Subscription.DEFERRED;
            return;
        }
        subscription = Subscription.PENDING;
        subscriptionDetail = null;
        subscriptionAnswered = false;
        subscribedOn = connects;
        long connection = connects;
        try {
            client.subscribe(MonitoringTopics.commandsFilter(settings.deviceId()), 1, null, new IMqttActionListener() {
                @Override
                public void onSuccess(IMqttToken token) {
                    if (connection != connects) {
                        return; // an answer on a connection that is gone
                    }
                    subscriptionAnswered = true;
                    int[] granted = token.getGrantedQos();
                    // Paho 1.2.5's asynchronous client calls a SUBACK of 0x80 (refused, e.g. by the broker's ACL) a success
                    if (granted == null || granted.length == 0 || granted[0] == SUBACK_FAILURE) {
                        subscription = Subscription.REFUSED;
                        subscriptionDetail = "the broker refused the subscription to "
                            + MonitoringTopics.commandsFilter(settings.deviceId()) + " (SUBACK 0x80): no commands are received";
                        warn.accept(subscriptionDetail + "; events are still sent");
                    } else {
                        subscription = Subscription.SUBSCRIBED;
                        subscriptionDetail = null;
                        subscribeDelayed = false;
                        subscribeRetryMillis = SUBSCRIBE_RETRY_MIN_MILLIS;
                    }
                }

                @Override
                public void onFailure(IMqttToken token, Throwable failure) {
                    if (connection != connects || lost || !client.isConnected()) {
                        return; // Paho fails the token when the connection ends: afterConnectionEnded() decides
                    }
                    subscription = Subscription.FAILED;
                    subscriptionDetail = "subscribing to the command topics failed: " + failure;
                    warn.accept(subscriptionDetail + "; events are still sent");
                }
            });
        } catch (MqttException | RuntimeException e) {
            subscription = Subscription.FAILED;
            subscriptionDetail = "subscribing to the command topics failed: " + e;
            warn.accept(subscriptionDetail + "; events are still sent");
        }
    }

    /** After a lost connection: a subscription still unanswered may be what the broker dropped it for. */
    private void afterConnectionEnded() {
        if (commands == null) {
            return;
        }
        if (subscribedOn == connects && !subscriptionAnswered
            && (subscription == Subscription.PENDING || subscription == Subscription.FAILED)) {
            // some brokers close the connection instead of refusing a forbidden subscription (MQTT 3.1.1 §3.8.4 allows
            // both): do not let the subscription cost the events their connection on every attempt
            subscribeDelayed = true;
            subscribeNotBefore = System.nanoTime() + subscribeRetryMillis * 1_000_000L;
            subscriptionDetail = "the connection ended before the broker answered the subscription; it is tried again in "
                + subscribeRetryMillis + " ms";
            subscribeRetryMillis = Math.min(SUBSCRIBE_RETRY_MAX_MILLIS, subscribeRetryMillis * 2);
            warn.accept(subscriptionDetail);
            subscription = Subscription.DEFERRED;
        } else if (subscription != Subscription.DEFERRED) {
            subscription = Subscription.NOT_CONNECTED;
        }
    }

    /** Publishes from the journal until the connection is lost or the publisher stops. */
    private void forward() throws MqttException, IOException, InterruptedException {
        ArrayDeque<Inflight> inflight = new ArrayDeque<>();
        long cursor = journal.firstAvailable();
        IMqttActionListener acked = new IMqttActionListener() {
            @Override
            public void onSuccess(IMqttToken token) {
                ((Inflight) token.getUserContext()).acked = true;
                if (waiting) {
                    synchronized (signal) {
                        signal.notifyAll();
                    }
                }
            }

            @Override
            public void onFailure(IMqttToken token, Throwable failure) {
                lastError = "publish failed: " + failure;
                synchronized (signal) {
                    signal.notifyAll();
                }
            }
        };
        try {
            while (running && !lost && client.isConnected()) {
                subscribeCommands();
                releaseAcknowledged(inflight);
                int room = settings.maxInflight() - inflight.size();
                // read in batches: with messages in flight, wait until a useful number of acknowledgements freed room
                if (room <= 0 || (!inflight.isEmpty() && room < Math.min(settings.batchRecords(), settings.maxInflight() / 4))) {
                    synchronized (signal) {
                        waiting = true;
                        if (!inflight.peekFirst().acked && !lost && running) {
                            signal.wait(20);
                        }
                        waiting = false;
                    }
                    continue;
                }
                List<JournalRecord> batch = journal.read(cursor, Math.min(room, settings.batchRecords()), 1 << 20);
                if (batch.isEmpty()) {
                    journal.awaitRecords(cursor - 1, inflight.isEmpty() ? 200 : 5);
                    continue;
                }
                for (JournalRecord record : batch) {
                    Inflight entry = new Inflight(record.sequence());
                    inflight.addLast(entry);
                    client.publish(topic(record.category()), SealedEvent.decode(record.payload()).toJson(), 1, false, entry, acked);
                    published++;
                    cursor = record.sequence() + 1;
                }
                inflightCount = inflight.size();
            }
            if (lost || !client.isConnected()) {
                throw new IOException(lastError == null ? "connection lost" : lastError);
            }
        } finally {
            releaseAcknowledged(inflight);
            inflightCount = 0;
        }
    }

    /** Moves the journal's position over the acknowledged prefix of what is in flight. */
    private void releaseAcknowledged(ArrayDeque<Inflight> inflight) {
        long last = -1;
        int released = 0;
        while (!inflight.isEmpty() && inflight.peekFirst().acked) {
            last = inflight.pollFirst().sequence;
            released++;
        }
        if (last > 0) {
            journal.acknowledge(last);
            acknowledged += released;
            lastAckedSeq = last;
            lastDeliveryMillis = wallClock.millis();
            inflightCount = inflight.size();
        }
    }

    private String topic(String category) {
        return topics.computeIfAbsent(category, c -> MonitoringTopics.events(settings.deviceId(), c));
    }

    private boolean sleep(long millis) {
        synchronized (signal) {
            long deadline = System.currentTimeMillis() + millis;
            while (running) {
                long left = deadline - System.currentTimeMillis();
                if (left <= 0) {
                    return true;
                }
                try {
                    signal.wait(left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
            return false;
        }
    }

    private void disconnectQuietly() {
        try {
            if (client.isConnected()) {
                client.disconnect(1000).waitForCompletion(2000);
            }
        } catch (MqttException e) {
            // the connection is going anyway
        }
    }

    /** Publishes the retained offline status, disconnects and stops. Events still unacknowledged stay journalled. */
    @Override
    public void close() {
        running = false;
        synchronized (signal) {
            signal.notifyAll();
        }
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (client != null) {
            try {
                if (client.isConnected()) {
                    client.publish(statusTopic, statusPayload("offline", "shutdown"), 1, true).waitForCompletion(2_000);
                    client.disconnect(1_000).waitForCompletion(2_000);
                }
            } catch (MqttException e) {
                warn.accept("MQTT disconnect failed: " + e);
            }
            try {
                client.close(true);
            } catch (MqttException e) {
                // nothing left to release
            }
        }
        setState(State.STOPPED);
    }
}
