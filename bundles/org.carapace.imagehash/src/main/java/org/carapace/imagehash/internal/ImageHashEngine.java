package org.carapace.imagehash.internal;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.ZipException;
import org.carapace.api.image.BlobCheck;
import org.carapace.api.image.BlobVerificationException;
import org.carapace.api.image.BlobVerificationReport;
import org.carapace.api.image.Digest;
import org.carapace.api.image.FileEntry;
import org.carapace.api.image.FileManifest;
import org.carapace.api.image.HashOptions;
import org.carapace.api.image.HashProgress;
import org.carapace.api.image.HashStatistics;
import org.carapace.api.image.ImageException;
import org.carapace.api.image.ImageFormatException;
import org.carapace.api.image.ImageHashResult;
import org.carapace.api.image.ImageHasher;
import org.carapace.api.image.ImagePaths;
import org.carapace.api.image.ImageReadException;
import org.carapace.api.image.ImageSource;
import org.carapace.api.image.InvalidImageSourceException;
import org.carapace.api.image.ManifestDiff;
import org.carapace.api.image.Platform;
import org.carapace.api.image.TruncatedArchiveException;

/**
 * The image hashing engine: everything {@link ImageHasher} promises, usable without OSGi
 * ({@code new ImageHashEngine(ImageLimits.DEFAULTS, 0, 0)} in the CLI) and wrapped by {@link ImageHasherComponent}
 * in the runtime. Owns a fork/join pool (layers and directories are hashed in parallel) and the file digest cache
 * shared by all calls; {@link #close()} stops the pool.
 */
public final class ImageHashEngine implements ImageHasher, AutoCloseable {

    private final ImageLimits limits;
    private final ForkJoinPool pool;
    private final FileDigestCache cache;
    private final Json json;
    private final ManifestJson manifestJson;
    private final DirectoryHasher directories;

    /**
     * @param limits       limits for hostile input
     * @param threads      worker threads; 0 means one per available processor
     * @param cacheEntries files the digest cache remembers; 0 disables it
     */
    public ImageHashEngine(ImageLimits limits, int threads, int cacheEntries) {
        this(limits, threads, new FileDigestCache(cacheEntries));
    }

    public ImageHashEngine(ImageLimits limits, int threads, FileDigestCache cache) {
        if (threads < 0) {
            throw new IllegalArgumentException("threads must not be negative, was " + threads);
        }
        this.limits = limits;
        this.cache = cache;
        int parallelism = threads == 0 ? Runtime.getRuntime().availableProcessors() : threads;
        AtomicInteger threadNumber = new AtomicInteger();
        this.pool = new ForkJoinPool(parallelism, p -> {
            var thread = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(p);
            // (the pool index is not assigned yet here: every thread was called -0)
            thread.setName("carapace-imagehash-" + threadNumber.getAndIncrement());
            thread.setDaemon(true);
            return thread;
        }, null, false);
        this.json = new Json(limits);
        this.manifestJson = new ManifestJson(json, limits);
        this.directories = new DirectoryHasher(pool, limits);
    }

    /** Tests only. */
    DirectoryHasher directories() {
        return directories;
    }

    public FileDigestCache cache() {
        return cache;
    }

    public ImageLimits limits() {
        return limits;
    }

    @Override
    public void close() {
        pool.shutdownNow();
    }

    @Override
    public ImageHashResult hash(ImageSource source, HashOptions options) throws ImageException {
        return hash(source, options, HashProgress.NONE);
    }

    @Override
    public ImageHashResult hash(ImageSource source, HashOptions options, HashProgress progress) throws ImageException {
        long start = System.nanoTime();
        if (source instanceof ImageSource.RootfsDirectory dir) {
            return hashDirectory(source.spec(), dir.directory(), options.exclusions(), options, progress, start);
        }
        if (source instanceof ImageSource.RuntimeBundle bundle) {
            // the root file system as stored; what a container sees of it leaves out the mount destinations, which a
            // caller asks for with exclusions (runtimeBundle(...).mountDestinations(), as the container gate does)
            return hashDirectory(source.spec(), runtimeBundle(bundle.directory()).rootfs(), options.exclusions(), options,
                progress, start);
        }
        return hashLayered(source, options, progress, start);
    }

    private ImageHashResult hashDirectory(String spec, Path root, List<String> exclusions, HashOptions options,
                                          HashProgress progress, long start) throws ImageException {
        if (!Files.isDirectory(root)) {
            throw new ImageReadException(root.toString(), "not a directory");
        }
        HashProgressMeter meter = progress == HashProgress.NONE ? null : new HashProgressMeter(progress, -1);
        DirectoryHasher.Result result = directories.hash(root, exclusions, options.xattrNames(), cache, options.strict(), meter);
        if (meter != null) {
            meter.finish();
        }
        FileManifest manifest = CanonicalEncoding.manifest(options.xattrNames(), result.entries());
        HashStatistics statistics = new HashStatistics(result.entries().size(), result.bytesRead(), result.cacheHits(),
            result.cacheMisses(), 0, Duration.ofNanos(System.nanoTime() - start));
        return new ImageHashResult(spec, manifest.rootfsDigest(), Optional.empty(), Optional.empty(), manifest, statistics);
    }

