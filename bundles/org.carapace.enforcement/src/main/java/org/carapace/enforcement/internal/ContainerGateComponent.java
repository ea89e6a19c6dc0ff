package org.carapace.enforcement.internal;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.carapace.api.enforcement.ContainerGate;
import org.carapace.api.enforcement.ContainerState;
import org.carapace.api.enforcement.GateDecision;
import org.carapace.api.enforcement.ImageManifests;
import org.carapace.api.events.SecurityEvent;
import org.carapace.api.events.SecurityEventType;
import org.carapace.api.image.HashOptions;
import org.carapace.api.image.ImageException;
import org.carapace.api.image.ImageHasher;
import org.carapace.api.ota.SelfTest;
import org.carapace.api.platform.PlatformInfo;
import org.carapace.api.policy.PolicyService;
import org.osgi.service.component.annotations.Activate;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.event.Event;
import org.osgi.service.event.EventAdmin;
import org.osgi.service.log.Logger;
import org.osgi.service.log.LoggerFactory;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * The {@link ContainerGate} service: takes each decision from the effective signed policy in force at that moment
 * and the rootfs on disk, and keeps the manifests of whitelisted images.
 */
@Component(configurationPid = ContainerGateComponent.PID, configurationPolicy = ConfigurationPolicy.REQUIRE,
    service = {ContainerGate.class, ImageManifests.class, SelfTest.class, ContainerGateComponent.class})
@Designate(ocd = ContainerGateComponent.Config.class)
public final class ContainerGateComponent implements ContainerGate, ImageManifests, SelfTest {

    static final String PID = "org.carapace.enforcement.decision";

    @ObjectClassDefinition(name = "Carapace gate decision", description = "How the gate matches containers to the policy.")
    @interface Config {
        @AttributeDefinition(name = "Manifest directory",
            description = "Where manifests of whitelisted images are kept. Empty: 'manifests' in the data directory.")
        String manifestDir() default "";

        @AttributeDefinition(name = "Maximum manifest size (bytes)")
        int maxManifestBytes() default 64 * 1024 * 1024;

        @AttributeDefinition(name = "Manifests kept in memory")
        int manifestCacheEntries() default 64;

        @AttributeDefinition(name = "Maximum config.json size (bytes)")
        int maxConfigBytes() default 1024 * 1024;

        @AttributeDefinition(name = "Differences reported", description = "How many differing paths a refusal names.")
        int maxDifferences() default 5;

        @AttributeDefinition(name = "Covered extended attributes",
            description = "Must match the set the policy's images were sealed with (docs/rootfs-digest.md).")
        String[] xattrNames() default {"security.capability"};

        @AttributeDefinition(name = "Strict hashing", description = "Ignore the file digest cache: read every file.")
        boolean strict() default false;

        @AttributeDefinition(name = "Links the container runtime adds",
            description = "'PATH -> TARGET': left out of the digest where the rootfs holds exactly that symbolic link "
                + "(podman adds /etc/mtab -> /proc/mounts to images without one).")
        String[] runtimeLinks() default {"/etc/mtab -> /proc/mounts"};

        @AttributeDefinition(name = "Hashing time limit (ms)",
            description = "Hashing one root file system stops after this long and the container is refused; keep it below "
                + "the gate's decisionTimeoutMillis.")
        long maxHashMillis() default 3500;

        @AttributeDefinition(name = "Allowed mount destinations",
            description = "'/path' exactly or '/path/**' anything below: where a container may have mounts (their content "
                + "is not checked). A mount anywhere else is refused. Add the volumes your containers use, e.g. /data/**.")
        String[] allowedMounts() default {"/proc", "/sys", "/sys/**", "/dev", "/dev/**", "/etc/hosts", "/etc/hostname",
            "/etc/resolv.conf", "/run/.containerenv", "/run/secrets", "/run/secrets/**"};

        @AttributeDefinition(name = "Maximum mount table size (bytes)",
            description = "The container's /proc/PID/mountinfo, read to find the root file system it will run.")
        int maxMountinfoBytes() default 4 * 1024 * 1024;

