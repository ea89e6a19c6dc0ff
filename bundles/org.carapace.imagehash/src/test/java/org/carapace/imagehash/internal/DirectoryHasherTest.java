package org.carapace.imagehash.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Optional;
import org.carapace.api.image.FileEntry;
import org.carapace.api.image.FileType;
import org.carapace.api.image.HashOptions;
import org.carapace.api.image.ImageFormatException;
import org.carapace.api.image.ImageHashResult;
import org.carapace.api.image.ImageSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Hashing a root file system on disk (needs root: devices, owners, capabilities), and the file digest cache. */
class DirectoryHasherTest {

    @TempDir
    Path dir;

    private final ImageHashEngine engine = new ImageHashEngine(ImageLimits.DEFAULTS, 2, 1000);

    {
        // these tests write files and hash them at once: let the cache take files changed a moment ago
        engine.directories().racySeconds(-1000);
    }

    @AfterEach
    void close() {
        engine.close();
    }

    private ImageHashResult hash(Path root, HashOptions options) throws Exception {
        return engine.hash(ImageSource.parse("dir:" + root), options);
    }

    /** The worked example of docs/rootfs-digest.md, made with ordinary commands. */
    static void makeWorkedExample(Path root) {
        Shell.run(root, """
            mkdir -p bin dev home run
            printf 'hello\\n' > bin/hello
            chmod 4755 bin/hello
            setcap cap_net_raw+ep bin/hello
            ln -s hello bin/sh
            mknod -m 0666 dev/null c 1 3
            : > 'home/a b'; chown 1000:1000 'home/a b'; chmod 0640 'home/a b'
            printf 'hello\\n' > home/café; chown 1000:1000 home/café
            ln bin/hello home/hello-link
            chmod 1777 run
            mkfifo -m 0600 run/fifo
            """);
    }

    @Test
    void workedExampleOnDiskHasTheDocumentedDigest() throws Exception {
        Path root = Files.createDirectory(dir.resolve("rootfs"));
        makeWorkedExample(root);
        ImageHashResult result = hash(root, HashOptions.defaults());
        assertEquals(CanonicalEncodingTest.WORKED_LISTING,
            CanonicalEncoding.listing(result.manifest().xattrNames(), result.manifest().entries()));
        assertEquals(CanonicalEncodingTest.WORKED_DIGEST, result.rootfsDigest().toString());
    }

    /**
     * Content digests across the ways a file is read: one read, several reads, through a mapping (files beyond the
     * 1 MiB read buffer), several mapping windows (beyond 64 MiB), in the walk's own task or one of its own.
     */
    @Test
    void contentDigestsAreRightAcrossReadAndMappingSizes() throws Exception {
        Path root = Files.createDirectory(dir.resolve("rootfs"));
        int[] sizes = {1, 4095, 4096, 65_536, 262_143, 262_144, (1 << 20) - 1, 1 << 20, (1 << 20) + 1, 3 << 20,
            (64 << 20) + 4097};
        java.util.Map<String, org.carapace.api.image.Digest> expected = new java.util.HashMap<>();
        java.util.Random random = new java.util.Random(11);
        for (int size : sizes) {
            byte[] content = new byte[size];
            random.nextBytes(content);
            Files.write(root.resolve("f" + size), content);
            expected.put("/f" + size, org.carapace.api.image.DigestAlgorithm.SHA256.digest(content));
        }
        for (HashOptions options : List.of(HashOptions.defaults().withStrict(true), HashOptions.defaults())) {
            ImageHashResult result = hash(root, options);
            assertEquals(sizes.length, result.manifest().entries().size());
            for (FileEntry entry : result.manifest().entries()) {
                assertEquals(expected.get(entry.path()), entry.contentDigest().orElseThrow(), entry.path());
                assertEquals(Files.size(root.resolve(entry.path().substring(1))), entry.size(), entry.path());
            }
        }
    }

    @Test
    @DisplayName("image/symlink-escape (directory)")
    void symlinksAreNeverFollowed() throws Exception {
        Path root = Files.createDirectory(dir.resolve("rootfs"));
        Shell.run(root, "mkdir etc; ln -s / escape; ln -s ../../../../ up; ln -s /etc/shadow shadow; ln -s /dev/zero zero");
        ImageHashResult result = hash(root, HashOptions.defaults());
        assertEquals(List.of("/escape", "/etc", "/shadow", "/up", "/zero"),
            result.manifest().entries().stream().map(FileEntry::path).toList());
        assertEquals(Optional.of("/"), result.manifest().entry("/escape").orElseThrow().symlinkTarget());
        assertEquals(0, result.statistics().bytesRead());
        // an exclusion through a link resolves inside the root, never to the host's /etc
        ImageHashResult excluded = hash(root, HashOptions.defaults().withExclusions(List.of("/escape/etc")));
        assertTrue(excluded.manifest().entry("/etc").isEmpty());
        assertTrue(excluded.manifest().entry("/escape").isPresent());
    }

