package org.carapace.enforcement.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;
import org.carapace.api.image.BlobCheck;
import org.carapace.api.image.BlobVerificationException;
import org.carapace.api.image.FileEntry;
import org.carapace.api.image.FileManifest;
import org.carapace.api.image.HashOptions;
import org.carapace.api.image.HashProgress;
import org.carapace.api.image.ImageException;
import org.carapace.api.image.ImageHashResult;
import org.carapace.api.image.ImageHasher;
import org.carapace.api.image.ManifestDiff;
import org.carapace.api.image.PathDifference;
import org.carapace.api.policy.ImageRule;
import org.carapace.enforcement.internal.ImageStore.StoreException;
import org.carapace.enforcement.internal.ImageStore.StoredImage;

/**
 * The at-rest scan, independent of OSGi (the runtime's {@link ImageScanComponent} and {@code carapace image scan}
 * both use it): lists every image of the given stores, computes each one's rootfs digest from what is stored
 * (layer blobs verified against their descriptors on the way) and classifies it against a policy:
 * <ol>
 *   <li>the image cannot be read, a blob differs from its descriptor, or the store's record of it is unusable:
 *       {@link Status#TAMPERED}, naming the blob or the problem;</li>
 *   <li>its rootfs digest is allowed: {@link Status#OK};</li>
 *   <li>its rootfs or manifest digest is revoked: {@link Status#REVOKED};</li>
 *   <li>it is meant to be an allowed image (a policy image carries one of its names, pins its manifest digest, or
 *       has a stored manifest sharing at least half its entries) but the content differs: {@link Status#TAMPERED},
 *       with the first differing paths when that image's manifest is stored;</li>
 *   <li>otherwise {@link Status#UNKNOWN}.</li>
 * </ol>
 * Limits: at most {@code maxImages} images per scan (the rest are reported as not checked) and a time budget per
 * image (checked as the hasher reports progress, every few MiB). Not thread-safe: one scan at a time per instance.
 */
public final class ImageStoreScanner {

    /** The outcome for one image. */
    public enum Status { OK, TAMPERED, REVOKED, UNKNOWN, INCOMPLETE }

    /** Where manifests of allowed images are kept (the gate's manifest store, or a directory for the CLI). */
    @FunctionalInterface
    public interface ManifestLookup {
        /**
         * The manifest stored for this rootfs digest, if any.
         *
         * @throws IOException when a stored manifest exists but is unusable (not that digest's manifest)
         */
        Optional<FileManifest> find(String rootfsDigest) throws IOException;

        ManifestLookup NONE = digest -> Optional.empty();
    }

    /**
     * Tunables.
     *
     * @param hashOptions    how images are hashed (covered xattrs, strict); must match how the policy's images were sealed
     * @param maxImages      images checked per scan, at least 1
     * @param imageBudgetNanos time budget per image, positive
     * @param maxDifferences differing paths named per image, not negative
     * @param maxJsonBytes   limit of a store's index.json / images.json / layers.json
     */
    public record Settings(HashOptions hashOptions, int maxImages, long imageBudgetNanos, int maxDifferences,
                           long maxJsonBytes) {
        public Settings {
            if (hashOptions == null || maxImages < 1 || imageBudgetNanos <= 0 || maxDifferences < 0 || maxJsonBytes < 1024) {
                throw new IllegalArgumentException("hashOptions required; maxImages and imageBudget positive, "
                    + "maxDifferences not negative, maxJsonBytes at least 1024");
            }
        }
    }

    /**
     * The result for one image.
     *
     * @param store          the store's spec
     * @param reference      manifest digest (oci) or image id (podman), or where the unusable record is
     * @param names          names the store records
     * @param status         the outcome
     * @param reason         one line for people
     * @param rootfsDigest   the digest computed from what is stored, when it could be computed
     * @param manifestDigest the manifest digest the store records, if any
     * @param image          the policy image it is (OK) or is meant to be (TAMPERED), if known
     * @param expectedDigest that image's rootfs digest
     * @param differences    the first differing paths, when the expected manifest is stored
     * @param blobs          the blobs that failed verification
     * @param durationMillis how long the image took
     */
    public record ImageResult(String store, String reference, List<String> names, Status status, String reason,
                              Optional<String> rootfsDigest, Optional<String> manifestDigest, Optional<String> image,
                              Optional<String> expectedDigest, List<String> differences, List<String> blobs,
                              long durationMillis) {
        public ImageResult {
            names = List.copyOf(names);
            differences = List.copyOf(differences);
            blobs = List.copyOf(blobs);
        }

        /** The JSON form (admin answer, CLI output, event context): absent values left out. */
        public Map<String, Object> toMap() {
            Map<String, Object> map = new LinkedHashMap<>();
            map.put("store", store);
            map.put("reference", reference);
            map.put("names", names);
            map.put("status", status.name());
            map.put("reason", reason);
            rootfsDigest.ifPresent(d -> map.put("rootfsDigest", d));
            manifestDigest.ifPresent(d -> map.put("manifestDigest", d));
            image.ifPresent(n -> map.put("image", n));
            expectedDigest.ifPresent(d -> map.put("expectedDigest", d));
            if (!differences.isEmpty()) {
                map.put("differences", differences);
            }
            if (!blobs.isEmpty()) {
                map.put("blobs", blobs);
            }
            map.put("durationMillis", durationMillis);
            return map;
        }
    }

