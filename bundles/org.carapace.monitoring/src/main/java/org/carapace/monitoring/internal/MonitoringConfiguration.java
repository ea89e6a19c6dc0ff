package org.carapace.monitoring.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

@ObjectClassDefinition(name = "Carapace monitoring",
    description = "Security events to the back end over MQTT: journal, authentication, filters and limits, broker connection.")
@interface MonitoringConfiguration {

    String PID = "org.carapace.monitoring";

    // broker
    @AttributeDefinition(name = "Broker URL",
        description = "tcp://host:port or ssl://host:port. Empty: events are journalled and kept until a broker is configured.")
    String brokerUrl() default "";

    @AttributeDefinition(name = "Require TLS", description = "Refuse a tcp:// broker (production profiles).")
    boolean requireTls() default true;

    @AttributeDefinition(name = "Client id", description = "MQTT client id; empty: carapace-<device id>.")
    String clientId() default "";

    @AttributeDefinition(name = "CA file", description = "PEM CA certificates the broker's certificate must chain to (ssl:// only).")
    String caFile() default "";

    @AttributeDefinition(name = "Client certificate file", description = "PEM client certificate chain; empty: none.")
    String clientCertFile() default "";

    @AttributeDefinition(name = "Client key file", description = "PEM PKCS#8 private key of the client certificate.")
    String clientKeyFile() default "";

    @AttributeDefinition(name = "User name", description = "MQTT user name; empty: none.")
    String username() default "";

    @AttributeDefinition(name = "Password file", description = "File holding the MQTT password (one line); empty: none.")
    String passwordFile() default "";

    @AttributeDefinition(name = "Keep-alive (s)")
    int keepAliveSeconds() default 30;

    @AttributeDefinition(name = "Connect timeout (s)")
    int connectTimeoutSeconds() default 10;

    @AttributeDefinition(name = "First reconnect delay (ms)")
    long reconnectMinMillis() default 500;

    @AttributeDefinition(name = "Longest reconnect delay (ms)")
    long reconnectMaxMillis() default 60_000;

    @AttributeDefinition(name = "Messages in flight", description = "Most QoS 1 messages awaiting their acknowledgement.")
    int maxInflight() default 1000;

    @AttributeDefinition(name = "Receive commands",
        description = "Subscribe to carapace/v1/<device>/commands/+ and hand authenticated commands to their handlers (e.g. ota). "
            + "Off: no subscription is made and the device acts on no command from the back end.")
    boolean commandsEnabled() default false;

    // authentication
    @AttributeDefinition(name = "Event key file",
        description = "The device's event-authentication key (carapace-event-key/v1 JSON, mode 0600). Empty: <data dir>/event-auth.key.")
    String keyFile() default "";

    @AttributeDefinition(name = "Generate a development key",
        description = "Create a development key in the key file when there is none (dev profile only). "
            + "When false, a key file marked as a development key is refused.")
    boolean generateDevKey() default false;

    // journal
    @AttributeDefinition(name = "Journal directory", description = "Empty: <data dir>/events.")
    String journalDir() default "";

    @AttributeDefinition(name = "Journal size (bytes)",
        description = "Most disk space for undelivered events; beyond it the oldest are dropped and an EVENTS_DROPPED event reports them.")
    long journalMaxBytes() default 64L * 1024 * 1024;

    @AttributeDefinition(name = "Journal segment size (bytes)", description = "At most half the journal size.")
    long journalSegmentBytes() default 4L * 1024 * 1024;

    @AttributeDefinition(name = "Largest event (bytes)")
    int journalMaxRecordBytes() default 64 * 1024;

    @AttributeDefinition(name = "Acknowledgement flush interval (ms)",
        description = "How often the delivered position is written to disk; after a crash at most this much is sent again.")
    long ackFlushMillis() default 200;

    // device-wide limits
    @AttributeDefinition(name = "Rate limit (events per interval)", description = "0: none.")
    int rateLimitEvents() default 200;

    @AttributeDefinition(name = "Traffic limit (bytes per interval)", description = "0: none.")
    long trafficLimitBytes() default 256L * 1024;

    @AttributeDefinition(name = "Limit interval (ms)")
    long limitIntervalMillis() default 1000;

    @AttributeDefinition(name = "Limits apply to bypassing types",
        description = "Whether event types in a *_BYPASSING_FILTERS mode obey the rate and traffic limits.")
    boolean limitsApplyToBypass() default true;

    // bounds
    @AttributeDefinition(name = "Longest message (characters)")
    int maxMessageChars() default 256;

    @AttributeDefinition(name = "Most context entries")
    int maxContextEntries() default 16;

    @AttributeDefinition(name = "Longest context value (characters)")
    int maxContextValueChars() default 256;

    @AttributeDefinition(name = "Most list elements in a context value")
    int maxContextListElements() default 16;

    // IdsM frames
    @AttributeDefinition(name = "Add IdsM frames", description = "Add the binary IDS protocol frames to each event (member idsm).")
    boolean idsmFrames() default false;

    @AttributeDefinition(name = "IdsM protocol version")
    int idsmProtocolVersion() default 1;

    @AttributeDefinition(name = "IdsM instance id", description = "0 to 1023.")
    int idsmInstanceId() default 1;

    @AttributeDefinition(name = "IdsM sensor instance ids", description = "Entries sensor=id (0 to 63); other sensors get 0.")
    String[] idsmSensorInstanceIds() default {};

    @AttributeDefinition(name = "IdsM timestamp frames")
    boolean idsmTimestamps() default true;

    @AttributeDefinition(name = "Tick (ms)", description = "How often aggregation windows and limit intervals are checked.")
    long tickMillis() default 100;
}
