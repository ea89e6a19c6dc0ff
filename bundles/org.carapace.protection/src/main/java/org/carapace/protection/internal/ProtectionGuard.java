package org.carapace.protection.internal;

import java.nio.file.Path;
import java.time.Clock;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.carapace.api.enforcement.ContainerGuard;
import org.carapace.api.enforcement.ContainerState;
import org.carapace.api.enforcement.GateDecision;
import org.carapace.api.enforcement.GuardException;
import org.carapace.api.enforcement.ImageManifests;
import org.carapace.api.events.SecurityEvent;
import org.carapace.api.platform.PlatformInfo;
import org.carapace.api.policy.PolicyService;
import org.carapace.api.protection.ProtectionRules;
import org.carapace.api.protection.ProtectionRulesProvider;
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
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * The running-container protection as a {@link ContainerGuard}: the gate calls it after allowing a container and
 * before answering the OCI runtime, so the container's fanotify marks and read-only layer are in place before its
 * first process runs; {@code poststop} releases them.
 */
@Component(configurationPid = ProtectionGuard.PID, configurationPolicy = ConfigurationPolicy.REQUIRE,
    service = {ContainerGuard.class, ProtectionGuard.class})
@Designate(ocd = ProtectionGuard.Config.class)
public final class ProtectionGuard implements ContainerGuard {

    static final String PID = "org.carapace.protection";

    @ObjectClassDefinition(name = "Carapace running-container protection",
        description = "Application whitelisting, file protection and associated execution in containers the gate allowed.")
    @interface Config {
        @AttributeDefinition(name = "Enabled", description = "false: containers are gated but not protected once running "
            + "(for measuring the gate alone; the headunit profile fixes it to true).")
        boolean enabled() default true;

        @AttributeDefinition(name = "Mode", description = "enforce or audit, for containers the policy gives no rules for.")
        String mode() default "enforce";

        @AttributeDefinition(name = "Writable paths", description = "Container paths exempt from file protection.")
        String[] writablePaths() default {"/tmp", "/var/tmp", "/run"};

        @AttributeDefinition(name = "Protected paths", description = "Container paths protected also inside writable paths.")
        String[] protectedPaths() default {};

        @AttributeDefinition(name = "Associations", description = "FILE=PROGRAM[@sha256:HEX][,...]: who may open FILE.")
        String[] associations() default {};

        @AttributeDefinition(name = "Extra executable digests", description = "sha256:HEX allowed to run besides the image.")
        String[] extraExecDigests() default {};

        @AttributeDefinition(name = "Read-only mounts",
            description = "In enforce mode, make the image read-only in the container's mount namespace.")
        boolean readOnlyMounts() default true;

        @AttributeDefinition(name = "Forbid executable memfds",
            description = "In enforce mode, set vm.memfd_noexec=2 in the container's pid namespace.")
        boolean memfdNoExec() default true;

        @AttributeDefinition(name = "nsenter program")
        String nsenter() default "/usr/bin/nsenter";

        @AttributeDefinition(name = "Hash deadline (ms)",
            description = "Unknown content not established within this time gets the default answer (enforce: deny).")
        long hashDeadlineMillis() default 1000;

        @AttributeDefinition(name = "Largest file hashed (bytes)")
        long maxHashBytes() default 256L << 20;

        @AttributeDefinition(name = "Hash threads")
        int hashThreads() default 2;

        @AttributeDefinition(name = "Hash queue")
        int hashQueue() default 1024;

        @AttributeDefinition(name = "Verdict cache entries per container")
        int maxCacheEntries() default 200_000;

        @AttributeDefinition(name = "Image files hashed at most (interim rootfs walk)")
        int maxImageFiles() default 200_000;

        @AttributeDefinition(name = "Image bytes hashed at most (interim rootfs walk)")
        long maxImageBytes() default 4L << 30;

        @AttributeDefinition(name = "Event burst", description = "Security events per container and type at once.")
        int eventBurst() default 20;

        @AttributeDefinition(name = "Events per second", description = "Sustained, per container and type.")
        double eventsPerSecond() default 5.0;

        @AttributeDefinition(name = "Watchdog period (ms)")
        long watchdogMillis() default 1000;

        @AttributeDefinition(name = "Responder stall (ms)", description = "A responder silent this long is reported.")
        long stallMillis() default 2000;

        @AttributeDefinition(name = "Setup timeout (ms)", description = "Mount-namespace work at createRuntime.")
        long setupTimeoutMillis() default 3000;

        @AttributeDefinition(name = "Responder", description = "native: a C thread answers cached verdicts, immune to "
            + "GC pauses (Java decides the rest); java: Java answers every event.")
        String responder() default "native";

        @AttributeDefinition(name = "Native verdict table size (log2 entries per container)")
        int nativeTableLog2() default 16;

        @AttributeDefinition(name = "Real-time priority", description = "SCHED_FIFO priority (1..99) of the native "
            + "responder thread, so that it answers ahead of ordinary work on a loaded CPU; 0 for the normal scheduler.")
        int realtimePriority() default 10;