        @AttributeDefinition(name = "Warm-up decisions",
            description = "Decisions of a synthetic container taken at start, on a lowest-priority thread, so that the JIT "
                + "has compiled the decision path before the first container: without it the first few hundred decisions "
                + "run interpreted (about 3 times slower). 0: no warm-up.")
        int warmupDecisions() default 1000;

        @AttributeDefinition(name = "Warm-up time limit (ms)")
        long warmupMillis() default 60_000;
    }

    private static final String SENSOR = "org.carapace.enforcement";

    private final PolicyService policy;
    private final ManifestStore manifests;
    private final GateDecider decider;
    private final EventAdmin events;
    private final Logger logger;
    private final Thread warmup;
    private final GateWarmup selfTest;
    private volatile boolean active = true;

    @Activate
    public ContainerGateComponent(@Reference PolicyService policy, @Reference ImageHasher hasher,
                                  @Reference PlatformInfo platform, @Reference EventAdmin events,
                                  @Reference(service = LoggerFactory.class) Logger logger, BundleContext context,
                                  Config config) throws IOException {
        if (config.maxConfigBytes() < 1024 || config.maxDifferences() < 0 || config.manifestCacheEntries() < 1
            || config.maxHashMillis() <= 0 || config.maxMountinfoBytes() < 4096) {
            throw new IllegalArgumentException("maxConfigBytes and maxMountinfoBytes at least 1024 and 4096, maxDifferences "
                + "not negative, manifestCacheEntries and maxHashMillis positive");
        }
        this.policy = policy;
        this.events = events;
        this.logger = logger;
        Path directory = config.manifestDir().isBlank() ? platform.dataDir().resolve("manifests") : Path.of(config.manifestDir());
        if (!directory.isAbsolute()) {
            throw new IllegalArgumentException("manifestDir must be absolute, was " + directory);
        }
        this.manifests = new ManifestStore(directory, hasher, config.maxManifestBytes(), config.manifestCacheEntries());
        HashOptions options = HashOptions.defaults().withXattrNames(Set.of(config.xattrNames())).withStrict(config.strict());
        GateDecider.Settings settings = new GateDecider.Settings(config.maxConfigBytes(), config.maxDifferences(), options, 16,
            runtimeLinks(config.runtimeLinks()), allowedMounts(config.allowedMounts()), config.maxHashMillis());
        ContainerRootfs.MountNamespace namespaces = new ContainerRootfs.MountNamespace(Path.of("/proc"), config.maxMountinfoBytes());
        this.decider = new GateDecider(hasher, manifests,
            settings, namespaces);
        logger.info("Gate deciding with manifests in {}", directory);
        this.selfTest = new GateWarmup(hasher, manifests, settings, namespaces, platform.dataDir().resolve("gate-selftest"));
        if (config.warmupDecisions() < 0 || config.warmupMillis() <= 0) {
            throw new IllegalArgumentException("warmupDecisions must not be negative, warmupMillis must be positive");
        }
        if (config.warmupDecisions() > 0) {
            GateWarmup job = new GateWarmup(hasher, manifests, settings, namespaces, platform.dataDir().resolve("gate-warmup"));
            Bundle framework = context.getBundle(Constants.SYSTEM_BUNDLE_LOCATION);
            int preload = config.manifestCacheEntries();
            this.warmup = new Thread(() -> warmUp(framework, job, config.warmupDecisions(), config.warmupMillis(), preload),
                "carapace-gate-warmup");
            warmup.setDaemon(true);
            warmup.start();
        } else {
            this.warmup = null;
        }
    }

