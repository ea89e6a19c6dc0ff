package org.carapace.api.policy;

import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * What may be executed or mapped as a library inside containers of an image: files by path and content (derived
 * from the image's per-file manifest), plus extra content digests allowed at any path. An empty whitelist allows
 * nothing.
 *
 * <p>An immutable value (not a record, because it keeps O(1) indexes next to its components); thread-safe.
 */
public final class ExecWhitelist {

    /** Nothing may be executed. */
    public static final ExecWhitelist EMPTY = new ExecWhitelist(List.of(), Set.of(), Optional.empty());

    private final List<FileDigest> files;
    private final Set<String> extraSha256;
    private final Optional<ManifestReference> manifest;
    private final Map<String, String> byPath;
    private final Set<String> digests;

    /**
     * @param files allowed files by path and content; each path at most once; copied
     * @param extraSha256 content digests (64 lowercase hex) allowed at any path; copied
     * @param manifest the manifest the files were derived from, if recorded
     * @throws IllegalArgumentException when a path repeats or a digest is malformed
     */
    public ExecWhitelist(List<FileDigest> files, Set<String> extraSha256, Optional<ManifestReference> manifest) {
        Objects.requireNonNull(files, "files");
        Objects.requireNonNull(extraSha256, "extraSha256");
        this.manifest = Objects.requireNonNull(manifest, "manifest");
        this.files = List.copyOf(files);
        Map<String, String> paths = new HashMap<>(Math.max(16, files.size() * 4 / 3 + 1));
        Set<String> all = new HashSet<>(Math.max(16, (files.size() + extraSha256.size()) * 4 / 3 + 1));
        for (FileDigest file : this.files) {
            if (paths.put(file.path(), file.sha256()) != null) {
                throw new IllegalArgumentException("exec whitelist lists path " + Checks.quote(file.path()) + " twice");
            }
            all.add(file.sha256());
        }
        TreeSet<String> extra = new TreeSet<>();
        for (String sha : extraSha256) {
            extra.add(Checks.sha256Hex("extra sha256", sha));
        }
        all.addAll(extra);
        this.extraSha256 = Collections.unmodifiableSet(extra);
        this.byPath = Collections.unmodifiableMap(paths);
        this.digests = Collections.unmodifiableSet(all);
    }

    /** The allowed files, in document order. */
    public List<FileDigest> files() {
        return files;
    }

    /** Content digests allowed at any path, sorted. */
    public Set<String> extraSha256() {
        return extraSha256;
    }

    /** The manifest the files were derived from, if recorded. */
    public Optional<ManifestReference> manifest() {
        return manifest;
    }

    /** The allowed content of a path, if the path is listed. O(1). */
    public Optional<String> sha256Of(String path) {
        return Optional.ofNullable(byPath.get(path));
    }

    /** Whether a file with this path and content may execute: listed with this content, or an extra digest. O(1). */
    public boolean allows(String path, String sha256) {
        return sha256.equals(byPath.get(path)) || extraSha256.contains(sha256);
    }

    /** Whether any allowed file or extra digest has this content. O(1). */
    public boolean allowsContent(String sha256) {
        return digests.contains(sha256);
    }

    /** Whether nothing may execute. */
    public boolean isEmpty() {
        return files.isEmpty() && extraSha256.isEmpty();
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof ExecWhitelist that && files.equals(that.files) && extraSha256.equals(that.extraSha256)
            && manifest.equals(that.manifest);
    }

    @Override
    public int hashCode() {
        return Objects.hash(files, extraSha256, manifest);
    }

    @Override
    public String toString() {
        return "ExecWhitelist[" + files.size() + " files, " + extraSha256.size() + " extra digests"
            + manifest.map(m -> ", manifest " + m.digest()).orElse("") + "]";
    }
}
