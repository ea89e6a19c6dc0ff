package org.carapace.secoc.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.Hashtable;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.carapace.api.events.SecurityEvent;
import org.carapace.api.events.SecurityEventType;
import org.carapace.api.platform.PlatformInfo;
import org.carapace.api.secoc.AuthenticationBuildException;
import org.carapace.api.secoc.Authenticator;
import org.carapace.api.secoc.ChannelStatistics;
import org.carapace.api.secoc.FreshnessManager;
import org.carapace.api.secoc.FreshnessType;
import org.carapace.api.secoc.KeyUnavailableException;
import org.carapace.api.secoc.MacSession;
import org.carapace.api.secoc.SecOcParameters;
import org.carapace.api.secoc.SecuredChannel;
import org.carapace.api.secoc.VerificationException;
import org.carapace.api.secoc.VerificationResult;
import org.carapace.api.secoc.VerifiedPdu;
import org.osgi.annotation.bundle.Capability;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.event.Event;
import org.osgi.service.event.EventAdmin;
import org.osgi.service.log.Logger;
import org.osgi.service.log.LoggerFactory;
import org.osgi.service.metatype.annotations.Designate;

/**
 * One configured SecOC channel (factory configuration {@code org.carapace.secoc.channel}), registered as a
 * {@link SecuredChannel} with {@code secoc.name}, {@code secoc.dataId} and {@code secoc.freshness}. Activation
 * validates the configuration ({@link ChannelSettings}), opens the keys in the selected {@link Authenticator}, reads
 * the freshness records and starts the event aggregation; any problem makes activation fail.
 *
 * <p>The service is registered by the component itself, at the end of a successful activation, rather than by
 * Declarative Services: SCR registers a component's service before it constructs the object and leaves it registered
 * (answering {@code null}) when construction fails, and a misconfigured channel must never be visible.
 * Deactivation waits for pending freshness writes, flushes the last events and wipes the MAC sessions.
 */
// registered by hand (see above): declare the service capability that Declarative Services would have declared
@Capability(namespace = "osgi.service", attribute = "objectClass:List<String>=org.carapace.api.secoc.SecuredChannel",
    uses = SecuredChannel.class)
@Component(configurationPid = ChannelConfiguration.PID, configurationPolicy = ConfigurationPolicy.REQUIRE, immediate = true,
    service = {})
@Designate(ocd = ChannelConfiguration.class, factory = true)
public final class ChannelComponent implements SecuredChannel {

    private final SecOcChannel channel;
    private final EventAggregator events;
    private final ScheduledExecutorService scheduler;
    private final Logger logger;
    private final ServiceRegistration<SecuredChannel> registration;

    @Activate
    public ChannelComponent(BundleContext context, ChannelConfiguration config,
                            @Reference(name = "authenticator", target = "(secoc.authenticator=software)") Authenticator authenticator,
                            @Reference PlatformInfo platform, @Reference EventAdmin eventAdmin,
                            @Reference(name = "jasparDomain", cardinality = ReferenceCardinality.OPTIONAL,
                                policyOption = ReferencePolicyOption.GREEDY, target = "(secoc.jaspar.domain=*)")
                            JasparDomainComponent jasparDomain,
                            @Reference(service = LoggerFactory.class) Logger logger) throws Exception {
        this(config, authenticator, platform, eventAdmin, jasparDomain, logger, context);
    }

    /** Without a bundle context (unit tests) nothing is registered. */
    ChannelComponent(ChannelConfiguration config, Authenticator authenticator, PlatformInfo platform, EventAdmin eventAdmin,
                     JasparDomainComponent jasparDomain, Logger logger) throws Exception {
        this(config, authenticator, platform, eventAdmin, jasparDomain, logger, null);
    }

