package org.carapace.api.image;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import org.osgi.annotation.versioning.ProviderType;

/**
 * Computes canonical image digests and per-file manifests (OSGi service of {@code org.carapace.imagehash}; the
 * same engine is usable without OSGi, see the bundle's documentation).
 *
 * <p>Guarantees: for one image, every source kind ({@code oci:}, {@code oci-archive:}, {@code docker-archive:},
 * {@code dir:} of its unpacked root file system, {@code bundle:} of its unpacked runtime bundle) yields the same
 * rootfs digest; the digest changes with any change of a path, type, permission bit, owner, content, symbolic-link
 * target, hard-link grouping, device number or covered extended attribute, and not with timestamps
 * (docs/rootfs-digest.md). Layered sources are verified while they are read: a blob that does not match its
 * descriptor fails the computation. Symbolic links are never followed when a directory is read.
 *
 * <p>Thread-safe: several computations may run at once. Directory sources may use a bounded in-memory cache of
 * file content digests keyed by device, inode, size, mtime and ctime, shared by all calls of the service
 * ({@link HashOptions#strict()} bypasses it).
 */
@ProviderType
public interface ImageHasher {

    /**
     * Hashes an image.
     *
     * @throws InvalidImageSourceException when a runtime bundle's {@code config.json} is unusable
     * @throws ImageNotFoundException      when the reference or platform selects no single image
     * @throws BlobVerificationException   when a blob is missing or differs from its descriptor
     * @throws UnsafeEntryException        when a layer holds an entry that could escape the root
     * @throws ImageLimitException         when a configured limit is exceeded
     * @throws ImageFormatException        for malformed JSON, tar or compressed data
     * @throws ImageReadException          when a file cannot be read
     */
    ImageHashResult hash(ImageSource source, HashOptions options) throws ImageException;

    /** {@link #hash(ImageSource, HashOptions)}, reporting progress. */
    ImageHashResult hash(ImageSource source, HashOptions options, HashProgress progress) throws ImageException;

    /**
     * Verifies every blob an OCI layout, OCI archive or docker-archive references: each descriptor's digest
     * (sha256 or sha512) and size against the blob, and each layer's uncompressed digest against the config's
     * {@code rootfs.diff_ids}. With a reference, only the blobs of that image are checked; without, every image of
     * the source.
     *
     * @return the report, in which every check passed
     * @throws BlobVerificationException carrying the full report when any check failed
     * @throws ImageException            when the source cannot be read at all (directory sources have no blobs:
     *                                   {@link InvalidImageSourceException})
     */
    BlobVerificationReport verifyBlobs(ImageSource source) throws ImageException;

    /**
     * The manifest an image would have had if it had been hashed with these exclusions: the excluded paths and
     * everything below them removed (each exclusion also resolved through the manifest's own symbolic links,
     * confined to the root, as for directory sources), hard-link groups recomputed, the rootfs digest recomputed.
     * A gate uses it to compare a runtime bundle hashed without its mount destinations with the full manifest a
     * policy holds.
     *
     * @throws IllegalArgumentException for an exclusion that is not a valid path
     */
    FileManifest exclude(FileManifest manifest, java.util.List<String> exclusions);

    /** Compares two manifests path by path. */
    ManifestDiff diff(FileManifest expected, FileManifest actual);

    /** Writes the manifest's JSON form (UTF-8, docs/rootfs-digest.md "Manifest JSON"). */
    void writeManifest(FileManifest manifest, OutputStream out) throws IOException;

    /**
     * Reads a manifest's JSON form and recomputes its rootfs digest from the entries.
     *
     * @throws ImageFormatException when the JSON is malformed, or the stated digest is not the entries' digest
     * @throws ImageLimitException  when the document exceeds the configured JSON limits
     */
    FileManifest readManifest(InputStream in) throws ImageException;
}
