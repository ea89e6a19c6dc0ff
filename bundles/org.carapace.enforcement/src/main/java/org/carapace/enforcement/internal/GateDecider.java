package org.carapace.enforcement.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.carapace.api.enforcement.ContainerState;
import org.carapace.api.enforcement.GateDecision;
import org.carapace.api.enforcement.Verdict;
import org.carapace.api.image.FileEntry;
import org.carapace.api.image.FileManifest;
import org.carapace.api.image.HashOptions;
import org.carapace.api.image.HashProgress;
import org.carapace.api.image.ImageException;
import org.carapace.api.image.ImageHashResult;
import org.carapace.api.image.ImageHasher;
import org.carapace.api.image.ImagePaths;
import org.carapace.api.image.ImageSource;
import org.carapace.api.image.ManifestDiff;
import org.carapace.api.image.PathDifference;
import org.carapace.api.policy.AllowedImage;
import org.carapace.api.policy.ContainerContext;
import org.carapace.api.policy.EnforcementMode;
import org.carapace.api.policy.Exemption;
import org.carapace.api.policy.PolicySnapshot;
import org.carapace.enforcement.internal.ManifestStore.TamperedManifestException;
import org.carapace.enforcement.internal.OciBundle.BundleException;

/**
 * The decision itself, independent of OSGi: exemption, bundle, rootfs digest from disk, policy match.
 *
 * <p>Matching. The policy allows images by their full rootfs digest. On disk the runtime may have created mount
 * points (podman's {@code /run/.containerenv}, runc's missing mount directories), and what is mounted there comes
 * from elsewhere, so the gate hashes the rootfs with the container's mount destinations left out. That digest
 * equals an allowed image's full digest when nothing was left out; otherwise it is compared with each allowed
 * image's manifest with the same destinations left out ({@link ImageHasher#exclude}); the manifests come from the
 * {@link ManifestStore} and certify themselves. The per-exclusion-set index is built once per policy generation.
 *
 * <p>Everything that goes wrong is a refusal that names the reason (fail closed).
 */
final class GateDecider {

    /** Where container runtimes mount their own things (OCI runtime-spec defaults, podman's files): not the image. */
    static final List<String> DEFAULT_ALLOWED_MOUNTS = List.of("/proc", "/sys", "/sys/**", "/dev", "/dev/**", "/etc/hosts",
        "/etc/hostname", "/etc/resolv.conf", "/run/.containerenv", "/run/secrets", "/run/secrets/**");

    /**
     * Tunables, validated by the component.
     *
     * @param runtimeLinks symbolic links a container runtime adds to every container (absolute path to exact target,
     *                     e.g. podman's {@code /etc/mtab -> /proc/mounts}): left out of the digest when present as
     *                     exactly that link, so an image without them still matches
     * @param maxHashMillis how long hashing one root file system may take: a decision that has timed out must not
     *                      keep a worker busy (checked every 4 MiB read)
     * @param allowedMounts mount destinations a container may have ({@code /path} exactly, {@code /path/**} anything
     *                      below): their content is not the image and is not checked; a mount anywhere else would
     *                      hide the image's files behind unchecked content, and is refused
     */
    record Settings(int maxConfigBytes, int maxDifferences, HashOptions hashOptions, int indexCacheEntries,
                    Map<String, String> runtimeLinks, List<String> allowedMounts, long maxHashMillis) {
        Settings {
            runtimeLinks = Map.copyOf(runtimeLinks);
            allowedMounts = List.copyOf(allowedMounts);
        }

        Settings(int maxConfigBytes, int maxDifferences, HashOptions hashOptions, int indexCacheEntries,
                 Map<String, String> runtimeLinks, List<String> allowedMounts) {
            this(maxConfigBytes, maxDifferences, hashOptions, indexCacheEntries, runtimeLinks, allowedMounts, 3500);
        }

        Settings(int maxConfigBytes, int maxDifferences, HashOptions hashOptions, int indexCacheEntries,
                 Map<String, String> runtimeLinks) {
            this(maxConfigBytes, maxDifferences, hashOptions, indexCacheEntries, runtimeLinks, DEFAULT_ALLOWED_MOUNTS);
        }

        Settings(int maxConfigBytes, int maxDifferences, HashOptions hashOptions, int indexCacheEntries) {
            this(maxConfigBytes, maxDifferences, hashOptions, indexCacheEntries, Map.of());
        }

        boolean mountAllowed(String destination) {
            for (String pattern : allowedMounts) {
                if (pattern.endsWith("/**")
                    ? destination.startsWith(pattern.substring(0, pattern.length() - 2))
                    : destination.equals(pattern)) {
                    return true;
                }
            }
            return false;
        }
    }