    private ChannelComponent(ChannelConfiguration config,
                             Authenticator authenticator, PlatformInfo platform, EventAdmin eventAdmin,
                             JasparDomainComponent jasparDomain, Logger logger, BundleContext context) throws Exception {
        this.logger = logger;
        ChannelSettings settings = ChannelSettings.from(config);
        Clock clock = Clock.systemUTC();
        Path stateDir = stateDirectory(platform.dataDir(), settings.stateDirectory());
        this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "secoc-" + settings.name());
            t.setDaemon(true);
            return t;
        });
        Consumer<SecurityEvent> poster = e -> eventAdmin.postEvent(new Event(e.topic(), e.toProperties(clock.millis())));
        this.events = new EventAggregator(settings.name(), settings.dataId(), poster);
        try {
            JasparDomain domain = jasparDomain == null ? null : jasparDomain.domain();
            this.channel = assemble(settings, authenticator, domain, stateDir, scheduler, events, clock);
            checkRotation(settings, stateDir, poster);
        } catch (Exception e) {
            scheduler.shutdownNow();
            throw e;
        }
        scheduler.scheduleAtFixedRate(events::flush, settings.eventIntervalMillis(), settings.eventIntervalMillis(),
            TimeUnit.MILLISECONDS);
        Hashtable<String, Object> properties = new Hashtable<>();
        properties.put(SecuredChannel.NAME, settings.name());
        properties.put(SecuredChannel.DATA_ID, settings.dataId());
        properties.put("secoc.freshness", settings.freshnessType().name());
        this.registration = context == null ? null : context.registerService(SecuredChannel.class, this, properties);
        logger.info("SecOC channel {} active: dataId=0x{} {} freshness={} key={}{} attempts={} state={}", settings.name(),
            Integer.toHexString(settings.dataId()), settings.parameters(), settings.freshnessType(), settings.keyId(),
            settings.previousKeyId().isEmpty() ? "" : " (previous " + settings.previousKeyId() + " accepted)",
            settings.parameters().verifyAttempts(), stateDir);
    }

    /** Builds the channel from validated settings; the caller owns the executor. */
    static SecOcChannel assemble(ChannelSettings s, Authenticator authenticator, JasparDomain domain, Path stateDir,
                                 Executor background, FailureSink sink, Clock clock) throws Exception {
        SecOcParameters p = s.parameters();
        FreshnessManager freshness = freshness(s, domain, stateDir, background, clock);
        MacSession tx = null;
        MacSession[] rx = new MacSession[s.previousKeyId().isEmpty() ? 1 : 2];
        try {
            tx = authenticator.open(p.algorithm(), s.keyId());
            rx[0] = authenticator.open(p.algorithm(), s.keyId());
            if (rx.length == 2) {
                rx[1] = authenticator.open(p.algorithm(), s.previousKeyId());
            }
        } catch (KeyUnavailableException e) {
            closeAll(tx, rx);
            throw new IllegalArgumentException("channel " + s.name() + ": " + e.getMessage(), e);
        }
        SecOcChannel channel = new SecOcChannel(s.name(), s.dataId(), p, s.maxAuthenticLength(), s.freshnessType(), freshness,
            tx, rx, sink);
        if (sink instanceof EventAggregator) {
            channel.eventCounts(((EventAggregator) sink)::counts);
        }
        return channel;
    }

    private static void closeAll(MacSession tx, MacSession[] rx) {
        if (tx != null) {
            tx.close();
        }
        for (MacSession s : rx) {
            if (s != null) {
                s.close();
            }
        }
    }

    static FreshnessManager freshness(ChannelSettings s, JasparDomain domain, Path stateDir, Executor background, Clock clock)
        throws IOException, ReservationFile.CorruptStateException {
        int length = s.parameters().freshnessLength();
        FreshnessType type = s.freshnessType();
        if ((type == FreshnessType.JASPAR || type == FreshnessType.JASPAR_SYNC) && domain == null) {
            throw new IllegalArgumentException("channel " + s.name() + ": " + type + " freshness needs a JASPAR domain: set "
                + "jasparDomain.target=(secoc.jaspar.domain=NAME) and jasparDomain.cardinality.minimum=1");
        }
        switch (type) {
            case NONE:
                return new NoFreshness();
            case COUNTER:
                return new CounterFreshness(length, s.window(),
                    reservation(stateDir, s.name() + "-tx", s.txReserveBlock(), length, background),
                    reservation(stateDir, s.name() + "-rx", s.rxReserveBlock(), length, background));
            case TIMESTAMP:
                return new TimestampFreshness(length, clock, s.timestampTickMillis(), s.window(),
                    reservation(stateDir, s.name() + "-tx", s.txReserveBlock(), length, background),
                    reservation(stateDir, s.name() + "-rx", s.rxReserveBlock(), length, background));
            case JASPAR: {
                JasparLayout layout = domain.layout();
                if (layout.length() != length) {
                    throw new IllegalArgumentException("channel " + s.name() + ": JASPAR domain " + domain.name() + " has a "
                        + layout.length() + "-bit freshness value, the channel " + length);
                }
                if (s.parameters().freshnessTxLength() < layout.flag()) {
                    throw new IllegalArgumentException("channel " + s.name() + ": JASPAR needs at least the " + layout.flag()
                        + " reset-flag bits transmitted");
                }
                long txBlock = s.txReserveBlock() << layout.flag();
                long rxBlock = s.rxReserveBlock() << layout.flag();
                return new JasparFreshness(domain, reservation(stateDir, s.name() + "-tx", txBlock, length, background),
                    reservation(stateDir, s.name() + "-rx", rxBlock, length, background));
            }
            case JASPAR_SYNC:
                if (domain.layout().trip() + domain.layout().reset() != length) {
                    throw new IllegalArgumentException("channel " + s.name() + ": a JASPAR_SYNC channel's freshness length must be "
                        + "the domain's trip + reset bits, " + (domain.layout().trip() + domain.layout().reset()));
                }
                return new JasparSyncFreshness(domain);
            default:
                throw new IllegalArgumentException("unsupported freshness type " + type);
        }
    }

    private static Reservation reservation(Path dir, String name, long block, int length, Executor background)
        throws IOException, ReservationFile.CorruptStateException {
        return new Reservation(new ReservationFile(dir.resolve(name + ".fv")), block, CounterFreshness.ceiling(length), background);
    }

    static Path stateDirectory(Path dataDir, String configured) throws IOException {
        Path dir = configured.isEmpty() ? dataDir.resolve("secoc").resolve("freshness") : dataDir.resolve(configured);
        Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        return dir;
    }

    /** Posts SECOC_KEY_ROTATED when the channel's current key id differs from the one it last ran with. */
    private static void checkRotation(ChannelSettings s, Path stateDir, Consumer<SecurityEvent> poster) throws IOException {
        Path file = stateDir.resolve(s.name() + ".keyid");
        String before = Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8).trim() : "";
        if (!before.equals(s.keyId())) {
            Path temporary = stateDir.resolve(s.name() + ".keyid.tmp");
            Files.writeString(temporary, s.keyId() + "\n", StandardCharsets.UTF_8);
            Files.move(temporary, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            if (!before.isEmpty()) {
                poster.accept(SecurityEvent.of(SecurityEventType.SECOC_KEY_ROTATED, EventAggregator.SENSOR, "SecOC channel " + s.name()
                    + " now uses key " + s.keyId() + " (was " + before + ")", Map.of("channel", s.name(), "dataId", s.dataId(),
                        "keyId", s.keyId(), "previousKeyId", before)));
            }
        }
    }

    @Deactivate
    void deactivate() {
        if (registration != null) {
            registration.unregister();
        }
        scheduler.shutdown();
        try {
            if (!scheduler.awaitTermination(5, TimeUnit.SECONDS)) {
                logger.warn("SecOC channel {}: freshness writes still pending at stop", channel.name());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        events.flush();
        channel.close();
        logger.debug("SecOC channel {} stopped", channel.name());
    }

    @Override
    public String name() {
        return channel.name();
    }

    @Override
    public int dataId() {
        return channel.dataId();
    }

    @Override
    public SecOcParameters parameters() {
        return channel.parameters();
    }

    @Override
    public FreshnessType freshnessType() {
        return channel.freshnessType();
    }

    @Override
    public int maxAuthenticLength() {
        return channel.maxAuthenticLength();
    }

    @Override
    public int protect(byte[] authentic, int offset, int length, byte[] out, int outOffset) throws AuthenticationBuildException {
        return channel.protect(authentic, offset, length, out, outOffset);
    }

    @Override
    public VerificationResult verify(byte[] secured, int offset, int length, VerifiedPdu result) {
        return channel.verify(secured, offset, length, result);
    }

    @Override
    public byte[] open(byte[] secured) throws VerificationException {
        return channel.open(secured);
    }

    @Override
    public ChannelStatistics statistics() {
        return channel.statistics();
    }

    /** Freshness state for diagnostics: last accepted value. */
    long lastAccepted() {
        return channel.freshnessManager().lastAccepted();
    }

    @Override
    public String toString() {
        return channel.toString();
    }
}