    /**
     * A whole scan.
     *
     * @param policy  which policy the images were checked against
     * @param stores  the stores' specs
     * @param images  one result per image found (up to the limit), plus one per unreadable store
     * @param skipped images found beyond {@code maxImages}, not checked
     * @param stopped whether the scan was stopped before it finished (runtime shutting down)
     */
    public record Report(String policy, List<String> stores, List<ImageResult> images, int skipped, boolean stopped,
                         long durationMillis) {
        public Report {
            stores = List.copyOf(stores);
            images = List.copyOf(images);
        }

        /** Every image checked and allowed. */
        public boolean clean() {
            return skipped == 0 && !stopped && images.stream().allMatch(r -> r.status() == Status.OK);
        }

        public Map<Status, Integer> counts() {
            Map<Status, Integer> counts = new EnumMap<>(Status.class);
            for (Status status : Status.values()) {
                counts.put(status, 0);
            }
            images.forEach(r -> counts.merge(r.status(), 1, Integer::sum));
            return counts;
        }

        public Map<String, Object> toMap() {
            Map<String, Object> map = new LinkedHashMap<>();
            map.put("clean", clean());
            map.put("policy", policy);
            map.put("stores", stores);
            Map<String, Object> counts = new LinkedHashMap<>();
            counts().forEach((status, n) -> counts.put(status.name().toLowerCase(Locale.ROOT), n));
            map.put("counts", counts);
            map.put("skipped", skipped);
            map.put("stopped", stopped);
            map.put("durationMillis", durationMillis);
            map.put("images", images.stream().map(ImageResult::toMap).toList());
            return map;
        }
    }

    private final ImageHasher hasher;
    private final ManifestLookup manifests;
    private final Settings settings;
    private final LongSupplier nanoTime;
    private final ObjectMapper mapper = GateProtocol.mapper(64);

    public ImageStoreScanner(ImageHasher hasher, ManifestLookup manifests, Settings settings) {
        this(hasher, manifests, settings, System::nanoTime);
    }

    ImageStoreScanner(ImageHasher hasher, ManifestLookup manifests, Settings settings, LongSupplier nanoTime) {
        this.hasher = hasher;
        this.manifests = manifests;
        this.settings = settings;
        this.nanoTime = nanoTime;
    }

    /**
     * A manifest lookup over a directory laid out as the gate's manifest store ({@code sha256-<hex>.json}, each
     * file self-certifying). Read-only use: the directory must exist.
     */
    public static ManifestLookup manifestDirectory(Path directory, ImageHasher hasher, int maxBytes) throws IOException {
        if (!Files.isDirectory(directory)) {
            throw new IOException(directory + " is not a directory");
        }
        ManifestStore store = new ManifestStore(directory, hasher, maxBytes, 16);
        return digest -> {
            try {
                return store.get(digest);
            } catch (ManifestStore.TamperedManifestException e) {
                throw new IOException(e.getMessage(), e);
            }
        };
    }

    /** Scans the stores against the policy; {@code stop} is polled between images. */
    public Report scan(List<ImageStore> stores, ScanPolicy policy, BooleanSupplier stop) {
        long start = nanoTime.getAsLong();
        List<ImageResult> results = new ArrayList<>();
        int skipped = 0;
        boolean stopped = false;
        Map<String, FileManifest> expectedManifests = new HashMap<>();
        List<String> manifestProblems = new ArrayList<>();
        for (ImageStore store : stores) {
            List<StoredImage> images;
            try {
                images = store.list(mapper, settings.maxJsonBytes());
            } catch (StoreException e) {
                results.add(new ImageResult(store.spec(), "(store)", List.of(), Status.TAMPERED,
                    "the image store cannot be read: " + e.getMessage(), Optional.empty(), Optional.empty(),
                    Optional.empty(), Optional.empty(), List.of(), List.of(), 0));
                continue;
            }
            for (StoredImage image : images) {
                if (stop.getAsBoolean()) {
                    stopped = true;
                    break;
                }
                if (results.size() >= settings.maxImages()) {
                    skipped++;
                    continue;
                }
                results.add(check(image, policy, expectedManifests, manifestProblems));
            }
            if (stopped) {
                break;
            }
        }
        return new Report(policy.label(), stores.stream().map(ImageStore::spec).toList(), results, skipped, stopped,
            (nanoTime.getAsLong() - start) / 1_000_000);
    }

