package org.carapace.enforcement.internal;

import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.carapace.api.events.SecurityEvent;
import org.carapace.api.events.SecurityEventType;
import org.carapace.api.image.HashOptions;
import org.carapace.api.image.ImageHasher;
import org.carapace.api.platform.PlatformInfo;
import org.carapace.api.policy.PolicyService;
import org.carapace.enforcement.internal.ImageStoreScanner.ImageResult;
import org.carapace.enforcement.internal.ImageStoreScanner.Report;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.event.Event;
import org.osgi.service.event.EventAdmin;
import org.osgi.service.log.Logger;
import org.osgi.service.log.LoggerFactory;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * At-rest scans of the device's image stores against the effective signed policy, on a schedule and on demand
 * (docs/at-rest-scan.md). Scans never overlap: a request while one runs joins it.
 *
 * <p>Every image checked is posted on {@link #TOPIC_SCAN}; every finding is also a security event
 * ({@code IMAGE_TAMPERED}, {@code IMAGE_REVOKED}, {@code IMAGE_UNKNOWN}) and each scan ends with
 * {@code IMAGE_SCAN_COMPLETED}, whose context carries the counts.
 */
@Component(configurationPid = ImageScanComponent.PID, configurationPolicy = ConfigurationPolicy.REQUIRE,
    service = ImageScanComponent.class)
@Designate(ocd = ImageScanComponent.Config.class)
public final class ImageScanComponent {

    static final String PID = "org.carapace.enforcement.scan";

    /** EventAdmin topic of one image's scan result (every status, OK included). */
    public static final String TOPIC_SCAN = "org/carapace/enforcement/SCAN";

    @ObjectClassDefinition(name = "Carapace at-rest image scan",
        description = "Checks the images stored on the device against the signed policy before anyone runs them.")
    @interface Config {
        @AttributeDefinition(name = "Image stores",
            description = "oci:DIR (an OCI image layout: every image of its index.json) or podman:ROOT (containers/storage "
                + "with the vfs driver). Relative paths are taken in the data directory. An entry may hold several "
                + "stores separated by commas; blank entries are ignored.")
        String[] stores() default {};

        @AttributeDefinition(name = "Interval (seconds)", description = "Time between scheduled scans; 0: only on demand.")
        long intervalSeconds() default 0;

        @AttributeDefinition(name = "Initial delay (seconds)", description = "Time before the first scheduled scan.")
        long initialDelaySeconds() default 30;

        @AttributeDefinition(name = "Images per scan", description = "Images beyond this are reported as not checked.")
        int maxImages() default 256;

        @AttributeDefinition(name = "Time budget per image (seconds)")
        int imageBudgetSeconds() default 120;

        @AttributeDefinition(name = "Differences reported", description = "How many differing paths a finding names.")
        int maxDifferences() default 5;

        @AttributeDefinition(name = "Maximum store JSON size (bytes)",
            description = "Limit of index.json, images.json and layers.json.")
        long maxJsonBytes() default 16 * 1024 * 1024;

        @AttributeDefinition(name = "Covered extended attributes",
            description = "Must match the set the policy's images were sealed with (docs/rootfs-digest.md).")
        String[] xattrNames() default {"security.capability"};

        @AttributeDefinition(name = "Strict hashing",
            description = "Read every file instead of trusting the file digest cache (recommended at rest).")
        boolean strict() default true;
    }

    private static final String SENSOR = "org.carapace.enforcement";

    private final PolicyService policy;
    private final EventAdmin events;
    private final Logger logger;
    private final Clock clock;
    private final List<ImageStore> stores;
    private final ImageStoreScanner scanner;
    private final ScheduledExecutorService schedule;
    private final ExecutorService worker;
    private final AtomicLong scans = new AtomicLong();
    private volatile boolean stopping;
    private CompletableFuture<Map<String, Object>> running;
    private Map<String, Object> last;

    @Activate
    public ImageScanComponent(@Reference PolicyService policy, @Reference ImageHasher hasher,
                              @Reference ContainerGateComponent gate, @Reference PlatformInfo platform,
                              @Reference EventAdmin events, @Reference(service = LoggerFactory.class) Logger logger,
                              Config config) {
        this(policy, hasher, gate::storedManifest, platform.dataDir(), events, logger, config, Clock.systemUTC());
    }

    ImageScanComponent(PolicyService policy, ImageHasher hasher, ImageStoreScanner.ManifestLookup manifests, Path dataDir,
                       EventAdmin events, Logger logger, Config config, Clock clock) {
        if (config.intervalSeconds() < 0 || config.initialDelaySeconds() < 0 || config.imageBudgetSeconds() < 1) {
            throw new IllegalArgumentException("intervalSeconds and initialDelaySeconds not negative, imageBudgetSeconds "
                + "positive");
        }
        this.policy = policy;
        this.events = events;
        this.logger = logger;
        this.clock = clock;
        this.stores = parseStores(config.stores(), dataDir);
        HashOptions options = HashOptions.defaults().withXattrNames(Set.of(config.xattrNames())).withStrict(config.strict());
        this.scanner = new ImageStoreScanner(hasher, manifests, new ImageStoreScanner.Settings(options, config.maxImages(),
            TimeUnit.SECONDS.toNanos(config.imageBudgetSeconds()), config.maxDifferences(), config.maxJsonBytes()));
        this.worker = Executors.newSingleThreadExecutor(r -> daemon(r, "carapace-image-scan"));
        this.schedule = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "carapace-image-scan-timer"));
        if (config.intervalSeconds() > 0) {
            schedule.scheduleWithFixedDelay(() -> request("schedule"), config.initialDelaySeconds(),
                config.intervalSeconds(), TimeUnit.SECONDS);
        }
        logger.info("At-rest image scan of {} store(s) {}, every {} s (0: on demand)", stores.size(),
            stores.stream().map(ImageStore::spec).toList(), config.intervalSeconds());
    }

    static List<ImageStore> parseStores(String[] entries, Path base) {
        List<ImageStore> parsed = new ArrayList<>();
        for (String entry : entries) {
            for (String spec : entry.split(",")) {
                if (!spec.isBlank()) {
                    ImageStore store = ImageStore.parse(spec.trim(), base);
                    if (parsed.stream().noneMatch(s -> s.spec().equals(store.spec()))) {
                        parsed.add(store);
                    }
                }
            }
        }
        return List.copyOf(parsed);
    }

    private static Thread daemon(Runnable r, String name) {
        Thread thread = new Thread(r, name);
        thread.setDaemon(true);
        return thread;
    }

    @Deactivate
    void deactivate() {
        stopping = true;
        schedule.shutdownNow();
        worker.shutdown();
        try {
            if (!worker.awaitTermination(5, TimeUnit.SECONDS)) {
                worker.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The configured stores. */
    List<ImageStore> stores() {
        return stores;
    }

    /**
     * Starts a scan, or joins the one running. The answer is the scan's JSON form (see {@link Report#toMap()}) plus
     * {@code scan} (its number), {@code trigger}, {@code startedAt} and {@code joined}.
     */
    synchronized CompletableFuture<Map<String, Object>> request(String trigger) {
        if (stopping) {
            return CompletableFuture.failedFuture(new IllegalStateException("the image scanner is stopping"));
        }
        if (running != null && !running.isDone()) {
            logger.debug("Image scan requested by {} joins the running scan", trigger);
            return running.thenApply(result -> {
                Map<String, Object> joined = new LinkedHashMap<>(result);
                joined.put("joined", true);
                return joined;
            });
        }
        long number = scans.incrementAndGet();
        running = CompletableFuture.supplyAsync(() -> run(number, trigger), worker);
        return running;
    }

    /** The last finished scan's JSON form, if any. */
    synchronized Map<String, Object> last() {
        return last == null ? Map.of() : last;
    }

    private Map<String, Object> run(long number, String trigger) {
        String startedAt = clock.instant().toString();
        Report report;
        try {
            report = scanner.scan(stores, ScanPolicy.of(policy.snapshot()), () -> stopping);
        } catch (RuntimeException e) {
            logger.error("Image scan {} failed", number, e);
            throw e;
        }
        for (ImageResult result : report.images()) {
            post(result);
        }
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("scan", number);
        summary.put("trigger", trigger);
        report.counts().forEach((status, n) -> summary.put(status.name().toLowerCase(java.util.Locale.ROOT), n));
        summary.put("skipped", report.skipped());
        summary.put("clean", report.clean());
        summary.put("durationMillis", report.durationMillis());
        SecurityEvent completed = SecurityEvent.of(SecurityEventType.IMAGE_SCAN_COMPLETED, SENSOR,
            "image scan " + number + ": " + report.images().size() + " image(s), " + (report.clean() ? "clean" : "findings"),
            summary);
        events.postEvent(new Event(completed.topic(), completed.toProperties(clock.millis())));
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("scan", number);
        answer.put("trigger", trigger);
        answer.put("startedAt", startedAt);
        answer.put("joined", false);
        answer.putAll(report.toMap());
        synchronized (this) {
            last = answer;
        }
        if (report.clean()) {
            logger.info("Image scan {} ({}): {} image(s), all allowed", number, trigger, report.images().size());
        } else {
            logger.warn("Image scan {} ({}): {}", number, trigger, summary);
        }
        return answer;
    }

    private void post(ImageResult result) {
        Map<String, Object> context = result.toMap();
        events.postEvent(new Event(TOPIC_SCAN, context));
        SecurityEventType type;
        switch (result.status()) {
            case TAMPERED:
                type = SecurityEventType.IMAGE_TAMPERED;
                break;
            case REVOKED:
                type = SecurityEventType.IMAGE_REVOKED;
                break;
            case UNKNOWN:
                type = SecurityEventType.IMAGE_UNKNOWN;
                break;
            default:
                return;
        }
        String what = result.image().or(() -> result.names().stream().findFirst()).orElse(result.reference());
        SecurityEvent event = SecurityEvent.of(type, SENSOR, "stored image " + what + " in " + result.store() + ": "
            + result.reason(), context);
        events.postEvent(new Event(event.topic(), event.toProperties(clock.millis())));
    }
}
