package org.carapace.enforcement.internal;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What the gate needs from an OCI runtime bundle's {@code config.json} (OCI runtime-spec config.md): where the root
 * file system is ({@code root.path}, relative to the bundle or absolute) and which paths inside it are mount
 * destinations (their content comes from elsewhere, so they are left out of the digest).
 *
 * @param rootfs the root file system directory, absolute, symbolic links resolved
 * @param mountDestinations normalised absolute paths inside the container, sorted
 * @param mountSources each destination's source as config.json gives it (the last mount on a destination wins)
 * @param maskedPaths {@code linux.maskedPaths}, normalised: what the runtime hides (after the hooks have run)
 */
record OciBundle(Path rootfs, List<String> mountDestinations, Map<String, String> mountSources, List<String> maskedPaths) {

    /** The bundle cannot be used for a decision; the gate refuses and says why. */
    static final class BundleException extends Exception {
        private static final long serialVersionUID = 1L;

        BundleException(String message) {
            super(message);
        }
    }

    static OciBundle read(Path bundle, ObjectMapper mapper, int maxConfigBytes) throws BundleException {
        Path config = bundle.resolve("config.json");
        JsonNode json;
        try {
            if (!Files.isRegularFile(config, LinkOption.NOFOLLOW_LINKS)) {
                throw new BundleException("bundle " + bundle + " has no regular config.json");
            }
            long size = Files.size(config);
            if (size > maxConfigBytes) {
                throw new BundleException("config.json is " + size + " bytes, more than the limit of " + maxConfigBytes);
            }
            byte[] bytes;
            try (InputStream in = Files.newInputStream(config)) {
                bytes = in.readNBytes(maxConfigBytes + 1);
            }
            if (bytes.length > maxConfigBytes) {
                throw new BundleException("config.json grew beyond the limit of " + maxConfigBytes + " bytes while read");
            }
            json = mapper.readTree(bytes);
        } catch (NoSuchFileException e) {
            throw new BundleException("bundle " + bundle + " has no config.json");
        } catch (JacksonException e) {
            throw new BundleException("config.json is not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new BundleException("cannot read " + config + ": " + e.getMessage());
        }
        if (json == null || !json.isObject()) {
            throw new BundleException("config.json is not a JSON object");
        }
        // runc (Go's encoding/json) matches member names without regard to case and takes the last one: "Mounts"
        // after "mounts" would be what runc uses while the gate reads "mounts". Such a document is refused.
        refuseCaseCollisions(json, "config.json");
        JsonNode root = json.path("root").path("path");
        if (!root.isTextual() || root.asText().isEmpty()) {
            throw new BundleException("config.json has no root.path");
        }
        Path rootfs = bundle.resolve(root.asText()).normalize();
        try {
            rootfs = rootfs.toRealPath();
        } catch (IOException e) {
            throw new BundleException("root file system " + rootfs + " is missing: " + e.getMessage());
        }
        if (!Files.isDirectory(rootfs)) {
            throw new BundleException("root file system " + rootfs + " is not a directory");
        }
        if (rootfs.getNameCount() == 0) {
            throw new BundleException("root file system must not be the host's /");
        }
        Set<String> destinations = new TreeSet<>();
        Map<String, String> sources = new TreeMap<>();
        JsonNode mounts = json.get("mounts");
        if (mounts != null && !mounts.isNull()) {
            if (!mounts.isArray()) {
                throw new BundleException("config.json mounts is not an array");
            }
            for (JsonNode mount : mounts) {
                JsonNode destination = mount.get("destination");
                if (destination == null || !destination.isTextual()) {
                    throw new BundleException("a mount in config.json has no destination");
                }
                String normalised = normalise(destination.asText());
                destinations.add(normalised);
                JsonNode source = mount.get("source");
                sources.put(normalised, source != null && source.isTextual() ? source.asText() : "(none)");
            }
        }
        List<String> masked = new ArrayList<>();
        JsonNode maskedPaths = json.path("linux").get("maskedPaths");
        if (maskedPaths != null && !maskedPaths.isNull()) {
            if (!maskedPaths.isArray()) {
                throw new BundleException("config.json linux.maskedPaths is not an array");
            }
            for (JsonNode path : maskedPaths) {
                if (!path.isTextual()) {
                    throw new BundleException("config.json linux.maskedPaths holds a non-string");
                }
                String normalised = normalise(path.asText());
                // runc masks after pivot_root, following links: '..' after a /proc link could lead anywhere
                if (!normalised.equals(path.asText())) {
                    throw new BundleException("config.json linux.maskedPaths entry '" + path.asText()
                        + "' is not a plain absolute path ('.', '..', '//' or a trailing '/')");
                }
                masked.add(normalised);
            }
        }
        return new OciBundle(rootfs, List.copyOf(new ArrayList<>(destinations)), Map.copyOf(sources), List.copyOf(masked));
    }

    private static void refuseCaseCollisions(JsonNode node, String where) throws BundleException {
        if (node.isObject()) {
            Map<String, String> seen = new HashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> fields = node.fields(); fields.hasNext();) {
                Map.Entry<String, JsonNode> field = fields.next();
                // upper then lower case: folds the way Go does, including U+017F (long s) and U+212A (Kelvin sign)
                String folded = field.getKey().toUpperCase(Locale.ROOT).toLowerCase(Locale.ROOT);
                String previous = seen.putIfAbsent(folded, field.getKey());
                if (previous != null) {
                    throw new BundleException(where + " has members that differ only in case, '" + previous + "' and '"
                        + field.getKey() + "': the container runtime may read the other one");
                }
                refuseCaseCollisions(field.getValue(), where + "." + field.getKey());
            }
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                refuseCaseCollisions(node.get(i), where + "[" + i + "]");
            }
        }
    }

    /**
     * "/etc//hosts/" and "etc/./hosts" become "/etc/hosts"; anchored at "/", ".." cannot climb above the root (runc
     * resolves destinations inside the rootfs the same way). The literal path is excluded: a destination that is a
     * symbolic link in the image excludes the link, not its target.
     */
    static String normalise(String destination) throws BundleException {
        if (destination.isEmpty() || destination.indexOf('\0') >= 0) {
            throw new BundleException("invalid mount destination '" + destination + "'");
        }
        return Path.of("/").resolve(destination).normalize().toString();
    }
}