    private void warmUp(Bundle framework, GateWarmup job, int decisions, long maxMillis, int preload) {
        ContainerRootfs.Libc.setpriority(0, 0, 19); // PRIO_PROCESS, this thread: containers' decisions come first
        // not while the runtime is starting (it is CPU-bound): from the framework's start on, or at once after an update
        long end = System.nanoTime() + maxMillis * 1_000_000L;
        while (active && framework.getState() != Bundle.ACTIVE && System.nanoTime() - end < 0) {
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                return;
            }
        }
        GateWarmup.Outcome outcome = job.run(decisions, maxMillis, () -> active);
        if (outcome.problem() != null) {
            logger.warn("Gate warm-up stopped after {} decisions: {}", outcome.decisions(), outcome.problem());
        } else if (!active) {
            logger.info("Gate warm-up cut short after {} decisions: the gate is stopping", outcome.decisions());
        } else {
            logger.info("Gate warmed up: {} decisions of a synthetic container in {} ms (the last {}: median {} us)",
                outcome.decisions(), outcome.millis(), Math.min(outcome.decisions(), 100), outcome.medianMicrosOfLast());
        }
        if (active) {
            // the policy's manifests parsed now rather than by the first container's decision
            long start = System.nanoTime();
            int held = decider.preload(policy.snapshot(), preload);
            logger.info("Gate holds the manifests of {} policy images in memory (read in {} ms)", held,
                (System.nanoTime() - start) / 1_000_000);
        }
    }

    /**
     * The OTA self-test (the installer calls it after updating this bundle, or the hashing or policy bundle it is wired
     * to): three decisions on a synthetic container, in a directory of its own: unknown image refused, listed image
     * allowed, the same image with one byte changed refused.
     */
    @Override
    public void selfTest() throws Exception {
        synchronized (selfTest) {
            selfTest.selfTest();
        }
    }

    @Deactivate
    void stop() throws InterruptedException {
        active = false;
        if (warmup != null) {
            warmup.join(5_000);
        }
    }

    static List<String> allowedMounts(String[] patterns) {
        for (String pattern : patterns) {
            String path = pattern.endsWith("/**") ? pattern.substring(0, pattern.length() - 3) : pattern;
            if (!path.startsWith("/") || path.length() < 2 || path.endsWith("/") || !Path.of(path).normalize().toString().equals(path)) {
                throw new IllegalArgumentException("allowedMounts: '" + pattern + "' is not '/path' or '/path/**' (normalised, not /)");
            }
        }
        return List.of(patterns);
    }

    static Map<String, String> runtimeLinks(String[] specs) {
        Map<String, String> links = new LinkedHashMap<>();
        for (String spec : specs) {
            String[] parts = spec.split(" -> ", -1);
            if (parts.length != 2 || !parts[0].startsWith("/") || parts[0].length() < 2 || parts[0].endsWith("/")
                || parts[0].contains("/../") || parts[0].contains("/./") || parts[0].endsWith("/..") || parts[1].isEmpty()) {
                throw new IllegalArgumentException("runtimeLinks: '" + spec + "' is not 'ABSOLUTE_PATH -> TARGET'");
            }
            links.put(parts[0], parts[1]);
        }
        return links;
    }

    @Override
    public GateDecision decide(ContainerState state) {
        GateDecision decision = decider.decide(state, policy.snapshot());
        for (String warning : decider.drainWarnings()) {
            logger.warn("Tampered manifest ignored: {}", warning);
            SecurityEvent event = SecurityEvent.of(SecurityEventType.IMAGE_TAMPERED, SENSOR,
                "a stored image manifest was tampered with and is ignored", Map.of("detail", warning));
            events.postEvent(new Event(event.topic(), event.toProperties(System.currentTimeMillis())));
        }
        return decision;
    }

    /** Stores a manifest (JSON form) after checking it; answers its rootfs digest. */
    String addManifest(byte[] json) throws ImageException, IOException {
        return manifests.add(json);
    }

    @Override
    public java.util.Optional<org.carapace.api.image.FileManifest> manifest(String rootfsDigest) throws IOException {
        return storedManifest(rootfsDigest);
    }

    /** The stored manifest of this rootfs digest, for the at-rest scan; IOException when it is tampered with. */
    java.util.Optional<org.carapace.api.image.FileManifest> storedManifest(String rootfsDigest) throws IOException {
        try {
            return manifests.get(rootfsDigest);
        } catch (ManifestStore.TamperedManifestException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    /** What the status command shows. */
    Map<String, Object> status() throws IOException {
        Map<String, Object> status = new LinkedHashMap<>();
        status.put("manifestDir", manifests.directory().toString());
        status.put("manifests", manifests.count());
        status.put("policyGeneration", policy.snapshot().generation());
        status.put("policyImages", policy.snapshot().imageCount());
        return status;
    }

}
