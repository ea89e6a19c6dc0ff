package org.carapace.api.image;

import java.nio.file.Path;
import java.util.Optional;

/**
 * Where an image is read from, in the notation podman and skopeo users know:
 * <ul>
 *   <li>{@code oci:DIR[:REF]} an OCI image layout directory; REF is a tag ({@code org.opencontainers.image.ref.name})
 *       or a manifest digest ({@code sha256:...}); without REF the layout must hold exactly one image (or one
 *       multi-platform index);</li>
 *   <li>{@code oci-archive:FILE[:REF]} a tar of an OCI image layout;</li>
 *   <li>{@code docker-archive:FILE[:REF]} a {@code docker save} / {@code podman save} tar; REF is a repository tag
 *       ({@code busybox:latest}) or {@code @N}, the N-th image of the archive;</li>
 *   <li>{@code dir:ROOTFS} an unpacked root file system;</li>
 *   <li>{@code bundle:OCI_BUNDLE_DIR} an OCI runtime bundle: {@code config.json} names the root file system
 *       ({@code root.path}, relative to the bundle or absolute) and the mounts, whose destinations are excluded.</li>
 * </ul>
 * The path ends at the first {@code :} after the prefix; a path containing {@code :} cannot be named this way.
 */
public sealed interface ImageSource {

    /** The textual form, which {@link #parse} reads back. */
    String spec();

    /** Whether the source is made of layer tarballs (as opposed to a directory on disk). */
    default boolean isLayered() {
        return !(this instanceof RootfsDirectory || this instanceof RuntimeBundle);
    }

    /**
     * Parses a source specification. Paths are taken as given (relative to the working directory when relative);
     * whether they exist is checked when the image is read.
     *
     * @throws InvalidImageSourceException naming what is wrong with {@code spec}
     */
    static ImageSource parse(String spec) throws InvalidImageSourceException {
        if (spec == null || spec.isBlank()) {
            throw new InvalidImageSourceException(String.valueOf(spec), "empty image source");
        }
        int colon = spec.indexOf(':');
        if (colon <= 0) {
            throw new InvalidImageSourceException(spec, "missing transport prefix "
                + "(oci:, oci-archive:, docker-archive:, dir:, bundle:)");
        }
        String transport = spec.substring(0, colon);
        String rest = spec.substring(colon + 1);
        int refColon = rest.indexOf(':');
        String location = refColon < 0 ? rest : rest.substring(0, refColon);
        Optional<String> reference = refColon < 0 ? Optional.empty() : Optional.of(rest.substring(refColon + 1));
        if (location.isEmpty()) {
            throw new InvalidImageSourceException(spec, "no path after '" + transport + ":'");
        }
        if (location.indexOf('\0') >= 0) {
            throw new InvalidImageSourceException(spec, "path contains NUL");
        }
        if (reference.isPresent() && reference.get().isEmpty()) {
            throw new InvalidImageSourceException(spec, "empty reference after ':'");
        }
        Path path = Path.of(location);
        switch (transport) {
            case "oci":
                return new OciLayout(path, reference);
            case "oci-archive":
                return new OciArchive(path, reference);
            case "docker-archive":
                return new DockerArchive(path, reference);
            case "dir":
            case "bundle":
                if (reference.isPresent()) {
                    throw new InvalidImageSourceException(spec, "'" + transport + ":' takes no reference");
                }
                return transport.equals("dir") ? new RootfsDirectory(path) : new RuntimeBundle(path);
            default:
                throw new InvalidImageSourceException(spec, "unknown transport '" + transport
                    + "' (oci, oci-archive, docker-archive, dir, bundle)");
        }
    }

    private static String withReference(String prefix, Path path, Optional<String> reference) {
        return prefix + ":" + path + reference.map(r -> ":" + r).orElse("");
    }

    private static void require(Path path, Optional<String> reference) {
        if (path == null || reference == null) {
            throw new IllegalArgumentException("path and reference are required");
        }
    }

    /** {@code oci:DIR[:REF]}. */
    record OciLayout(Path directory, Optional<String> reference) implements ImageSource {
        public OciLayout {
            require(directory, reference);
        }

        @Override
        public String spec() {
            return withReference("oci", directory, reference);
        }
    }

    /** {@code oci-archive:FILE[:REF]}. */
    record OciArchive(Path file, Optional<String> reference) implements ImageSource {
        public OciArchive {
            require(file, reference);
        }

        @Override
        public String spec() {
            return withReference("oci-archive", file, reference);
        }
    }

    /** {@code docker-archive:FILE[:REF]}. */
    record DockerArchive(Path file, Optional<String> reference) implements ImageSource {
        public DockerArchive {
            require(file, reference);
        }

        @Override
        public String spec() {
            return withReference("docker-archive", file, reference);
        }
    }

    /** {@code dir:ROOTFS}. */
    record RootfsDirectory(Path directory) implements ImageSource {
        public RootfsDirectory {
            require(directory, Optional.empty());
        }

        @Override
        public String spec() {
            return "dir:" + directory;
        }
    }

    /** {@code bundle:OCI_BUNDLE_DIR}. */
    record RuntimeBundle(Path directory) implements ImageSource {
        public RuntimeBundle {
            require(directory, Optional.empty());
        }

        @Override
        public String spec() {
            return "bundle:" + directory;
        }
    }
}