    /** What a runtime bundle's config.json says about its root file system (runtime-spec config.md "Root", "Mounts"). */
    public record RuntimeBundleConfig(Path rootfs, List<String> mountDestinations) {
    }

    /** Reads a runtime bundle's config.json: where its root file system is and where things are mounted over it. */
    public RuntimeBundleConfig runtimeBundle(Path bundle) throws ImageException {
        Path configFile = bundle.resolve("config.json");
        String location = configFile.toString();
        byte[] data;
        try (InputStream in = Files.newInputStream(configFile)) {
            data = Json.readBounded(in, limits.maxJsonBytes(), "maxJsonBytes", location);
        } catch (IOException e) {
            throw new InvalidImageSourceException("bundle:" + bundle, "cannot read config.json: " + e.getMessage());
        }
        JsonNode config = json.parse(data, location);
        if (!config.isObject()) {
            throw new ImageFormatException(location, "config.json must be a JSON object");
        }
        JsonNode root = Json.object(config, "root", location);
        String rootPath = Json.text(root, "path", location + " root");
        if (rootPath.isEmpty() || rootPath.indexOf('\0') >= 0) {
            throw new ImageFormatException(location, "root.path is empty");
        }
        Path rootfs = bundle.resolve(rootPath); // absolute root.path replaces the bundle directory
        List<String> destinations = new ArrayList<>();
        List<JsonNode> mounts = Json.array(config, "mounts", location, false);
        for (int i = 0; i < mounts.size(); i++) {
            String destination = Json.text(mounts.get(i), "destination", location + " mounts[" + i + "]");
            try {
                destinations.add(ImagePaths.normalize(destination));
            } catch (IllegalArgumentException e) {
                throw new ImageFormatException(location + " mounts[" + i + "]", "destination: " + e.getMessage());
            }
        }
        return new RuntimeBundleConfig(rootfs, destinations);
    }

    private BlobStore openStore(ImageSource source) throws ImageException {
        if (source instanceof ImageSource.OciLayout oci) {
            if (!Files.isDirectory(oci.directory())) {
                throw new ImageReadException(oci.directory().toString(), "not a directory");
            }
            return BlobStore.directory(oci.directory());
        }
        if (source instanceof ImageSource.OciArchive archive) {
            return ArchiveBlobStore.open(archive.file(), limits);
        }
        if (source instanceof ImageSource.DockerArchive archive) {
            return ArchiveBlobStore.open(archive.file(), limits);
        }
        throw new InvalidImageSourceException(source.spec(), "has no blobs");
    }

    private static Optional<String> reference(ImageSource source) {
        if (source instanceof ImageSource.OciLayout s) {
            return s.reference();
        }
        if (source instanceof ImageSource.OciArchive s) {
            return s.reference();
        }
        if (source instanceof ImageSource.DockerArchive s) {
            return s.reference();
        }
        return Optional.empty();
    }

    private ImageHashResult hashLayered(ImageSource source, HashOptions options, HashProgress progress, long start)
        throws ImageException {
        String spec = source.spec();
        Checks checks = new Checks(spec, true);
        try (BlobStore store = openStore(source)) {
            ResolvedImage image;
            if (source instanceof ImageSource.DockerArchive) {
                image = new DockerArchiveReader(store, spec, limits, json).resolve(reference(source), checks, false).get(0);
            } else {
                image = new OciLayoutReader(store, spec, limits, json).resolve(reference(source),
                    options.platform().orElse(Platform.current()), checks);
            }
            long total = 0;
            for (ResolvedImage.Layer layer : image.layers()) {
                total = layer.size() < 0 || total < 0 ? -1 : total + layer.size();
            }
            HashProgressMeter meter = progress == HashProgress.NONE ? null : new HashProgressMeter(progress, total);
            // OCI layers are authenticated by their blob digests, which the manifest pins: the uncompressed digest
            // (diff_id) is checked only where it is the sole anchor (docker-archive) or comes for free (plain tar)
            boolean docker = source instanceof ImageSource.DockerArchive;
            List<LayerResult> layers = readLayers(store, spec, image.layers(), checks, options, meter, true, docker);
            if (meter != null) {
                meter.finish();
            }
            RootfsTree tree = new RootfsTree(limits);
            long bytes = 0;
            for (int i = 0; i < layers.size(); i++) {
                ResolvedImage.Layer layer = image.layers().get(i);
                tree.beginLayer(i, spec + " layer " + i + " (" + layer.digest().map(Digest::toString).orElse(layer.path()) + ")");
                for (LayerEntry entry : layers.get(i).entries()) {
                    tree.apply(entry);
                }
                bytes += layers.get(i).uncompressedBytes();
            }
            List<FileEntry> entries = tree.entries(options.exclusions());
            FileManifest manifest = CanonicalEncoding.manifest(options.xattrNames(), entries);
            HashStatistics statistics = new HashStatistics(entries.size(), bytes, 0, 0, layers.size(),
                Duration.ofNanos(System.nanoTime() - start));
            return new ImageHashResult(spec, manifest.rootfsDigest(), image.manifestDigest(), image.configDigest(), manifest,
                statistics);
        } catch (IOException e) {
            throw new ImageReadException(spec, e);
        }
    }