    /** Exceeding the per-image budget, thrown from the progress callback to abort the hash. */
    private static final class BudgetExceeded extends RuntimeException {
        private static final long serialVersionUID = 1L;

        BudgetExceeded() {
            super("time budget exceeded", null, false, false);
        }
    }

    private ImageResult check(StoredImage image, ScanPolicy policy, Map<String, FileManifest> expectedManifests,
                              List<String> manifestProblems) {
        long start = nanoTime.getAsLong();
        Result r = new Result(image, start);
        if (image.problem().isPresent()) {
            return r.done(Status.TAMPERED, "the store's record of the image is unusable: " + image.problem().get());
        }
        long deadline = start + settings.imageBudgetNanos();
        boolean[] exceeded = {false};
        HashProgress budget = (done, total) -> {
            if (nanoTime.getAsLong() - deadline > 0) {
                exceeded[0] = true;
                throw new BudgetExceeded();
            }
        };
        ImageHashResult hashed;
        try {
            hashed = hasher.hash(image.source().orElseThrow(), settings.hashOptions(), budget);
        } catch (BlobVerificationException e) {
            r.blobs = e.report().failures().stream().map(BlobCheck::describe).toList();
            return r.done(Status.TAMPERED, "a stored blob does not match its descriptor: " + r.blobs.get(0));
        } catch (ImageException | RuntimeException e) {
            if (exceeded[0]) {
                return r.done(Status.INCOMPLETE, "not checked within the time budget of "
                    + settings.imageBudgetNanos() / 1_000_000 + " ms per image");
            }
            return r.done(Status.TAMPERED, "the stored image cannot be read: " + e.getMessage());
        }
        String digest = hashed.rootfsDigest().toString();
        r.rootfsDigest = Optional.of(digest);
        hashed.manifestDigest().ifPresent(d -> {
            if (r.manifestDigest.isEmpty()) {
                r.manifestDigest = Optional.of(d.toString());
            }
        });
        Optional<ImageRule> allowed = policy.lookup(digest);
        if (allowed.isPresent()) {
            r.image = Optional.of(allowed.get().name());
            r.expectedDigest = Optional.of(digest);
            return r.done(Status.OK, "rootfs digest " + digest + " is allowed as " + allowed.get().name());
        }
        if (policy.isRevoked(digest) || r.manifestDigest.map(policy::isRevoked).orElse(false)) {
            String which = policy.isRevoked(digest) ? digest : r.manifestDigest.get();
            return r.done(Status.REVOKED, "digest " + which + " is revoked by the policy");
        }
        Optional<ImageRule> expected = expectedImage(image, r.manifestDigest, hashed.manifest(), policy, expectedManifests,
            manifestProblems);
        if (expected.isPresent()) {
            ImageRule rule = expected.get();
            r.image = Optional.of(rule.name());
            r.expectedDigest = Optional.of(rule.rootfsDigest());
            FileManifest sealed = expectedManifests.get(rule.rootfsDigest());
            if (sealed == null) {
                return r.done(Status.TAMPERED, "rootfs digest " + digest + " differs from the allowed image " + rule.name()
                    + " (" + rule.rootfsDigest() + "); no manifest of it is stored to name the paths"
                    + problemFor(rule.rootfsDigest(), manifestProblems));
            }
            ManifestDiff diff = hasher.diff(sealed, hashed.manifest());
            for (PathDifference difference : diff.first(settings.maxDifferences())) {
                r.differences.add(difference.describe());
            }
            int n = diff.differences().size();
            return r.done(Status.TAMPERED, "rootfs digest " + digest + " differs from the allowed image " + rule.name()
                + " (" + rule.rootfsDigest() + ") at " + n + " path" + (n == 1 ? "" : "s")
                + (diff.xattrNamesDiffer() ? "; the covered xattr sets differ" : ""));
        }
        return r.done(Status.UNKNOWN, "unknown image: rootfs digest " + digest + " is not in the policy");
    }

    private static String problemFor(String digest, List<String> problems) {
        for (String problem : problems) {
            if (problem.contains(digest.substring("sha256:".length()))) {
                return "; the stored manifest is unusable: " + problem;
            }
        }
        return "";
    }

