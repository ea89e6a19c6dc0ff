package org.carapace.secoc.internal;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.carapace.api.platform.PlatformInfo;
import org.carapace.api.secoc.SecOcException;
import org.carapace.api.secoc.SecuredEndpoint;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.log.Logger;
import org.osgi.service.log.LoggerFactory;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * A JASPAR freshness domain (factory configuration {@code org.carapace.secoc.jaspar}): the trip and reset counters
 * its JASPAR channels share. As master it persists and raises the trip counter at start-up, raises the reset counter
 * every reset cycle and sends a synchronisation message through every {@code syncEndpoint} (endpoints of a
 * JASPAR_SYNC channel of this domain) at each change and every sync interval. As slave it learns the counters from
 * the synchronisation messages its JASPAR_SYNC channel verifies.
 *
 * <p>Registered as a bundle-private service with {@code secoc.jaspar.domain=NAME} (its configured name) so that
 * channels select it with {@code jasparDomain.target}.
 */
@Component(configurationPid = JasparDomainComponent.PID, configurationPolicy = ConfigurationPolicy.REQUIRE, immediate = true,
    service = JasparDomainComponent.class)
@Designate(ocd = JasparDomainComponent.Config.class, factory = true)
public final class JasparDomainComponent {

    static final String PID = "org.carapace.secoc.jaspar";
    static final String PROPERTY = "secoc.jaspar.domain";

    @ObjectClassDefinition(name = "Carapace SecOC JASPAR domain", description = "Trip and reset counters of JASPAR channels.")
    @interface Config {
        @AttributeDefinition(name = "Name", description = "Domain name; channels select it with (secoc.jaspar.domain=NAME).")
        String secoc_jaspar_domain();

        @AttributeDefinition(name = "Role", description = "MASTER (owns the counters) or SLAVE (learns them from sync messages).")
        String role();

        @AttributeDefinition(name = "Trip counter bits", description = "1..24")
        int tripBits() default 16;

        @AttributeDefinition(name = "Reset counter bits", description = "1..24")
        int resetBits() default 20;

        @AttributeDefinition(name = "Message counter bits", description = "1..48")
        int messageBits() default 26;

        @AttributeDefinition(name = "Reset flag bits", description = "1..reset counter bits")
        int flagBits() default 2;

        @AttributeDefinition(name = "Reset cycle (ms)", description = "MASTER: how often the reset counter rises.")
        long resetCycleMillis() default 60_000;

        @AttributeDefinition(name = "Sync interval (ms)", description = "MASTER: how often the current counters are re-sent.")
        long syncIntervalMillis() default 5_000;

        @AttributeDefinition(name = "State directory",
            description = "MASTER: where the trip counter is kept; empty: <data dir>/secoc/jaspar.")
        String stateDirectory() default "";

        @AttributeDefinition(name = "Sync endpoint filter",
            description = "MASTER: endpoints that carry sync messages, e.g. (endpoint.name=sync-out).")
        String syncEndpoint_target() default "(endpoint.name=*)";
    }

    private final JasparDomain domain;
    private final ScheduledExecutorService scheduler;
    private final List<SecuredEndpoint> syncEndpoints = new CopyOnWriteArrayList<>();
    private final Logger logger;

    @Activate
    public JasparDomainComponent(Config config, @Reference PlatformInfo platform,
                                 @Reference(service = LoggerFactory.class) Logger logger) throws Exception {
        this.logger = logger;
        String name = config.secoc_jaspar_domain();
        if (name == null || !ChannelSettings.NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("JASPAR domain name must match " + ChannelSettings.NAME + ", was '" + name + "'");
        }
        JasparLayout layout = new JasparLayout(config.tripBits(), config.resetBits(), config.messageBits(), config.flagBits());
        JasparDomain.Role role;
        try {
            role = JasparDomain.Role.valueOf(String.valueOf(config.role()).trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("JASPAR domain " + name + ": role must be MASTER or SLAVE, was '" + config.role() + "'",
                e);
        }
        if (role == JasparDomain.Role.MASTER && (config.resetCycleMillis() < 100 || config.syncIntervalMillis() < 100)) {
            throw new IllegalArgumentException("JASPAR domain " + name + ": resetCycleMillis and syncIntervalMillis must be >= 100");
        }
        if (role == JasparDomain.Role.MASTER) {
            Path dir = ChannelComponent.stateDirectory(platform.dataDir(),
                config.stateDirectory().isEmpty() ? "secoc/jaspar" : config.stateDirectory());
            this.domain = JasparDomain.master(name, layout,
                new ReservationFile(dir.resolve(name + "-trip.fv")));
        } else {
            this.domain = JasparDomain.slave(name, layout);
        }
        this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "secoc-jaspar-" + name);
            t.setDaemon(true);
            return t;
        });
        if (role == JasparDomain.Role.MASTER) {
            scheduler.scheduleAtFixedRate(() -> {
                domain.advanceReset();
                sendSync();
            }, config.resetCycleMillis(), config.resetCycleMillis(), TimeUnit.MILLISECONDS);
            scheduler.scheduleAtFixedRate(this::sendSync, 0, config.syncIntervalMillis(), TimeUnit.MILLISECONDS);
        }
        logger.info("SecOC JASPAR domain {} active: {} layout {}", name, domain, layout);
    }

    @Reference(name = "syncEndpoint", cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
        target = "(endpoint.name=*)")
    void addSyncEndpoint(SecuredEndpoint endpoint) {
        syncEndpoints.add(endpoint);
    }

    void removeSyncEndpoint(SecuredEndpoint endpoint) {
        syncEndpoints.remove(endpoint);
    }

    private void sendSync() {
        for (SecuredEndpoint endpoint : syncEndpoints) {
            if (endpoint.channel().freshnessType() != org.carapace.api.secoc.FreshnessType.JASPAR_SYNC) {
                continue;
            }
            try {
                endpoint.send(new byte[0]);
            } catch (SecOcException | IOException | RuntimeException e) {
                logger.warn("JASPAR domain {}: sync message not sent: {}", domain.name(), e.toString());
            }
        }
    }

    JasparDomain domain() {
        return domain;
    }

    @Deactivate
    void deactivate() {
        scheduler.shutdownNow();
    }
}