        @AttributeDefinition(name = "OCI runtime state directories",
            description = "Scanned at start for running containers that are not protected.")
        String[] runtimeStateDirs() default {"/run/runc"};
    }

    private final ProtectionEngine engine;
    private final ProtectionRules configuredRules;
    private final ProtectionRulesProvider provider;
    private final PolicyRulesProvider policyRules;
    private final Logger logger;
    private final boolean enabled;

    @Activate
    public ProtectionGuard(@Reference EventAdmin events, @Reference PlatformInfo platform,
                           @Reference(service = LoggerFactory.class) Logger logger,
                           @Reference(cardinality = ReferenceCardinality.OPTIONAL,
                               policyOption = ReferencePolicyOption.GREEDY) ProtectionRulesProvider provider,
                           @Reference(cardinality = ReferenceCardinality.OPTIONAL,
                               policyOption = ReferencePolicyOption.GREEDY) PolicyService policy,
                           @Reference(cardinality = ReferenceCardinality.OPTIONAL,
                               policyOption = ReferencePolicyOption.GREEDY) ImageManifests manifests,
                           Config config) {
        this.logger = logger;
        this.enabled = config.enabled();
        this.provider = provider;
        this.configuredRules = ConfiguredRules.parse(config.mode(), config.extraExecDigests(), config.protectedPaths(),
            config.writablePaths(), config.associations());
        this.policyRules = policy == null ? null
            : new PolicyRulesProvider(policy, Optional.ofNullable(manifests), configuredRules);
        EngineSettings settings = new EngineSettings(config.readOnlyMounts(), config.hashDeadlineMillis(),
            config.maxHashBytes(), config.hashThreads(), config.hashQueue(), config.maxCacheEntries(),
            config.maxImageFiles(), config.maxImageBytes(), config.eventBurst(), config.eventsPerSecond(),
            config.watchdogMillis(), config.stallMillis(), config.setupTimeoutMillis(),
            Optional.of(platform.runDir().resolve("protection")),
            Arrays.stream(config.runtimeStateDirs()).map(Path::of).toList(), config.memfdNoExec(),
            Path.of(config.nsenter()), true, "native".equals(config.responder()), config.nativeTableLog2(),
            config.realtimePriority());
        if (!"native".equals(config.responder()) && !"java".equals(config.responder())) {
            throw new IllegalArgumentException("responder must be native or java, was '" + config.responder() + "'");
        }
        if (settings.nativeResponder() && NativeResponder.loadFailure() != null) {
            throw new IllegalStateException("the native responder is configured but cannot be loaded: "
                + NativeResponder.loadFailure());
        }
        Clock clock = Clock.systemUTC();
        this.engine = new ProtectionEngine(settings,
            new RootfsWalkWhitelist(settings.maxImageFiles(), settings.maxImageBytes()),
            (SecurityEvent e) -> events.postEvent(new Event(e.topic(), e.toProperties(clock.millis()))),
            (warning, message) -> {
                if (warning) {
                    logger.warn(message);
                } else {
                    logger.info(message);
                }
            });
        logger.info("Protection active: default rules {}, rules from {}", configuredRules, provider != null ? provider
            : policyRules != null ? "the signed policy (manifests " + (manifests == null ? "none" : "from the gate") + ")"
            : "the configuration");
        if (!enabled) {
            logger.warn("Protection DISABLED by configuration (org.carapace.protection enabled=false): running containers "
                + "are not protected");
        }
        List<String> attached = engine.reattach();
        if (!attached.isEmpty()) {
            logger.warn("Re-attached protection to running containers {}", attached);
        }
    }

    @Deactivate
    void stop() {
        engine.close();
    }

    @Override
    public void containerAllowed(GateDecision decision, ContainerState state) throws GuardException {
        if (!enabled) {
            return;
        }
        if ("exempt".equals(decision.mode())) {
            logger.info("Container {} is exempted by the policy: not protected", state.id());
            return;
        }
        if (provider == null && policyRules != null) {
            PolicyRulesProvider.Resolved resolved = policyRules.resolve(decision);
            engine.protect(decision, state, resolved.rules(), resolved.knownContent(), resolved.origin());
            return;
        }
        Optional<ProtectionRules> rules;
        try {
            rules = provider == null ? Optional.of(configuredRules) : provider.rulesFor(decision, state);
        } catch (RuntimeException e) {
            throw new GuardException("the protection rules provider failed: " + e.getMessage(), e);
        }
        if (rules.isEmpty()) {
            logger.info("No protection rules for container {}: not protected", state.id());
            return;
        }
        engine.protect(decision, state, rules.get(), Map.of(), provider == null ? "configuration" : "provider " + provider);
    }

    @Override
    public void containerStopped(ContainerState state) {
        engine.release(state.id(), "poststop");
    }

    ProtectionEngine engine() {
        return engine;
    }
}