    @Test
    void warmCacheReadsNothingAndARewriteIsSeenThroughCtime() throws Exception {
        Path root = Files.createDirectory(dir.resolve("rootfs"));
        Files.writeString(root.resolve("app"), "version 1");
        Files.writeString(root.resolve("lib"), "library");
        ImageHashResult cold = hash(root, HashOptions.defaults());
        assertEquals(0, cold.statistics().cacheHits());
        assertEquals(2, cold.statistics().cacheMisses());
        ImageHashResult warm = hash(root, HashOptions.defaults());
        assertEquals(2, warm.statistics().cacheHits());
        assertEquals(0, warm.statistics().bytesRead());
        assertEquals(cold.rootfsDigest(), warm.rootfsDigest());
        // an attacker rewrites the content with the same size and puts the old mtime back: ctime still moves
        FileTime mtime = Files.getLastModifiedTime(root.resolve("app"));
        Thread.sleep(20); // past one timer tick, for kernels without fine-grained ctime
        Files.writeString(root.resolve("app"), "version 2");
        Files.setLastModifiedTime(root.resolve("app"), mtime);
        ImageHashResult afterRewrite = hash(root, HashOptions.defaults());
        assertNotEquals(cold.rootfsDigest(), afterRewrite.rootfsDigest());
        assertEquals(1, afterRewrite.statistics().cacheHits());
        // strict mode reads everything again
        ImageHashResult strict = hash(root, HashOptions.defaults().withStrict(true));
        assertEquals(0, strict.statistics().cacheHits());
        assertEquals(afterRewrite.rootfsDigest(), strict.rootfsDigest());
    }

    @Test
    void filesChangedJustBeforeTheWalkAreNotCached() throws Exception {
        engine.directories().racySeconds(DirectoryHasher.RACY_SECONDS);
        Path root = Files.createDirectory(dir.resolve("rootfs"));
        Files.writeString(root.resolve("fresh"), "changed a moment ago");
        hash(root, HashOptions.defaults());
        ImageHashResult again = hash(root, HashOptions.defaults());
        assertEquals(0, again.statistics().cacheHits(), "a change in the same clock tick would not move ctime");
        assertEquals(1, again.statistics().cacheMisses());
    }

    @Test
    void aCapabilityAddedLaterIsSeenDespiteTheCache() throws Exception {
        Path root = Files.createDirectory(dir.resolve("rootfs"));
        Files.writeString(root.resolve("tool"), "#!/bin/sh\n");
        ImageHashResult before = hash(root, HashOptions.defaults());
        hash(root, HashOptions.defaults());
        Shell.run(root, "setcap cap_sys_admin+ep tool");
        ImageHashResult after = hash(root, HashOptions.defaults());
        // inert while the file cannot be executed: not covered; an execute bit makes it count
        assertEquals(before.rootfsDigest(), after.rootfsDigest());
        Shell.run(root, "chmod 0755 tool && setcap cap_sys_admin+ep tool");
        ImageHashResult executable = hash(root, HashOptions.defaults());
        assertTrue(executable.manifest().entry("/tool").orElseThrow().xattr("security.capability").isPresent());
        Shell.run(root, "setcap -r tool");
        assertNotEquals(executable.rootfsDigest(), hash(root, HashOptions.defaults()).rootfsDigest());
    }

    @Test
    void hardLinksAreGroupedWithinTheTreeOnly() throws Exception {
        Path root = Files.createDirectory(dir.resolve("rootfs"));
        Shell.run(dir, "printf x > rootfs/b; ln rootfs/b rootfs/a; printf y > rootfs/solo; ln rootfs/solo outside");
        ImageHashResult result = hash(root, HashOptions.defaults());
        assertEquals(Optional.empty(), result.manifest().entry("/a").orElseThrow().hardlinkTo());
        assertEquals(Optional.of("/a"), result.manifest().entry("/b").orElseThrow().hardlinkTo());
        assertEquals(Optional.empty(), result.manifest().entry("/solo").orElseThrow().hardlinkTo());
        // each inode is read once: a and b share one
        assertEquals(2, result.statistics().cacheMisses());
        assertEquals(2, result.statistics().bytesRead());
    }

    @Test
    void socketsAreATypeOfTheirOwn() throws Exception {
        Path root = Files.createDirectory(dir.resolve("rootfs"));
        try (var channel = java.nio.channels.ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
            channel.bind(java.net.UnixDomainSocketAddress.of(root.resolve("sock")));
            ImageHashResult result = hash(root, HashOptions.defaults());
            assertEquals(FileType.SOCKET, result.manifest().entry("/sock").orElseThrow().type());
        }
    }

    @Test
    @DisplayName("image/non-utf8-name (directory)")
    void nonUtf8NameIsRefused() throws Exception {
        Path root = Files.createDirectory(dir.resolve("rootfs"));
        Shell.run(root, "touch $'bad\\xff'");
        ImageFormatException e = assertThrows(ImageFormatException.class, () -> hash(root, HashOptions.defaults()));
        assertTrue(e.getMessage().contains("626164ff"), e.getMessage());
    }

    @Test
    void timestampsAreNotPartOfTheDigest() throws Exception {
        Path root = Files.createDirectory(dir.resolve("rootfs"));
        Shell.run(root, "mkdir d; printf x > d/f; ln -s f d/l");
        ImageHashResult before = hash(root, HashOptions.defaults().withStrict(true));
        Shell.run(root, "touch -d '2001-01-01' d/f d; touch -h -d '2002-02-02' d/l");
        assertEquals(before.rootfsDigest(), hash(root, HashOptions.defaults()).rootfsDigest());
    }
}