    private final ImageHasher hasher;
    private final ContainerRootfs.Locator locator;
    private final ManifestStore manifests;
    private final Settings settings;
    private final ObjectMapper mapper = GateProtocol.mapper(32);
    private final Map<IndexKey, Index> indexes;
    private final List<String> warnings = new ArrayList<>();

    private record IndexKey(long generation, List<String> exclusions) {
    }

    /** Allowed and revoked images by their digest with one set of exclusions, for one policy generation. */
    private record Index(Map<String, AllowedImage> allowed, Map<String, String> revoked,
                         Map<AllowedImage, FileManifest> manifests) {
    }

    /**
     * @param locator pins the root file system the container will run ({@link ContainerRootfs.MountNamespace} in the
     *                runtime; unit tests of the matching logic look at the host's directory instead)
     */
    GateDecider(ImageHasher hasher, ManifestStore manifests, Settings settings, ContainerRootfs.Locator locator) {
        this.hasher = hasher;
        this.locator = locator;
        this.manifests = manifests;
        this.settings = settings;
        this.indexes = new LinkedHashMap<>(16, 0.75f, true) {
            private static final long serialVersionUID = 1L;

            @Override
            protected boolean removeEldestEntry(Map.Entry<IndexKey, Index> eldest) {
                return size() > settings.indexCacheEntries();
            }
        };
    }

    /** Problems met while indexing (tampered manifests); drained by the caller to report them. */
    synchronized List<String> drainWarnings() {
        List<String> copy = List.copyOf(warnings);
        warnings.clear();
        return copy;
    }

