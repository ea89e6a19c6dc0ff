package org.carapace.enforcement.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.io.OutputStream;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.carapace.api.events.SecurityEvent;
import org.carapace.api.image.FileManifest;
import org.carapace.api.image.HashOptions;
import org.carapace.api.image.HashProgress;
import org.carapace.api.image.ImageException;
import org.carapace.api.image.ImageHashResult;
import org.carapace.api.image.ImageHasher;
import org.carapace.api.image.ImageSource;
import org.carapace.api.image.ManifestDiff;
import org.carapace.api.policy.EnforcementMode;
import org.carapace.api.policy.PolicyService;
import org.carapace.imagehash.internal.ImageHashEngine;
import org.carapace.imagehash.internal.ImageLimits;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.service.event.Event;
import org.osgi.service.event.EventAdmin;
import org.osgi.service.log.Logger;

/**
 * The scan component with the real hashing engine on real podman-shaped vfs stores (written by the test: an image
 * record, a layer record and the layer directory): the events it posts, the admin answer, and that a scan
 * requested while one runs joins it instead of starting a second.
 */
class ImageScanComponentTest {

    @TempDir
    Path tmp;

    private ImageHashEngine engine;
    private final List<Event> events = new CopyOnWriteArrayList<>();
    private final EventAdmin eventAdmin = new EventAdmin() {
        @Override
        public void postEvent(Event event) {
            events.add(event);
        }

        @Override
        public void sendEvent(Event event) {
            events.add(event);
        }
    };
    private GateDeciderTest.FixedPolicy policy;
    private ImageScanComponent component;

    @BeforeEach
    void setUp() {
        engine = new ImageHashEngine(ImageLimits.DEFAULTS, 2, 0);
    }

    @AfterEach
    void tearDown() {
        if (component != null) {
            component.deactivate();
        }
        engine.close();
    }

