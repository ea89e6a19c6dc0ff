/**
 * Image hashing: canonical digests of container images as they are stored on the device.
 *
 * <p>The {@link org.carapace.api.image.ImageHasher} service (bundle {@code org.carapace.imagehash}) reads an image
 * from any {@link org.carapace.api.image.ImageSource} (OCI layout, OCI archive, docker-archive, unpacked root
 * file system, OCI runtime bundle) and computes its <em>rootfs digest</em>: one SHA-256 over a canonical listing
 * of the file system the image unpacks to, the same value whether it is computed from the layer tarballs or from
 * the directory on disk (specified in {@code docs/rootfs-digest.md}). Alongside it comes the per-file
 * {@link org.carapace.api.image.FileManifest} (path, type, mode, owner, size, content digest), which policies keep
 * for application whitelisting and which {@link org.carapace.api.image.ImageHasher#diff} compares to report
 * exactly which paths differ.
 *
 * <p>All value types are immutable records validated at construction. Every failure is a subclass of the checked
 * {@link org.carapace.api.image.ImageException} naming the input that was wrong.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package org.carapace.api.image;
