package org.carapace.policy.internal;

import java.io.IOException;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import org.carapace.api.platform.PlatformInfo;
import org.carapace.api.policy.PolicyChange;
import org.carapace.api.policy.PolicyService;
import org.carapace.api.policy.PolicySnapshot;
import org.carapace.api.policy.PolicyStatus;
import org.carapace.api.trust.TrustException;
import org.carapace.api.trust.TrustRoot;
import org.carapace.api.trust.TrustRootListener;
import org.carapace.api.trust.TrustService;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.event.Event;
import org.osgi.service.event.EventAdmin;
import org.osgi.service.log.Logger;
import org.osgi.service.log.LoggerFactory;
import org.osgi.service.metatype.annotations.Designate;

/**
 * The device's {@link PolicyService}, from the required {@code org.carapace.policy} configuration. At activation every
 * stored document is verified again; the service registers whatever the outcome (an empty store is a valid state in
 * which nothing is allowed). When the trust root changes, everything is verified again under the new root.
 */
@Component(configurationPid = PolicyConfiguration.PID, configurationPolicy = ConfigurationPolicy.REQUIRE, immediate = true,
    service = {PolicyService.class, TrustRootListener.class})
@Designate(ocd = PolicyConfiguration.class)
public final class PolicyComponent implements PolicyService, TrustRootListener {

    private final Logger logger;
    private final EventAdmin eventAdmin;
    private final PolicyStore store;

    @Activate
    public PolicyComponent(@Reference PlatformInfo platform, @Reference TrustService trust, @Reference EventAdmin eventAdmin,
                           @Reference(service = LoggerFactory.class) Logger logger, PolicyConfiguration config) throws IOException {
        this.logger = logger;
        this.eventAdmin = eventAdmin;
        PolicyLimits limits = new PolicyLimits(config.maxDocumentBytes(), config.maxNestingDepth(), config.maxImages(),
            config.maxFilesPerImage(), config.maxPathsPerImage(), config.maxRevocations(), config.maxExemptions(),
            config.maxDeviceIds());
        PolicyStore.Settings settings = new PolicyStore.Settings(Paths.resolve("directory", config.directory(), platform.dataDir()),
            platform.deviceId(), limits, config.maxStreams(), config.maxEnvelopeBytes());
        Clock clock = Clock.systemUTC();
        this.store = new PolicyStore(settings, trust, clock, new EventPoster(eventAdmin, clock), this::changed);
        store.load("load");
        PolicyStatus status = store.status();
        logger.info("Policy store {}: {} (versions {}, {} images), limits {}", settings.directory(), status.state(),
            status.snapshot().versions(), status.snapshot().imageCount(), limits);
        for (String problem : status.problems()) {
            logger.warn("Policy store: {}", problem);
        }
    }

    private void changed(String stream, long oldVersion, long newVersion, long generation, int imageCount, String cause) {
        Map<String, Object> properties = new LinkedHashMap<>();
        properties.put(PROP_STREAM, stream);
        properties.put(PROP_OLD_VERSION, oldVersion);
        properties.put(PROP_NEW_VERSION, newVersion);
        properties.put(PROP_GENERATION, generation);
        properties.put(PROP_IMAGE_COUNT, imageCount);
        properties.put(PROP_CAUSE, cause);
        eventAdmin.postEvent(new Event(TOPIC_CHANGED, properties));
        logger.info("Policy stream {}: v{} -> v{} ({}), generation {}, {} images", stream, oldVersion, newVersion, cause,
            generation, imageCount);
    }

    @Override
    public PolicySnapshot snapshot() {
        return store.snapshot();
    }

    @Override
    public PolicyStatus status() {
        return store.status();
    }

    @Override
    public PolicyChange install(byte[] envelopeJson) throws TrustException, IOException {
        return store.install(envelopeJson);
    }

    @Override
    public void rootChanged(TrustRoot previous, TrustRoot current) {
        try {
            store.load("root-changed");
        } catch (IOException e) {
            logger.error("Verifying the policy store again under trust root v{} failed; the previous state stays in force",
                current.version(), e);
        }
    }
}
