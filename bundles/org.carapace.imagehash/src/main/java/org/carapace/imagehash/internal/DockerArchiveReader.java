package org.carapace.imagehash.internal;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.carapace.api.image.BlobCheck;
import org.carapace.api.image.Digest;
import org.carapace.api.image.DigestAlgorithm;
import org.carapace.api.image.ImageException;
import org.carapace.api.image.ImageFormatException;
import org.carapace.api.image.ImageNotFoundException;
import org.carapace.api.image.ImageReadException;

/**
 * Reads a {@code docker save} / {@code podman save} archive: {@code manifest.json} lists each image's
 * {@code Config}, {@code RepoTags} and {@code Layers} (paths inside the archive). The format has no descriptors:
 * the config is checked against the digest its file name carries, each layer against the config's
 * {@code rootfs.diff_ids} (the digest of the uncompressed tar) and, where its file name carries one, against that.
 */
final class DockerArchiveReader {

    private static final Pattern DIGEST_NAME = Pattern.compile("(?:^|/)(?:blobs/sha256/)?([0-9a-f]{64})(?:\\.tar|\\.json)?$");

    private final BlobStore store;
    private final String source;
    private final ImageLimits limits;
    private final Json json;

    DockerArchiveReader(BlobStore store, String source, ImageLimits limits, Json json) {
        this.store = store;
        this.source = source;
        this.limits = limits;
        this.json = json;
    }

    private List<JsonNode> images() throws ImageException {
        byte[] data = read("manifest.json");
        JsonNode manifest = json.parse(data, source + " manifest.json");
        if (!manifest.isArray()) {
            throw new ImageFormatException(source + " manifest.json", "must be an array of images");
        }
        List<JsonNode> images = new ArrayList<>();
        manifest.forEach(images::add);
        return images;
    }

    /** The images to read: the one a reference names ({@code name:tag} or {@code @N}), or the only one. */
    List<ResolvedImage> resolve(Optional<String> reference, Checks checks, boolean all) throws ImageException {
        List<JsonNode> images = images();
        List<Integer> chosen = new ArrayList<>();
        if (reference.isPresent()) {
            String ref = reference.get();
            if (ref.startsWith("@")) {
                int index;
                try {
                    index = Integer.parseInt(ref.substring(1));
                } catch (NumberFormatException e) {
                    throw new ImageNotFoundException(source, "reference '" + ref + "' is not @N", tags(images));
                }
                if (index < 0 || index >= images.size()) {
                    throw new ImageNotFoundException(source, "no image " + ref, tags(images));
                }
                chosen.add(index);
            } else {
                for (int i = 0; i < images.size(); i++) {
                    for (JsonNode tag : Json.array(images.get(i), "RepoTags", source + " manifest.json[" + i + "]", false)) {
                        if (tag.isTextual() && normaliseTag(tag.asText()).equals(normaliseTag(ref))) {
                            chosen.add(i);
                            break;
                        }
                    }
                }
                if (chosen.isEmpty()) {
                    throw new ImageNotFoundException(source, "no image tagged '" + ref + "'", tags(images));
                }
            }
        } else if (all) {
            for (int i = 0; i < images.size(); i++) {
                chosen.add(i);
            }
        } else if (images.size() == 1) {
            chosen.add(0);
        } else {
            throw new ImageNotFoundException(source, images.isEmpty() ? "no image in manifest.json"
                : "several images and no reference given (use docker-archive:FILE:NAME:TAG or :@N)", tags(images));
        }
        List<ResolvedImage> result = new ArrayList<>();
        for (int index : all ? chosen : chosen.subList(0, 1)) {
            ResolvedImage image = image(images.get(index), index, checks);
            if (image != null) {
                result.add(image);
            }
        }
        return result;
    }