    @Override
    public BlobVerificationReport verifyBlobs(ImageSource source) throws ImageException {
        if (!source.isLayered()) {
            throw new InvalidImageSourceException(source.spec(), "a directory has no blobs to verify");
        }
        String spec = source.spec();
        Checks checks = new Checks(spec, false);
        try (BlobStore store = openStore(source)) {
            List<ResolvedImage> images = source instanceof ImageSource.DockerArchive
                ? new DockerArchiveReader(store, spec, limits, json).resolve(reference(source), checks, true)
                : new OciLayoutReader(store, spec, limits, json).all(reference(source), checks);
            Map<String, ResolvedImage.Layer> layers = new LinkedHashMap<>();
            for (ResolvedImage image : images) {
                for (ResolvedImage.Layer layer : image.layers()) {
                    layers.putIfAbsent(layer.path() + " " + layer.diffId().map(Digest::toString).orElse(""), layer);
                }
            }
            readLayers(store, spec, new ArrayList<>(layers.values()), checks, HashOptions.defaults(), null, false, true);
        } catch (IOException e) {
            throw new ImageReadException(spec, e);
        }
        BlobVerificationReport report = checks.report();
        if (!report.ok()) {
            throw new BlobVerificationException(report);
        }
        return report;
    }

    private record LayerResult(List<LayerEntry> entries, long uncompressedBytes) {
    }