    /** The policy image this stored image is meant to be, if any (see the class comment for the order). */
    private Optional<ImageRule> expectedImage(StoredImage image, Optional<String> manifestDigest, FileManifest actual,
                                              ScanPolicy policy, Map<String, FileManifest> expectedManifests,
                                              List<String> manifestProblems) {
        Set<String> names = new LinkedHashSet<>();
        for (String name : image.names()) {
            names.add(normalizeName(name));
            if (image.store().startsWith("oci:")) {
                // a layout directory named after the image, tagged: busybox/ with tag latest is busybox:latest
                Path dir = Path.of(image.store().substring(4)).getFileName();
                if (dir != null && !name.contains("/") && !name.contains(":")) {
                    names.add(normalizeName(dir + ":" + name));
                }
            }
        }
        List<ImageRule> candidates = new ArrayList<>();
        for (ImageRule rule : policy.allowed().values()) {
            if (names.contains(normalizeName(rule.name()))
                || (manifestDigest.isPresent() && rule.manifestDigest().equals(manifestDigest))) {
                candidates.add(rule);
            }
        }
        for (ImageRule rule : policy.allowed().values()) {
            load(rule.rootfsDigest(), expectedManifests, manifestProblems);
        }
        if (!candidates.isEmpty()) {
            // several policy images of that name (versions): the closest stored one, else the first
            ImageRule best = candidates.get(0);
            double bestScore = -1;
            for (ImageRule rule : candidates) {
                FileManifest sealed = expectedManifests.get(rule.rootfsDigest());
                double score = sealed == null ? -0.5 : similarity(sealed, actual);
                if (score > bestScore) {
                    bestScore = score;
                    best = rule;
                }
            }
            return Optional.of(best);
        }
        // no name: the allowed image whose stored manifest shares most entries, if at least half (as the gate does)
        ImageRule best = null;
        double bestScore = 0.5;
        for (ImageRule rule : policy.allowed().values()) {
            FileManifest sealed = expectedManifests.get(rule.rootfsDigest());
            if (sealed != null) {
                double score = similarity(sealed, actual);
                if (score >= bestScore) {
                    bestScore = score;
                    best = rule;
                }
            }
        }
        return Optional.ofNullable(best);
    }

    private void load(String digest, Map<String, FileManifest> cache, List<String> problems) {
        if (cache.containsKey(digest) || !digest.startsWith("sha256:")) {
            return;
        }
        try {
            Optional<FileManifest> manifest = manifests.find(digest);
            manifest.ifPresent(m -> cache.put(digest, m));
        } catch (IOException e) {
            if (!problems.contains(e.getMessage())) {
                problems.add(e.getMessage());
            }
        }
    }

    private static double similarity(FileManifest expected, FileManifest actual) {
        Map<String, FileEntry> byPath = new HashMap<>();
        for (FileEntry entry : actual.entries()) {
            byPath.put(entry.path(), entry);
        }
        int same = 0;
        for (FileEntry entry : expected.entries()) {
            if (entry.equals(byPath.get(entry.path()))) {
                same++;
            }
        }
        return (double) same / Math.max(1, Math.max(expected.entries().size(), actual.entries().size()));
    }

    /**
     * Image names compared loosely: {@code localhost/}, {@code docker.io/}, {@code library/} and a {@code :latest}
     * tag are dropped, so {@code localhost/busybox:latest}, {@code docker.io/library/busybox} and {@code busybox}
     * are one name.
     */
    static String normalizeName(String name) {
        String n = name.trim();
        for (String prefix : List.of("localhost/", "docker.io/", "index.docker.io/", "library/")) {
            if (n.startsWith(prefix)) {
                n = n.substring(prefix.length());
            }
        }
        if (n.endsWith(":latest")) {
            n = n.substring(0, n.length() - ":latest".length());
        }
        return n;
    }

    /** The result being assembled. */
    private final class Result {
        final StoredImage stored;
        final long start;
        Optional<String> rootfsDigest = Optional.empty();
        Optional<String> manifestDigest;
        Optional<String> image = Optional.empty();
        Optional<String> expectedDigest = Optional.empty();
        List<String> differences = new ArrayList<>();
        List<String> blobs = List.of();

        Result(StoredImage stored, long start) {
            this.stored = stored;
            this.start = start;
            this.manifestDigest = stored.manifestDigest();
        }

        ImageResult done(Status status, String reason) {
            return new ImageResult(stored.store(), stored.reference(), stored.names(), status, reason, rootfsDigest,
                manifestDigest, image, expectedDigest, differences, blobs, (nanoTime.getAsLong() - start) / 1_000_000);
        }
    }
}