    private ResolvedImage image(JsonNode image, int index, Checks checks) throws ImageException {
        String location = source + " manifest.json[" + index + "]";
        String configPath = Json.text(image, "Config", location);
        byte[] config;
        long size;
        try {
            size = store.size(configPath);
        } catch (IOException e) {
            throw new ImageReadException(source + " " + configPath, e);
        }
        Optional<Digest> named = digestInName(configPath);
        Digest expectedConfig = named.orElse(null);
        if (size < 0) {
            if (expectedConfig == null) {
                throw new ImageFormatException(location, "config " + configPath + " is missing");
            }
            checks.fail(BlobCheck.Kind.CONFIG, location + " Config", configPath, expectedConfig, -1,
                BlobCheck.Status.MISSING, OptionalLong.empty(), Optional.empty());
            return null;
        }
        config = read(configPath);
        Digest configDigest = DigestAlgorithm.SHA256.digest(config);
        if (expectedConfig != null) {
            if (!configDigest.equals(expectedConfig)) {
                checks.fail(BlobCheck.Kind.CONFIG, location + " Config", configPath, expectedConfig, -1,
                    BlobCheck.Status.DIGEST_MISMATCH, OptionalLong.of(config.length), Optional.of(configDigest));
                return null;
            }
            checks.ok(BlobCheck.Kind.CONFIG, location + " Config", configPath, expectedConfig, -1, config.length);
        }
        JsonNode configDocument = json.parse(config, source + " " + configPath);
        List<Digest> diffIds = OciLayoutReader.diffIds(configDocument, source + " " + configPath);
        List<JsonNode> layerNodes = Json.array(image, "Layers", location, true);
        ImageLimits.check("maxLayers", limits.maxLayers(), layerNodes.size(), location);
        if (diffIds.size() != layerNodes.size()) {
            throw new ImageFormatException(source + " " + configPath, "rootfs.diff_ids lists " + diffIds.size()
                + " layers, manifest.json " + layerNodes.size());
        }
        List<ResolvedImage.Layer> layers = new ArrayList<>();
        for (int i = 0; i < layerNodes.size(); i++) {
            if (!layerNodes.get(i).isTextual()) {
                throw new ImageFormatException(location, "Layers must hold strings");
            }
            String path = layerNodes.get(i).asText();
            layers.add(new ResolvedImage.Layer(location + " Layers[" + i + "]", path, digestInName(path), -1,
                Optional.of(diffIds.get(i))));
        }
        return new ResolvedImage(Optional.of(configDigest), Optional.of(configDigest), layers);
    }

    private static Optional<Digest> digestInName(String path) {
        Matcher matcher = DIGEST_NAME.matcher(path);
        return matcher.find() ? Optional.of(Digest.parse("sha256:" + matcher.group(1))) : Optional.empty();
    }

    private byte[] read(String path) throws ImageException {
        try {
            long size = store.size(path);
            if (size < 0) {
                throw new ImageFormatException(source, "no " + path + " in the archive: not a docker-archive");
            }
            ImageLimits.check("maxJsonBytes", limits.maxJsonBytes(), size, source + " " + path);
            try (InputStream in = store.open(path)) {
                return Json.readBounded(in, limits.maxJsonBytes(), "maxJsonBytes", source + " " + path);
            }
        } catch (IOException e) {
            throw new ImageReadException(source + " " + path, e);
        }
    }

    private List<String> tags(List<JsonNode> images) {
        List<String> tags = new ArrayList<>();
        for (int i = 0; i < images.size(); i++) {
            JsonNode repoTags = images.get(i).get("RepoTags");
            if (repoTags != null && repoTags.isArray() && !repoTags.isEmpty()) {
                repoTags.forEach(t -> tags.add(t.asText()));
            } else {
                tags.add("@" + i);
            }
        }
        return tags;
    }

    /** {@code busybox} and {@code docker.io/library/busybox:latest} name the same image. */
    static String normaliseTag(String tag) {
        String name = tag;
        String version = "latest";
        int colon = tag.lastIndexOf(':');
        if (colon > tag.lastIndexOf('/')) {
            name = tag.substring(0, colon);
            version = tag.substring(colon + 1);
        }
        int slash = name.indexOf('/');
        String first = slash < 0 ? "" : name.substring(0, slash);
        if (slash < 0) {
            name = "docker.io/library/" + name;
        } else if (!first.contains(".") && !first.contains(":") && !first.equals("localhost")) {
            name = "docker.io/" + name;
        }
        return name + ":" + version;
    }
}