    private List<LayerResult> readLayers(BlobStore store, String spec, List<ResolvedImage.Layer> layers, Checks checks,
                                         HashOptions options, HashProgressMeter meter, boolean parse, boolean checkDiffId)
        throws ImageException {
        AtomicLong bytesLeft = new AtomicLong(limits.maxImageBytes());
        AtomicLong entriesLeft = new AtomicLong(limits.maxEntries());
        List<ForkJoinTask<LayerResult>> tasks = new ArrayList<>();
        for (int i = 0; i < layers.size(); i++) {
            ResolvedImage.Layer layer = layers.get(i);
            String location = spec + " layer " + i + " (" + layer.path() + ")";
            tasks.add(pool.submit(() -> readLayer(store, layer, location, checks, options, meter, parse, checkDiffId,
                bytesLeft, entriesLeft)));
        }
        List<LayerResult> results = new ArrayList<>();
        ImageException failure = null;
        for (ForkJoinTask<LayerResult> task : tasks) {
            try {
                results.add(task.get());
            } catch (ExecutionException e) {
                Throwable cause = e.getCause();
                // fork/join wraps checked exceptions of callables in RuntimeExceptions (and copies them across threads)
                for (Throwable t = cause; t != null; t = t.getCause()) {
                    if (t instanceof ImageException) {
                        cause = t;
                        break;
                    }
                }
                if (failure == null) {
                    if (cause instanceof ImageException ie) {
                        failure = ie;
                    } else if (cause instanceof RuntimeException re) {
                        throw re;
                    } else {
                        throw new IllegalStateException(cause);
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ImageReadException(spec, new java.io.InterruptedIOException("interrupted"));
            }
        }
        if (failure != null) {
            throw failure;
        }
        return results;
    }

    /** Reads one layer blob once: its digest and size, the uncompressed digest, and (when parsing) its entries. */
    private LayerResult readLayer(BlobStore store, ResolvedImage.Layer layer, String location, Checks checks, HashOptions options,
                                  HashProgressMeter meter, boolean parse, boolean checkDiffId, AtomicLong bytesLeft,
                                  AtomicLong entriesLeft) throws ImageException {
        long size;
        try {
            size = store.size(layer.path());
        } catch (IOException e) {
            throw new ImageReadException(location, e);
        }
        Digest named = layer.digest().orElse(layer.diffId().orElse(null));
        if (size < 0) {
            if (named == null) {
                throw new ImageFormatException(location, "layer file " + layer.path() + " is missing");
            }
            checks.fail(BlobCheck.Kind.LAYER, layer.referrer(), layer.path(), named, layer.size(), BlobCheck.Status.MISSING,
                OptionalLong.empty(), Optional.empty());
            return new LayerResult(List.of(), 0);
        }
        if (layer.size() >= 0 && size != layer.size()) {
            checks.fail(BlobCheck.Kind.LAYER, layer.referrer(), layer.path(), named, layer.size(), BlobCheck.Status.SIZE_MISMATCH,
                OptionalLong.of(size), Optional.empty());
            return new LayerResult(List.of(), 0);
        }
        try (InputStream blob = store.open(layer.path())) {
            MessageDigest blobDigest = layer.digest().map(d -> d.algorithm().newMessageDigest()).orElse(null);
            MeteredInputStream raw = new MeteredInputStream(blob, blobDigest, null, null, 0, location, meter);
            BufferedInputStream buffered = new BufferedInputStream(raw, 1 << 16);
            MessageDigest diffDigest = null;
            List<LayerEntry> entries = List.of();
            long uncompressed = 0;
            ImageException failure = null;
            try {
                InputStream plain = Compression.decompress(buffered);
                boolean compressed = plain != buffered;
                if (layer.diffId().isPresent() && (checkDiffId || (!compressed && layer.digest().isEmpty()))) {
                    diffDigest = layer.diffId().get().algorithm().newMessageDigest();
                }
                MeteredInputStream tar = new MeteredInputStream(plain, diffDigest, bytesLeft, "maxImageBytes",
                    limits.maxImageBytes(), location, null);
                if (parse) {
                    entries = LayerReader.read(tar, location, limits, options.xattrNames(), entriesLeft);
                } else {
                    tar.drain();
                }
                uncompressed = tar.count();
            } catch (WrappedImageException e) {
                failure = e.imageException();
            } catch (ImageException e) {
                failure = e;
            } catch (ZipException e) {
                failure = new ImageFormatException(location, "corrupt gzip data: " + e.getMessage());
            } catch (EOFException e) {
                failure = new TruncatedArchiveException(location, raw.count(), "compressed stream ends early");
            } catch (IOException | RuntimeException e) {
                // aircompressor reports corrupt input with unchecked exceptions
                failure = new ImageFormatException(location, "corrupt compressed data: " + e.getMessage());
            }
            raw.drain();
            if (blobDigest != null) {
                Digest actual = new Digest(layer.digest().get().algorithm(), blobDigest.digest());
                if (!actual.equals(layer.digest().get())) {
                    checks.fail(BlobCheck.Kind.LAYER, layer.referrer(), layer.path(), layer.digest().get(), layer.size(),
                        BlobCheck.Status.DIGEST_MISMATCH, OptionalLong.of(raw.count()), Optional.of(actual));
                    return new LayerResult(List.of(), 0);
                }
                checks.ok(BlobCheck.Kind.LAYER, layer.referrer(), layer.path(), layer.digest().get(), layer.size(), raw.count());
            }
            if (failure != null) {
                throw failure;
            }
            if (diffDigest != null) {
                Digest expected = layer.diffId().get();
                Digest actual = new Digest(expected.algorithm(), diffDigest.digest());
                if (!actual.equals(expected)) {
                    checks.fail(BlobCheck.Kind.LAYER_DIFF_ID, layer.referrer() + " (rootfs.diff_ids)", layer.path(), expected, -1,
                        BlobCheck.Status.DIGEST_MISMATCH, OptionalLong.of(uncompressed), Optional.of(actual));
                    return new LayerResult(List.of(), 0);
                }
                checks.ok(BlobCheck.Kind.LAYER_DIFF_ID, layer.referrer() + " (rootfs.diff_ids)", layer.path(), expected, -1,
                    uncompressed);
            }
            return new LayerResult(entries, uncompressed);
        } catch (IOException e) {
            throw new ImageReadException(location, e);
        }
    }

    @Override
    public FileManifest exclude(FileManifest manifest, List<String> exclusions) {
        return ManifestExclusions.exclude(manifest, exclusions);
    }

    @Override
    public ManifestDiff diff(FileManifest expected, FileManifest actual) {
        return ManifestDiffer.diff(expected, actual);
    }

    @Override
    public void writeManifest(FileManifest manifest, OutputStream out) throws IOException {
        manifestJson.write(manifest, out);
    }

    @Override
    public FileManifest readManifest(InputStream in) throws ImageException {
        return manifestJson.read(in, "manifest");
    }

    /** Reads a manifest, naming its origin in errors. */
    public FileManifest readManifest(InputStream in, String location) throws ImageException {
        return manifestJson.read(in, location);
    }
}
