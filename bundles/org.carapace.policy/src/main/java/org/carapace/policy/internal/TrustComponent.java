package org.carapace.policy.internal;

import java.io.IOException;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.carapace.api.platform.PlatformInfo;
import org.carapace.api.trust.Envelope;
import org.carapace.api.trust.MalformedDocumentException;
import org.carapace.api.trust.Role;
import org.carapace.api.trust.TrustException;
import org.carapace.api.trust.TrustRoot;
import org.carapace.api.trust.TrustRootListener;
import org.carapace.api.trust.TrustService;
import org.carapace.api.trust.VerifiedPayload;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.event.EventAdmin;
import org.osgi.service.log.Logger;
import org.osgi.service.log.LoggerFactory;
import org.osgi.service.metatype.annotations.Designate;

/**
 * The {@link TrustService} of the device, from the required {@code org.carapace.trust} configuration. It registers
 * even when the anchor is missing or refused (then every verification fails: fail closed) so that status can say why.
 * A configuration that is itself invalid (no anchor path, a malformed pin, bad limits) fails activation.
 */
@Component(configurationPid = TrustConfiguration.PID, configurationPolicy = ConfigurationPolicy.REQUIRE, immediate = true,
    service = {TrustService.class, TrustComponent.class})
@Designate(ocd = TrustConfiguration.class)
public final class TrustComponent implements TrustService {

    private final Logger logger;
    private final TrustStore store;
    private final List<TrustRootListener> listeners = new CopyOnWriteArrayList<>();

    @Activate
    public TrustComponent(@Reference PlatformInfo platform, @Reference EventAdmin eventAdmin,
                          @Reference(service = LoggerFactory.class) Logger logger, TrustConfiguration config) throws IOException {
        this.logger = logger;
        if (config.maxEnvelopeBytes() < 1024 || config.maxEnvelopeBytes() > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("maxEnvelopeBytes must be between 1024 and 2^31-17, was " + config.maxEnvelopeBytes());
        }
        if (config.maxSignatures() < 1 || config.maxSignatures() > 1024) {
            throw new IllegalArgumentException("maxSignatures must be between 1 and 1024, was " + config.maxSignatures());
        }
        String pin = config.anchorSha256() == null ? "" : config.anchorSha256().trim();
        TrustStore.Settings settings = new TrustStore.Settings(
            Paths.resolve("anchor", config.anchor(), platform.dataDir()),
            pin.isEmpty() ? Optional.empty() : Optional.of(pin),
            Paths.resolve("directory", config.directory(), platform.dataDir()),
            config.allowBootstrap(), config.maxEnvelopeBytes(), config.maxSignatures());
        Clock clock = Clock.systemUTC();
        this.store = new TrustStore(settings, clock, new EventPoster(eventAdmin, clock), this::announce);
        store.load();
        logger.info("Trust anchors: anchor {}{}, directory {}, bootstrap {}, root {}", settings.anchor(),
            pin.isEmpty() ? "" : " (pinned)", settings.directory(), settings.allowBootstrap() ? "allowed" : "off",
            store.root().map(r -> "v" + r.version()).orElse("NONE"));
        for (String problem : store.problems()) {
            logger.warn("Trust root: {}", problem);
        }
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addListener(TrustRootListener listener) {
        listeners.add(listener);
    }

    void removeListener(TrustRootListener listener) {
        listeners.remove(listener);
    }

    private void announce(TrustRoot previous, TrustRoot current) {
        logger.info("Trust root now v{} (was {})", current.version(), previous == null ? "none" : "v" + previous.version());
        for (TrustRootListener listener : listeners) {
            try {
                listener.rootChanged(previous, current);
            } catch (RuntimeException e) {
                logger.error("A trust root listener failed", e);
            }
        }
    }

    @Override
    public Optional<TrustRoot> root() {
        return store.root();
    }

    @Override
    public Envelope parse(byte[] envelopeJson) throws MalformedDocumentException {
        return store.parse(envelopeJson);
    }

    @Override
    public VerifiedPayload verify(Envelope envelope, Role role, String payloadType) throws TrustException {
        return store.verify(envelope, role, payloadType);
    }

    @Override
    public TrustRoot install(byte[] envelopeJson) throws TrustException, IOException {
        return store.install(envelopeJson);
    }

    /** For status: where the root comes from. */
    TrustStore.Settings settings() {
        return store.settings();
    }

    /** For status: why there is no root, or what was repaired. */
    List<String> problems() {
        return store.problems();
    }
}