    /** A vfs store holding one image whose root file system has the given files; answers its rootfs directory. */
    Path store(String root, String name, Map<String, String> files) throws Exception {
        Path storage = tmp.resolve(root);
        String layer = "a".repeat(64);
        String id = "1".repeat(64);
        Path rootfs = Files.createDirectories(storage.resolve("vfs/dir").resolve(layer));
        for (Map.Entry<String, String> file : files.entrySet()) {
            Path path = rootfs.resolve(file.getKey());
            Files.createDirectories(path.getParent());
            Files.writeString(path, file.getValue(), StandardCharsets.UTF_8);
            Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        Files.createDirectories(storage.resolve("vfs-images"));
        Files.createDirectories(storage.resolve("vfs-layers"));
        Files.writeString(storage.resolve("vfs-images/images.json"), "[{\"id\":\"" + id + "\",\"names\":[\"localhost/" + name
            + ":latest\"],\"layer\":\"" + layer + "\"}]");
        Files.writeString(storage.resolve("vfs-layers/layers.json"), "[{\"id\":\"" + layer + "\"}]");
        return rootfs;
    }

    String digest(Path rootfs) throws ImageException {
        return engine.hash(new ImageSource.RootfsDirectory(rootfs), HashOptions.defaults()).rootfsDigest().toString();
    }

    ImageScanComponent component(ImageHasher hasher, Map<String, Object> overrides) {
        PolicyService service = (PolicyService) Proxy.newProxyInstance(getClass().getClassLoader(),
            new Class<?>[] {PolicyService.class}, (proxy, method, args) -> {
                if (method.getName().equals("snapshot")) {
                    return policy;
                }
                throw new UnsupportedOperationException(method.getName());
            });
        Logger logger = (Logger) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Logger.class},
            (proxy, method, args) -> method.getReturnType() == boolean.class ? false : null);
        Map<String, Object> values = new HashMap<>(overrides);
        ImageScanComponent.Config config = (ImageScanComponent.Config) Proxy.newProxyInstance(getClass().getClassLoader(),
            new Class<?>[] {ImageScanComponent.Config.class}, (proxy, method, args) -> values.containsKey(method.getName())
                ? values.get(method.getName()) : method.getDefaultValue());
        return new ImageScanComponent(service, hasher, ImageStoreScanner.ManifestLookup.NONE, tmp, eventAdmin, logger, config,
            Clock.fixed(Instant.parse("2026-01-02T03:04:05Z"), ZoneOffset.UTC));
    }

    List<Event> topic(String topic) {
        return events.stream().filter(e -> e.getTopic().equals(topic)).toList();
    }

    @Test
    void findingsArePostedOnTheScanTopicAndAsSecurityEvents() throws Exception {
        Path good = store("good", "app", Map.of("bin/app", "#!/bin/sh\necho app\n"));
        store("stranger", "stranger", Map.of("bin/x", "#!/bin/sh\necho x\n"));
        String allowed = digest(good);
        policy = new GateDeciderTest.FixedPolicy().allow("app", allowed, EnforcementMode.ENFORCE);
        // relative store paths are taken in the data directory
        component = component(engine, Map.of("stores", new String[] {"podman:good, podman:stranger", " "}));
        Map<String, Object> answer = component.request("test").get(1, TimeUnit.MINUTES);

        assertEquals(false, answer.get("clean"));
        assertEquals(Map.of("ok", 1, "tampered", 0, "revoked", 0, "unknown", 1, "incomplete", 0), answer.get("counts"));
        List<Event> perImage = topic(ImageScanComponent.TOPIC_SCAN);
        assertEquals(2, perImage.size());
        assertEquals("OK", perImage.get(0).getProperty("status"));
        assertEquals(allowed, perImage.get(0).getProperty("rootfsDigest"));
        assertEquals("app", perImage.get(0).getProperty("image"));
        assertEquals("UNKNOWN", perImage.get(1).getProperty("status"));
        assertEquals(List.of("localhost/stranger:latest"), perImage.get(1).getProperty("names"));

        List<Event> unknown = topic("org/carapace/security/image/IMAGE_UNKNOWN");
        assertEquals(1, unknown.size());
        assertEquals(0x8012, unknown.get(0).getProperty(SecurityEvent.PROP_EVENT_ID));
        @SuppressWarnings("unchecked")
        Map<String, Object> context = (Map<String, Object>) unknown.get(0).getProperty(SecurityEvent.PROP_CONTEXT);
        assertEquals("podman:" + tmp.resolve("stranger"), context.get("store"));
        assertTrue(((String) context.get("reason")).startsWith("unknown image: rootfs digest sha256:"), context.toString());
        assertTrue(((String) unknown.get(0).getProperty(SecurityEvent.PROP_MESSAGE)).contains("localhost/stranger:latest"));

        List<Event> completed = topic("org/carapace/security/image/IMAGE_SCAN_COMPLETED");
        assertEquals(1, completed.size());
        @SuppressWarnings("unchecked")
        Map<String, Object> summary = (Map<String, Object>) completed.get(0).getProperty(SecurityEvent.PROP_CONTEXT);
        assertEquals(1, summary.get("unknown"));
        assertEquals(false, summary.get("clean"));
        assertEquals(answer, component.last());
    }

    @Test
    void aTamperedLayerIsAnImageTamperedEventNamingTheImage() throws Exception {
        Path rootfs = store("store", "app", Map.of("bin/app", "#!/bin/sh\necho app\n"));
        policy = new GateDeciderTest.FixedPolicy().allow("app", digest(rootfs), EnforcementMode.ENFORCE);
        Files.writeString(rootfs.resolve("bin/app"), "#!/bin/sh\necho pwned\n");
        component = component(engine, Map.of("stores", new String[] {"podman:store"}));
        Map<String, Object> answer = component.request("test").get(1, TimeUnit.MINUTES);
        assertEquals(false, answer.get("clean"));
        List<Event> tampered = topic("org/carapace/security/image/IMAGE_TAMPERED");
        assertEquals(1, tampered.size());
        @SuppressWarnings("unchecked")
        Map<String, Object> context = (Map<String, Object>) tampered.get(0).getProperty(SecurityEvent.PROP_CONTEXT);
        assertEquals("app", context.get("image"));
        assertEquals("TAMPERED", context.get("status"));
        assertEquals(policy.images().iterator().next().rule().rootfsDigest(), context.get("expectedDigest"));
    }

    @Test
    void aScanRequestedWhileOneRunsJoinsIt() throws Exception {
        store("store", "app", Map.of("bin/app", "#!/bin/sh\necho app\n"));
        policy = new GateDeciderTest.FixedPolicy();
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        ImageHasher blocking = new Blocking(engine, entered, release);
        component = component(blocking, Map.of("stores", new String[] {"podman:store"}));
        CompletableFuture<Map<String, Object>> first = component.request("first");
        assertTrue(entered.await(1, TimeUnit.MINUTES));
        CompletableFuture<Map<String, Object>> second = component.request("second");
        assertFalse(second.isDone());
        release.countDown();
        Map<String, Object> a = first.get(1, TimeUnit.MINUTES);
        Map<String, Object> b = second.get(1, TimeUnit.MINUTES);
        assertEquals(1L, a.get("scan"));
        assertEquals(1L, b.get("scan"), "the second request got the first scan's result");
        assertEquals(false, a.get("joined"));
        assertEquals(true, b.get("joined"));
        assertEquals("first", b.get("trigger"));
        assertEquals(1, topic("org/carapace/security/image/IMAGE_SCAN_COMPLETED").size(), "one scan ran");
        // once it has finished, a new request starts a new scan
        assertEquals(2L, component.request("third").get(1, TimeUnit.MINUTES).get("scan"));
    }

    @Test
    void aMisconfiguredScannerDoesNotStart() {
        policy = new GateDeciderTest.FixedPolicy();
        assertThrows(IllegalArgumentException.class, () -> component(engine, Map.of("stores", new String[] {"docker:/x"})));
        assertThrows(IllegalArgumentException.class, () -> component(engine, Map.of("intervalSeconds", -1L)));
        assertThrows(IllegalArgumentException.class, () -> component(engine, Map.of("maxImages", 0)));
    }

    /** Delegates to the engine, holding the first hash until released. */
    private static final class Blocking implements ImageHasher {
        private final ImageHasher delegate;
        private final CountDownLatch entered;
        private final CountDownLatch release;

        Blocking(ImageHasher delegate, CountDownLatch entered, CountDownLatch release) {
            this.delegate = delegate;
            this.entered = entered;
            this.release = release;
        }

        @Override
        public ImageHashResult hash(ImageSource source, HashOptions options) throws ImageException {
            return hash(source, options, HashProgress.NONE);
        }

        @Override
        public ImageHashResult hash(ImageSource source, HashOptions options, HashProgress progress) throws ImageException {
            entered.countDown();
            try {
                release.await(1, TimeUnit.MINUTES);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return delegate.hash(source, options, progress);
        }

        @Override
        public org.carapace.api.image.BlobVerificationReport verifyBlobs(ImageSource source) throws ImageException {
            return delegate.verifyBlobs(source);
        }

        @Override
        public FileManifest exclude(FileManifest manifest, List<String> exclusions) {
            return delegate.exclude(manifest, exclusions);
        }

        @Override
        public ManifestDiff diff(FileManifest expected, FileManifest actual) {
            return delegate.diff(expected, actual);
        }

        @Override
        public void writeManifest(FileManifest manifest, OutputStream out) throws java.io.IOException {
            delegate.writeManifest(manifest, out);
        }

        @Override
        public FileManifest readManifest(InputStream in) throws ImageException {
            return delegate.readManifest(in);
        }
    }
}
