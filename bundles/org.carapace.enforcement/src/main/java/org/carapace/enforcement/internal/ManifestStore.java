package org.carapace.enforcement.internal;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import org.carapace.api.image.FileManifest;
import org.carapace.api.image.ImageException;
import org.carapace.api.image.ImageHasher;

/**
 * Per-file manifests of whitelisted images, kept on the host so the gate can compare what is on disk with what was
 * sealed: with a container's mount destinations left out on both sides, and path by path when they differ.
 *
 * <p>A manifest certifies itself: its entries hash to its rootfs digest (docs/rootfs-digest.md), so a manifest
 * stored under a digest the signed policy allows is that image's manifest, whoever wrote the file. Every read
 * recomputes the digest; a file whose entries do not hash to its name is ignored (and reported by the caller).
 * Writes are atomic (temporary file, fsync, rename, fsync of the directory). Thread-safe.
 */
final class ManifestStore {

    private static final Pattern NAME = Pattern.compile("sha256-[0-9a-f]{64}\\.json");

    /** A stored manifest does not hash to the digest it is filed under. */
    static final class TamperedManifestException extends Exception {
        private static final long serialVersionUID = 1L;

        TamperedManifestException(String message) {
            super(message);
        }
    }

    private final Path directory;
    private final ImageHasher hasher;
    private final int maxBytes;
    private final int cacheEntries;
    private final Map<String, FileManifest> cache;

    ManifestStore(Path directory, ImageHasher hasher, int maxBytes, int cacheEntries) throws IOException {
        if (maxBytes < 1024 || cacheEntries < 1) {
            throw new IllegalArgumentException("maxBytes must be at least 1024 and cacheEntries positive");
        }
        this.directory = Files.createDirectories(directory);
        this.hasher = hasher;
        this.maxBytes = maxBytes;
        this.cacheEntries = cacheEntries;
        this.cache = new LinkedHashMap<>(16, 0.75f, true) {
            private static final long serialVersionUID = 1L;

            @Override
            protected boolean removeEldestEntry(Map.Entry<String, FileManifest> eldest) {
                return size() > ManifestStore.this.cacheEntries;
            }
        };
    }

    Path directory() {
        return directory;
    }

    static String fileName(String rootfsDigest) {
        return rootfsDigest.replace(':', '-') + ".json";
    }

    /**
     * Stores a manifest's JSON form after checking it (its rootfs digest is recomputed from its entries).
     *
     * @return the manifest's rootfs digest
     * @throws ImageException when the JSON is not a valid manifest
     */
    String add(byte[] json) throws ImageException, IOException {
        if (json.length > maxBytes) {
            throw new IOException("manifest is " + json.length + " bytes, more than the limit of " + maxBytes);
        }
        FileManifest manifest = hasher.readManifest(new ByteArrayInputStream(json));
        String digest = manifest.rootfsDigest().toString();
        Path target = directory.resolve(fileName(digest));
        Path temporary = directory.resolve("." + fileName(digest) + "." + ProcessHandle.current().pid() + ".tmp");
        try (FileChannel out = FileChannel.open(temporary, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
            StandardOpenOption.WRITE)) {
            out.write(java.nio.ByteBuffer.wrap(json));
            out.force(true);
        }
        try {
            Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.deleteIfExists(temporary);
            throw e;
        }
        try (FileChannel dir = FileChannel.open(directory, StandardOpenOption.READ)) {
            dir.force(true);
        }
        synchronized (cache) {
            cache.put(digest, manifest);
        }
        return digest;
    }

    /**
     * The manifest filed under this rootfs digest, if there is one.
     *
     * @throws TamperedManifestException when the stored file is not that digest's manifest
     */
    Optional<FileManifest> get(String rootfsDigest) throws TamperedManifestException {
        synchronized (cache) {
            FileManifest cached = cache.get(rootfsDigest);
            if (cached != null) {
                return Optional.of(cached);
            }
        }
        Path file = directory.resolve(fileName(rootfsDigest));
        if (!NAME.matcher(file.getFileName().toString()).matches()) {
            return Optional.empty();
        }
        FileManifest manifest;
        try {
            if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
                return Optional.empty();
            }
            if (Files.size(file) > maxBytes) {
                throw new TamperedManifestException(file + " is larger than the limit of " + maxBytes + " bytes");
            }
            try (InputStream in = Files.newInputStream(file)) {
                manifest = hasher.readManifest(in);
            }
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (ImageException | IOException e) {
            throw new TamperedManifestException(file + " is not a valid manifest: " + e.getMessage());
        }
        if (!manifest.rootfsDigest().toString().equals(rootfsDigest)) {
            throw new TamperedManifestException(file + " holds the manifest of " + manifest.rootfsDigest() + ", not of "
                + rootfsDigest);
        }
        synchronized (cache) {
            cache.put(rootfsDigest, manifest);
        }
        return Optional.of(manifest);
    }

    /** How many manifests are on disk. */
    int count() throws IOException {
        int n = 0;
        try (DirectoryStream<Path> files = Files.newDirectoryStream(directory, "sha256-*.json")) {
            for (Path ignored : files) {
                n++;
            }
        }
        return n;
    }
}