    GateDecision decide(ContainerState state, PolicySnapshot policy) {
        long start = System.nanoTime();
        Decision d = new Decision(state, start);
        OciBundle bundle;
        Path realBundle;
        try {
            bundle = OciBundle.read(state.bundle(), mapper, settings.maxConfigBytes());
            realBundle = state.bundle().toRealPath();
        } catch (BundleException e) {
            return d.refuse(e.getMessage());
        } catch (IOException e) {
            return d.refuse("cannot resolve the bundle " + state.bundle() + ": " + e.getMessage());
        }
        d.rootfs = Optional.of(bundle.rootfs());
        ContainerContext context;
        try {
            // the exemption sees where the bundle really is: a symbolic link into an exempted prefix does not count
            context = new ContainerContext(state.id(), realBundle, state.annotations());
        } catch (IllegalArgumentException e) {
            return d.refuse("invalid container state: " + e.getMessage());
        }
        Optional<Exemption> exemption = policy.exemptionFor(context);
        if (exemption.isPresent()) {
            Optional<String> prefix = exemption.get().bundlePathPrefix();
            // ...and its root file system must be inside the bundle or the exempted prefix, not borrowed from elsewhere
            if (!bundle.rootfs().startsWith(realBundle) && (prefix.isEmpty() || !bundle.rootfs().startsWith(Path.of(prefix.get())))) {
                return d.refuse("exemption '" + exemption.get().name() + "' does not cover root file system " + bundle.rootfs()
                    + ", outside bundle " + realBundle);
            }
            d.mode = "exempt";
            return d.verdict(Verdict.ALLOW, "exempted by the policy's exemption '" + exemption.get().name() + "'");
        }
        for (String destination : bundle.mountDestinations()) {
            if (!settings.mountAllowed(destination)) {
                return d.refuse("mount of " + bundle.mountSources().get(destination) + " over " + destination
                    + " is not an allowed mount destination (allowedMounts): the container would see unchecked content there");
            }
        }
        if (policy.isEmpty()) {
            return d.refuse("no signed policy is installed: every image is refused");
        }
        List<String> exclusions;
        ImageHashResult actual;
        // the directory the container will really run, as its own mount namespace has it: not a path that can change
        try (ContainerRootfs.Pinned root = locator.pin(state.pid(), bundle.rootfs(), bundle.mountDestinations())) {
            // the mounts the container really has, not the list config.json shows now
            for (String mount : root.mountPoints()) {
                if (!settings.mountAllowed(mount)) {
                    return d.refuse("the container has a mount at " + mount + ", not an allowed mount destination"
                        + " (allowedMounts): it would see unchecked content there");
                }
            }
            // runc masks these after the hooks: hiding an image path would be removing it unseen
            for (String masked : bundle.maskedPaths()) {
                if (throughProcessLinks(masked)) {
                    return d.refuse("linux.maskedPaths entry " + masked + " goes through a process's entry in /proc (self,"
                        + " thread-self or a pid), whose links lead back into the image");
                }
                if (root.mountPoints().stream().noneMatch(mount -> ImagePaths.isSameOrBelow(masked, mount))) {
                    return d.refuse("linux.maskedPaths hides " + masked + ", which is part of the image (only paths inside the"
                        + " container's mounts, such as /proc and /sys, may be masked)");
                }
            }
            exclusions = exclusions(root.mountPoints(), root.path());
            long deadline = System.nanoTime() + settings.maxHashMillis() * 1_000_000L;
            HashProgress budget = (done, total) -> {
                if (System.nanoTime() - deadline > 0) {
                    throw new HashBudgetExceeded(done);
                }
            };
            try {
                actual = hasher.hash(new ImageSource.RootfsDirectory(root.path()), settings.hashOptions().withExclusions(exclusions),
                    budget);
            } catch (ImageException e) {
                return d.refuse("cannot hash the root file system: " + e.getMessage().replace(root.path().toString(),
                    bundle.rootfs().toString()));
            }
        } catch (BundleException e) {
            return d.refuse(e.getMessage());
        } catch (HashBudgetExceeded e) {
            return d.refuse("hashing the root file system took longer than " + settings.maxHashMillis() + " ms (maxHashMillis; "
                + e.bytes + " bytes read)");
        } catch (RuntimeException e) {
            return d.refuse("hashing failed: " + e);
        }
        String digest = actual.rootfsDigest().toString();
        d.digest = Optional.of(digest);

        Optional<AllowedImage> direct = policy.lookup(digest);
        Index index = index(policy, exclusions);
        AllowedImage match = direct.orElse(index.allowed().get(digest));
        if (match != null) {
            d.image = Optional.of(match.rule().name());
            d.policyDigest = Optional.of(match.rule().rootfsDigest());
            d.mode = match.rule().mode().id();
            return d.verdict(Verdict.ALLOW, "rootfs digest " + digest + " is allowed (" + match.stream() + " policy v"
                + match.streamVersion() + ")");
        }
        String revokedAs = policy.isRevoked(digest) ? digest : index.revoked().get(digest);
        if (revokedAs != null) {
            return d.refuse("rootfs digest " + revokedAs + " is revoked by the policy");
        }
        // not allowed: find the allowed image it is closest to, for the report and for its mode
        Optional<Map.Entry<AllowedImage, FileManifest>> closest = closest(index, actual.manifest(), state);
        if (closest.isPresent()) {
            AllowedImage image = closest.get().getKey();
            FileManifest expected = closest.get().getValue();
            ManifestDiff diff = hasher.diff(expected, actual.manifest());
            List<String> differences = new ArrayList<>();
            for (PathDifference difference : diff.first(settings.maxDifferences())) {
                differences.add(difference.describe());
            }
            d.image = Optional.of(image.rule().name());
            d.policyDigest = Optional.of(image.rule().rootfsDigest());
            d.differences = differences;
            d.mode = image.rule().mode().id();
            String reason = "rootfs digest " + digest + " is not allowed: the content differs from the allowed image ("
                + diff.differences().size() + " path" + (diff.differences().size() == 1 ? "" : "s") + ")";
            if (image.rule().mode() == EnforcementMode.AUDIT) {
                return d.verdict(Verdict.AUDIT, reason + "; audit mode: allowed and reported");
            }
            return d.refuse(reason);
        }
        d.mode = "enforce";
        return d.refuse("rootfs digest " + digest + " is not allowed by the policy");
    }

