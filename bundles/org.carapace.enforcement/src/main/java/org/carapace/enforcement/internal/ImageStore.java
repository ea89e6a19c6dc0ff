package org.carapace.enforcement.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.carapace.api.image.ImageSource;

/**
 * A place where a device keeps container images, and the images found there.
 *
 * <ul>
 *   <li>{@code oci:DIR}: an OCI image layout (image-spec image-layout.md); every manifest its {@code index.json}
 *       names is one image, its tags the {@code org.opencontainers.image.ref.name} annotations;</li>
 *   <li>{@code podman:ROOT}: a containers/storage root with the {@code vfs} driver: {@code vfs-images/images.json}
 *       lists the images with their top layer, {@code vfs-layers/layers.json} the layers; the vfs driver keeps each
 *       layer as a full copy of the root file system in {@code vfs/dir/<layer id>}.</li>
 * </ul>
 * Listing reads only bounded JSON; nothing is followed out of the store (ids are validated before they become paths).
 */
public sealed interface ImageStore {

    /** The textual form, {@code oci:DIR} or {@code podman:ROOT}. */
    String spec();

    /** Lists the images of the store. */
    List<StoredImage> list(ObjectMapper mapper, long maxJsonBytes) throws StoreException;

    /**
     * Parses {@code oci:DIR} or {@code podman:ROOT}; a relative path is resolved against {@code base}.
     *
     * @throws IllegalArgumentException naming what is wrong
     */
    static ImageStore parse(String spec, Path base) {
        int colon = spec == null ? -1 : spec.indexOf(':');
        if (colon <= 0 || colon == spec.length() - 1) {
            throw new IllegalArgumentException("image store '" + spec + "' is not oci:DIR or podman:ROOT");
        }
        String kind = spec.substring(0, colon);
        String location = spec.substring(colon + 1);
        if (location.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("image store '" + spec + "' contains NUL");
        }
        Path path = base.resolve(location).normalize();
        switch (kind) {
            case "oci":
                return new OciLayout(path);
            case "podman":
                return new Podman(path);
            default:
                throw new IllegalArgumentException("image store '" + spec + "': unknown kind '" + kind + "' (oci, podman)");
        }
    }

    /** A store that cannot be listed: missing, unreadable, malformed, or naming something outside itself. */
    final class StoreException extends Exception {
        private static final long serialVersionUID = 1L;

        private final String store;

        public StoreException(String store, String message) {
            super(store + ": " + message);
            this.store = store;
        }

        public String store() {
            return store;
        }
    }

    /**
     * One image of a store.
     *
     * @param store          the store's spec
     * @param reference      how the image is named in the store: a manifest digest or a podman image id
     * @param names          the names the store records for it (tags, repository names); may be empty
     * @param source         what the hasher reads; empty when the store's record of the image is unusable
     * @param manifestDigest the OCI manifest digest the store records, if any
     * @param problem        why the store's record of the image is unusable (then there is no source)
     */
    record StoredImage(String store, String reference, List<String> names, Optional<ImageSource> source,
                       Optional<String> manifestDigest, Optional<String> problem) {
        public StoredImage {
            names = List.copyOf(names);
            if (source.isPresent() == problem.isPresent()) {
                throw new IllegalArgumentException("a stored image has either a source or a problem");
            }
        }

        static StoredImage readable(String store, String reference, List<String> names, ImageSource source,
                                    Optional<String> manifestDigest) {
            return new StoredImage(store, reference, names, Optional.of(source), manifestDigest, Optional.empty());
        }

        static StoredImage unusable(String store, String reference, List<String> names, String problem) {
            return new StoredImage(store, reference, names, Optional.empty(), Optional.empty(), Optional.of(problem));
        }
    }

    Pattern DIGEST = Pattern.compile("sha256:[0-9a-f]{64}|sha512:[0-9a-f]{128}");
    Pattern LAYER_ID = Pattern.compile("[0-9a-f]{64}");
    String REF_NAME = "org.opencontainers.image.ref.name";

    /** {@code oci:DIR}. */
    record OciLayout(Path directory) implements ImageStore {
        @Override
        public String spec() {
            return "oci:" + directory;
        }

