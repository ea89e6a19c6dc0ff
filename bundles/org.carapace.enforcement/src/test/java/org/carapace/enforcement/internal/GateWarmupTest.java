package org.carapace.enforcement.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.carapace.api.image.HashOptions;
import org.carapace.imagehash.internal.ImageHashEngine;
import org.carapace.imagehash.internal.ImageLimits;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GateWarmupTest {

    @TempDir
    Path tmp;

    private ImageHashEngine hasher;
    private ManifestStore store;
    private Path directory;

    @BeforeEach
    void setUp() throws IOException {
        hasher = new ImageHashEngine(ImageLimits.DEFAULTS, 2, 1000);
        store = new ManifestStore(tmp.resolve("manifests"), hasher, 1 << 20, 8);
        directory = tmp.resolve("data/gate-warmup");
    }

    private GateWarmup warmup(GateDecider.Settings settings) {
        return new GateWarmup(hasher, store, settings, new ContainerRootfs.MountNamespace(Path.of("/proc"), 1 << 22), directory);
    }

    private static GateDecider.Settings settings() {
        return new GateDecider.Settings(1 << 20, 5, HashOptions.defaults(), 4,
            ContainerGateComponent.runtimeLinks(new String[] {"/etc/mtab -> /proc/mounts"}), GateDecider.DEFAULT_ALLOWED_MOUNTS);
    }

    @Test
    void decidesTheSyntheticContainerAllowedEveryTimeAndLeavesNothingBehind() throws IOException {
        Files.createDirectories(directory.resolve("bundle/rootfs/leftover")); // from a runtime killed while warming up

        GateWarmup.Outcome outcome = warmup(settings()).run(60, 60_000, () -> true);

        assertNull(outcome.problem(), outcome.toString());
        assertEquals(60, outcome.decisions()); // each one allowed: a refusal ends the warm-up with a problem
        assertTrue(outcome.medianMicrosOfLast() > 0, outcome.toString());
        assertFalse(Files.exists(directory), "the synthetic bundle is removed");
        assertTrue(Files.isDirectory(directory.getParent()), "and nothing else");
    }

    @Test
    void stopsWhenTheComponentGoesAway() {
        AtomicInteger asked = new AtomicInteger();

        GateWarmup.Outcome outcome = warmup(settings()).run(1000, 60_000, () -> asked.incrementAndGet() <= 5);

        assertNull(outcome.problem());
        assertTrue(outcome.decisions() <= 5, outcome.toString());
        assertFalse(Files.exists(directory));
    }

    @Test
    void aSettingThatRefusesTheSyntheticContainerEndsTheWarmUpWithTheReason() {
        // a gate that allows no mount at /dev refuses every container with one (the synthetic one has it)
        GateDecider.Settings noDev = new GateDecider.Settings(1 << 20, 5, HashOptions.defaults(), 4,
            ContainerGateComponent.runtimeLinks(new String[0]),
            ContainerGateComponent.allowedMounts(new String[] {"/proc", "/sys", "/sys/**"}));

        GateWarmup.Outcome outcome = warmup(noDev).run(100, 60_000, () -> true);

        assertEquals(0, outcome.decisions());
        assertTrue(outcome.problem().contains("/dev is not an allowed mount destination"), outcome.problem());
        assertFalse(Files.exists(directory));
    }

    @Test
    void selfTestPassesWithTheRealDeciderAndLeavesNothingBehind() throws Exception {
        warmup(settings()).selfTest();
        assertFalse(Files.exists(directory));
    }

    @Test
    void selfTestFailsWhenTheGateWouldAllowATamperedImage() throws Exception {
        // a hasher that ignores content (what a broken cache or encoding would do): the tampered image looks listed
        org.carapace.api.image.ImageHasher blind = contentBlind(hasher);
        GateWarmup job = new GateWarmup(blind, store, settings(), new ContainerRootfs.MountNamespace(Path.of("/proc"), 1 << 22), directory);
        IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class, job::selfTest);
        assertTrue(e.getMessage().contains("/bin/busybox changed (one byte flipped, one added) was ALLOW"), e.getMessage());
        assertFalse(Files.exists(directory));
    }

    @Test
    void selfTestFailsWhenTheGateRefusesEverything() {
        GateDecider.Settings noDev = new GateDecider.Settings(1 << 20, 5, HashOptions.defaults(), 4,
            ContainerGateComponent.runtimeLinks(new String[0]),
            ContainerGateComponent.allowedMounts(new String[] {"/proc", "/sys", "/sys/**"}));
        IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
            () -> warmup(noDev).selfTest());
        assertTrue(e.getMessage().startsWith("self-test:"), e.getMessage());
    }

    /** Hashes with every regular file's content left out: a regression the self-test must catch. */
    private static org.carapace.api.image.ImageHasher contentBlind(ImageHashEngine engine) {
        return (org.carapace.api.image.ImageHasher) java.lang.reflect.Proxy.newProxyInstance(GateWarmupTest.class.getClassLoader(),
            new Class<?>[] {org.carapace.api.image.ImageHasher.class}, (proxy, method, args) -> {
                Object out = method.invoke(engine, args);
                if (!method.getName().equals("hash")) {
                    return out;
                }
                org.carapace.api.image.ImageHashResult real = (org.carapace.api.image.ImageHashResult) out;
                java.util.List<org.carapace.api.image.FileEntry> entries = real.manifest().entries().stream()
                    .map(f -> f.contentDigest().isEmpty() ? f : new org.carapace.api.image.FileEntry(f.path(), f.type(), f.mode(), f.uid(),
                        f.gid(), 0, java.util.Optional.of(org.carapace.api.image.DigestAlgorithm.SHA256.digest(new byte[0])),
                        f.symlinkTarget(), f.hardlinkTo(), f.deviceMajor(), f.deviceMinor(), f.xattrs())).toList();
                org.carapace.api.image.Digest digest = org.carapace.imagehash.internal.CanonicalEncoding.digest(
                    real.manifest().xattrNames(), entries);
                return new org.carapace.api.image.ImageHashResult(real.source(), digest, real.manifestDigest(), real.configDigest(),
                    new org.carapace.api.image.FileManifest(1, real.manifest().xattrNames(), entries, digest), real.statistics());
            });
    }
}