    /** Thrown from the hasher's progress callback: stops the walk when a decision has run out of time. */
    private static final class HashBudgetExceeded extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final long bytes;

        HashBudgetExceeded(long bytes) {
            super(null, null, false, false);
            this.bytes = bytes;
        }
    }

    /** Of two equally close images: an enforce-mode one first (audit never wins a tie), then the named one. */
    private static boolean preferred(AllowedImage candidate, AllowedImage current, String wanted) {
        boolean candidateEnforces = candidate.rule().mode() != EnforcementMode.AUDIT;
        boolean currentEnforces = current.rule().mode() != EnforcementMode.AUDIT;
        if (candidateEnforces != currentEnforces) {
            return candidateEnforces;
        }
        return wanted != null && wanted.equals(candidate.rule().name()) && !wanted.equals(current.rule().name());
    }

    /** Whether a path names a process's directory in /proc ({@code /proc/self/root/...} is the container's root again). */
    static boolean throughProcessLinks(String path) {
        for (String component : path.split("/")) {
            if (component.equals("self") || component.equals("thread-self")
                || !component.isEmpty() && component.chars().allMatch(c -> c >= '0' && c <= '9')) {
                return true;
            }
        }
        return false;
    }

    /** The container's mount points, and the runtime's own links where they are exactly those links. */
    private List<String> exclusions(List<String> mountPoints, Path root) {
        List<String> exclusions = new ArrayList<>(mountPoints);
        for (Map.Entry<String, String> link : settings.runtimeLinks().entrySet()) {
            Path path = root.resolve(link.getKey().substring(1));
            try {
                // the parent must be a real directory of the rootfs: a symbolic link there could point anywhere
                if (Files.isDirectory(path.getParent(), LinkOption.NOFOLLOW_LINKS)
                    && Files.isSymbolicLink(path)
                    && Files.readSymbolicLink(path).toString().equals(link.getValue())) {
                    exclusions.add(link.getKey());
                }
            } catch (IOException | RuntimeException e) {
                // not that link: it stays in the digest
            }
        }
        return exclusions;
    }

    /** The allowed image whose manifest is most like the actual one (Jaccard over entries; its name annotation first). */
    private Optional<Map.Entry<AllowedImage, FileManifest>> closest(Index index, FileManifest actual, ContainerState state) {
        Map<String, FileEntry> byPath = new HashMap<>();
        for (FileEntry entry : actual.entries()) {
            byPath.put(entry.path(), entry);
        }
        // the container's name annotation only breaks ties (callers choose annotations: they must not choose the image)
        String wanted = state.annotations().getOrDefault("org.opencontainers.image.ref.name",
            state.annotations().get("org.opencontainers.image.title"));
        Map.Entry<AllowedImage, FileManifest> best = null;
        double bestScore = 0.5; // below half the entries in common it is not "close"
        for (Map.Entry<AllowedImage, FileManifest> candidate : index.manifests().entrySet()) {
            int same = 0;
            List<FileEntry> entries = candidate.getValue().entries();
            for (FileEntry entry : entries) {
                if (entry.equals(byPath.get(entry.path()))) {
                    same++;
                }
            }
            // Jaccard similarity of the two entry sets: an extra or a missing entry counts against a candidate alike
            double score = (double) same / (entries.size() + actual.entries().size() - same);
            if (score > bestScore || score == bestScore && best != null && preferred(candidate.getKey(), best.getKey(), wanted)) {
                bestScore = score;
                best = candidate;
            }
        }
        return Optional.ofNullable(best);
    }

    /**
     * Reads the manifests of the policy's allowed and revoked images into the manifest store's memory, at most
     * {@code limit} of them, so that the first decision after a start does not parse them on the container's time
     * (parsing a Debian image's manifest takes tens of milliseconds; a decision needs every image's manifest the
     * first time it meets a set of mount points). Problems are kept as warnings, as a decision keeps them.
     *
     * @return how many manifests are now held
     */
    int preload(PolicySnapshot policy, int limit) {
        int held = 0;
        List<String> digests = new ArrayList<>();
        policy.images().forEach(image -> digests.add(image.rule().rootfsDigest()));
        digests.addAll(policy.revocations());
        for (String digest : digests) {
            if (held >= limit) {
                break;
            }
            if (!digest.startsWith("sha256:")) {
                continue;
            }
            try {
                // not under this object's lock: a decision must not wait for another manifest's parsing
                if (manifests.get(digest).isPresent()) {
                    held++;
                }
            } catch (TamperedManifestException e) {
                synchronized (this) {
                    warnings.add(e.getMessage());
                }
            }
        }
        return held;
    }

    private synchronized Index index(PolicySnapshot policy, List<String> exclusions) {
        IndexKey key = new IndexKey(policy.generation(), List.copyOf(exclusions));
        Index index = indexes.get(key);
        if (index != null) {
            return index;
        }
        Map<String, AllowedImage> allowed = new HashMap<>();
        Map<AllowedImage, FileManifest> withManifests = new LinkedHashMap<>();
        for (AllowedImage image : policy.images()) {
            Optional<FileManifest> manifest = load(image.rule().rootfsDigest());
            if (manifest.isPresent()) {
                FileManifest excluded = hasher.exclude(manifest.get(), exclusions);
                allowed.putIfAbsent(excluded.rootfsDigest().toString(), image);
                withManifests.put(image, excluded); // compared with the bundle as it is seen: mount points left out
            }
        }
        Map<String, String> revoked = new HashMap<>();
        for (String digest : policy.revocations()) {
            load(digest).ifPresent(m -> revoked.put(hasher.exclude(m, exclusions).rootfsDigest().toString(), digest));
        }
        index = new Index(Map.copyOf(allowed), Map.copyOf(revoked), withManifests);
        indexes.put(key, index);
        return index;
    }

    private Optional<FileManifest> load(String digest) {
        if (!digest.startsWith("sha256:")) {
            return Optional.empty();
        }
        try {
            return manifests.get(digest);
        } catch (TamperedManifestException e) {
            warnings.add(e.getMessage());
            return Optional.empty();
        }
    }

    /** The decision being assembled. */
    private static final class Decision {
        final ContainerState state;
        final long startNanos;
        Optional<Path> rootfs = Optional.empty();
        Optional<String> digest = Optional.empty();
        Optional<String> image = Optional.empty();
        Optional<String> policyDigest = Optional.empty();
        String mode = "enforce";
        List<String> differences = List.of();

        Decision(ContainerState state, long startNanos) {
            this.state = state;
            this.startNanos = startNanos;
        }

        GateDecision refuse(String reason) {
            return verdict(Verdict.REFUSE, reason);
        }

        GateDecision verdict(Verdict verdict, String reason) {
            return new GateDecision(verdict, state.id(), state.bundle(), rootfs, digest, image, mode, reason, differences,
                (System.nanoTime() - startNanos) / 1000, policyDigest);
        }
    }
}