        @Override
        public List<StoredImage> list(ObjectMapper mapper, long maxJsonBytes) throws StoreException {
            JsonNode index = readJson(spec(), directory.resolve("index.json"), mapper, maxJsonBytes);
            JsonNode manifests = index.path("manifests");
            if (!manifests.isArray()) {
                throw new StoreException(spec(), "index.json has no manifests array");
            }
            // one image per distinct manifest digest, with all its tags (image-spec image-index.md, annotations.md)
            Map<String, List<String>> tags = new LinkedHashMap<>();
            List<StoredImage> images = new ArrayList<>();
            for (int i = 0; i < manifests.size(); i++) {
                JsonNode descriptor = manifests.get(i);
                String digest = descriptor.path("digest").asText("");
                if (!DIGEST.matcher(digest).matches()) {
                    images.add(StoredImage.unusable(spec(), "manifests[" + i + "]", List.of(),
                        "index.json manifests[" + i + "] has no valid digest"));
                    continue;
                }
                List<String> names = tags.computeIfAbsent(digest, d -> new ArrayList<>());
                JsonNode name = descriptor.path("annotations").path(REF_NAME);
                if (name.isTextual() && !name.asText().isEmpty() && !names.contains(name.asText())) {
                    names.add(name.asText());
                }
            }
            for (Map.Entry<String, List<String>> image : tags.entrySet()) {
                images.add(StoredImage.readable(spec(), image.getKey(), image.getValue(),
                    new ImageSource.OciLayout(directory, Optional.of(image.getKey())), Optional.of(image.getKey())));
            }
            return images;
        }
    }

    /** {@code podman:ROOT} (containers/storage, vfs driver). */
    record Podman(Path root) implements ImageStore {
        @Override
        public String spec() {
            return "podman:" + root;
        }

        @Override
        public List<StoredImage> list(ObjectMapper mapper, long maxJsonBytes) throws StoreException {
            if (!Files.isDirectory(root.resolve("vfs-images"), LinkOption.NOFOLLOW_LINKS)) {
                String other = Files.isDirectory(root.resolve("overlay-images")) ? " (it uses the overlay driver; only "
                    + "vfs is supported)" : "";
                throw new StoreException(spec(), "no vfs-images directory" + other);
            }
            JsonNode images = readJson(spec(), root.resolve("vfs-images/images.json"), mapper, maxJsonBytes);
            Path layersFile = root.resolve("vfs-layers/layers.json");
            JsonNode layers = Files.exists(layersFile, LinkOption.NOFOLLOW_LINKS)
                ? readJson(spec(), layersFile, mapper, maxJsonBytes) : mapper.createArrayNode();
            if (!images.isArray() || !layers.isArray()) {
                throw new StoreException(spec(), "images.json or layers.json is not a JSON array");
            }
            Set<String> layerIds = new HashSet<>();
            for (JsonNode layer : layers) {
                layerIds.add(layer.path("id").asText(""));
            }
            List<StoredImage> found = new ArrayList<>();
            for (int i = 0; i < images.size(); i++) {
                JsonNode image = images.get(i);
                String id = image.path("id").asText("");
                String layer = image.path("layer").asText("");
                List<String> names = new ArrayList<>();
                for (JsonNode name : image.path("names")) {
                    if (name.isTextual()) {
                        names.add(name.asText());
                    }
                }
                String reference = LAYER_ID.matcher(id).matches() ? id : "images.json[" + i + "]";
                String problem = null;
                Path rootfs = null;
                if (!LAYER_ID.matcher(id).matches()) {
                    problem = "images.json [" + i + "] has no valid image id";
                } else if (!LAYER_ID.matcher(layer).matches()) {
                    // an id that is not 64 hex digits could walk out of vfs/dir (../)
                    problem = "images.json names an invalid top layer '" + layer + "'";
                } else if (!layerIds.contains(layer)) {
                    problem = "its top layer " + layer + " is not recorded in vfs-layers/layers.json";
                } else {
                    rootfs = root.resolve("vfs/dir").resolve(layer);
                    if (!Files.isDirectory(rootfs, LinkOption.NOFOLLOW_LINKS)) {
                        problem = "its layer directory " + rootfs + " is missing or not a directory";
                    }
                }
                if (problem != null) {
                    found.add(StoredImage.unusable(spec(), reference, names, problem));
                    continue;
                }
                String digest = image.path("digest").asText("");
                found.add(StoredImage.readable(spec(), id, names, new ImageSource.RootfsDirectory(rootfs),
                    DIGEST.matcher(digest).matches() ? Optional.of(digest) : Optional.empty()));
            }
            return found;
        }
    }

    private static JsonNode readJson(String store, Path file, ObjectMapper mapper, long maxBytes) throws StoreException {
        try {
            if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
                throw new StoreException(store, file + " is missing or not a regular file");
            }
            if (Files.size(file) > maxBytes) {
                throw new StoreException(store, file + " is larger than the limit of " + maxBytes + " bytes");
            }
            try (InputStream in = Files.newInputStream(file)) {
                return mapper.readTree(in.readNBytes((int) Math.min(maxBytes, Integer.MAX_VALUE - 8)));
            }
        } catch (NoSuchFileException e) {
            throw new StoreException(store, file + " is missing");
        } catch (IOException e) {
            throw new StoreException(store, "cannot read " + file + ": " + e.getMessage());
        }
    }
}
