package org.carapace.imagehash.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.carapace.api.image.HashOptions;
import org.carapace.api.image.ImageException;
import org.carapace.api.image.ImageHashResult;
import org.carapace.api.image.ImageHasher;
import org.carapace.api.image.ImageSource;
import org.junit.jupiter.api.Test;

/** The bundle's OTA self-test: passes with the real hasher, fails with a hasher that computes anything else. */
class ImageHashSelfTestTest {

    @Test
    void passesWithTheRealHasherAndMatchesTheSpecificationsListing(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
        throws Exception {
        ImageHasherComponent hasher = new ImageHasherComponent(ImageLimits.DEFAULTS, 1, 0);
        try {
            new ImageHashSelfTest(hasher).selfTest();
            // its own image is the worked example, entry by entry, not just by digest
            ImageHashSelfTest.writeLayout(dir, ImageHashSelfTest.workedExampleLayer());
            ImageHashResult result = hasher.hash(ImageSource.parse("oci:" + dir), HashOptions.defaults());
            assertEquals(CanonicalEncodingTest.WORKED_LISTING, CanonicalEncoding.listing(result.manifest().xattrNames(),
                result.manifest().entries()));
            assertEquals(CanonicalEncodingTest.WORKED_DIGEST, ImageHashSelfTest.WORKED_EXAMPLE_DIGEST);
        } finally {
            hasher.deactivate();
        }
    }

    @Test
    void failsWhenTheDigestChanged() {
        ImageHasherComponent real = new ImageHasherComponent(ImageLimits.DEFAULTS, 1, 0);
        // a hasher that drops one entry: what a tar-parsing regression would look like
        ImageHasher regressed = (ImageHasher) java.lang.reflect.Proxy.newProxyInstance(getClass().getClassLoader(),
            new Class<?>[] {ImageHasher.class}, (proxy, method, args) -> {
                Object out = method.invoke(real, args);
                if (method.getName().equals("hash")) {
                    ImageHashResult result = (ImageHashResult) out;
                    List<org.carapace.api.image.FileEntry> entries = result.manifest().entries().subList(0, 10);
                    org.carapace.api.image.Digest digest = CanonicalEncoding.digest(result.manifest().xattrNames(), entries);
                    return new ImageHashResult(result.source(), digest, result.manifestDigest(), result.configDigest(),
                        new org.carapace.api.image.FileManifest(1, result.manifest().xattrNames(), entries, digest), result.statistics());
                }
                return out;
            });
        try {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> new ImageHashSelfTest(regressed).selfTest());
            assertTrue(e.getMessage().contains("the rootfs digest has changed"), e.getMessage());
        } finally {
            real.deactivate();
        }
    }

    @Test
    void failsWhenHashingFails() {
        ImageHasher broken = (ImageHasher) java.lang.reflect.Proxy.newProxyInstance(getClass().getClassLoader(),
            new Class<?>[] {ImageHasher.class}, (proxy, method, args) -> {
                throw new org.carapace.api.image.ImageReadException("/", "broken on purpose");
            });
        assertThrows(ImageException.class, () -> new ImageHashSelfTest(broken).selfTest());
    }
}
