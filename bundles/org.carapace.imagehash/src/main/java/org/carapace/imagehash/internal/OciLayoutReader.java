package org.carapace.imagehash.internal;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.carapace.api.image.BlobCheck;
import org.carapace.api.image.Digest;
import org.carapace.api.image.ImageException;
import org.carapace.api.image.ImageFormatException;
import org.carapace.api.image.ImageLimitException;
import org.carapace.api.image.ImageNotFoundException;
import org.carapace.api.image.ImageReadException;
import org.carapace.api.image.Platform;

/**
 * Reads an OCI image layout (image-spec image-layout.md): {@code oci-layout}, {@code index.json}, nested image
 * indexes (image-index.md), image manifests (manifest.md) and configs (config.md). Docker's v2 schema 2 manifest
 * and manifest-list media types are accepted too. Every JSON blob's size and digest are checked against its
 * descriptor before it is parsed.
 */
final class OciLayoutReader {

    static final String REF_NAME = "org.opencontainers.image.ref.name";
    private static final List<String> INDEX_TYPES = List.of("application/vnd.oci.image.index.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json");
    private static final List<String> MANIFEST_TYPES = List.of("application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.v2+json");

    /** A descriptor (descriptor.md) and where it was found. */
    record Descriptor(String referrer, Optional<String> mediaType, Digest digest, long size, Optional<String> refName,
                      Optional<Platform> platform) {
        String path() {
            return "blobs/" + digest.algorithm().ociName() + "/" + digest.hex();
        }
    }

    private final BlobStore store;
    private final String source;
    private final ImageLimits limits;
    private final Json json;

    OciLayoutReader(BlobStore store, String source, ImageLimits limits, Json json) {
        this.store = store;
        this.source = source;
        this.limits = limits;
        this.json = json;
    }

    /** The top-level descriptors of {@code index.json}, after checking {@code oci-layout}. */
    List<Descriptor> topLevel() throws ImageException {
        byte[] layout = readFile("oci-layout");
        JsonNode layoutNode = json.parse(layout, source + " oci-layout");
        String version = Json.text(layoutNode, "imageLayoutVersion", source + " oci-layout");
        if (!version.startsWith("1.")) {
            throw new ImageFormatException(source + " oci-layout", "unsupported imageLayoutVersion " + version);
        }
        JsonNode index = json.parse(readFile("index.json"), source + " index.json");
        return descriptors(index, "index.json", source + " index.json");
    }

    private byte[] readFile(String name) throws ImageException {
        try {
            long size = store.size(name);
            if (size < 0) {
                throw new ImageFormatException(source, "no " + name + ": not an OCI image layout");
            }
            ImageLimits.check("maxJsonBytes", limits.maxJsonBytes(), size, source + " " + name);
            try (InputStream in = store.open(name)) {
                return Json.readBounded(in, limits.maxJsonBytes(), "maxJsonBytes", source + " " + name);
            }
        } catch (IOException e) {
            throw new ImageReadException(source + " " + name, e);
        }
    }

    private List<Descriptor> descriptors(JsonNode document, String referrer, String location) throws ImageException {
        List<Descriptor> result = new ArrayList<>();
        List<JsonNode> items = Json.array(document, "manifests", location, true);
        for (int i = 0; i < items.size(); i++) {
            result.add(descriptor(items.get(i), referrer + " manifests[" + i + "]", location));
        }
        return result;
    }

    Descriptor descriptor(JsonNode node, String referrer, String location) throws ImageException {
        String where = location + " " + referrer.substring(referrer.lastIndexOf(' ') + 1);
        if (!node.isObject()) {
            throw new ImageFormatException(where, "descriptor must be an object");
        }
        Digest digest = Json.digest(node, "digest", where);
        JsonNode sizeNode = node.get("size");
        if (sizeNode == null || !sizeNode.canConvertToExactIntegral() || !sizeNode.canConvertToLong() || sizeNode.asLong() < 0) {
            throw new ImageFormatException(where, "'size' must be a non-negative integer");
        }
        Optional<String> refName = Optional.empty();
        JsonNode annotations = node.get("annotations");
        if (annotations != null && !annotations.isNull()) {
            if (!annotations.isObject()) {
                throw new ImageFormatException(where, "'annotations' must be an object");
            }
            refName = Json.optionalText(annotations, REF_NAME, where);
        }
        Optional<Platform> platform = Optional.empty();
        JsonNode platformNode = node.get("platform");
        if (platformNode != null && platformNode.isObject()) {
            String os = Json.text(platformNode, "os", where + " platform");
            String arch = Json.text(platformNode, "architecture", where + " platform");
            if (!os.isBlank() && !arch.isBlank()) {
                platform = Optional.of(new Platform(os, arch, Json.optionalText(platformNode, "variant", where + " platform")));
            }
        }
        return new Descriptor(referrer, Json.optionalText(node, "mediaType", where), digest, sizeNode.asLong(), refName, platform);
    }

    /**
     * Reads a JSON blob after checking its size and digest against the descriptor.
     *
     * @return the parsed document, or empty when the check failed and {@code checks} does not fail fast
     */
    Optional<JsonNode> readBlob(Descriptor descriptor, BlobCheck.Kind kind, Checks checks) throws ImageException {
        String path = descriptor.path();
        long size;
        try {
            size = store.size(path);
        } catch (IOException e) {
            throw new ImageReadException(source + " " + path, e);
        }
        if (size < 0) {
            checks.fail(kind, descriptor.referrer(), path, descriptor.digest(), descriptor.size(), BlobCheck.Status.MISSING,
                OptionalLong.empty(), Optional.empty());
            return Optional.empty();
        }
        if (size != descriptor.size()) {
            checks.fail(kind, descriptor.referrer(), path, descriptor.digest(), descriptor.size(),
                BlobCheck.Status.SIZE_MISMATCH, OptionalLong.of(size), Optional.empty());
            return Optional.empty();
        }
        if (size > limits.maxJsonBytes()) {
            throw new ImageLimitException("maxJsonBytes", limits.maxJsonBytes(), size, source + " " + path);
        }
        byte[] data;
        try (InputStream in = store.open(path)) {
            data = Json.readBounded(in, limits.maxJsonBytes(), "maxJsonBytes", source + " " + path);
        } catch (IOException e) {
            throw new ImageReadException(source + " " + path, e);
        }
        MessageDigest md = descriptor.digest().algorithm().newMessageDigest();
        Digest actual = new Digest(descriptor.digest().algorithm(), md.digest(data));
        if (!actual.equals(descriptor.digest()) || data.length != descriptor.size()) {
            checks.fail(kind, descriptor.referrer(), path, descriptor.digest(), descriptor.size(),
                data.length != descriptor.size() ? BlobCheck.Status.SIZE_MISMATCH : BlobCheck.Status.DIGEST_MISMATCH,
                OptionalLong.of(data.length), Optional.of(actual));
            return Optional.empty();
        }
        checks.ok(kind, descriptor.referrer(), path, descriptor.digest(), descriptor.size(), data.length);
        return Optional.of(json.parse(data, source + " " + kind.name().toLowerCase(java.util.Locale.ROOT) + " " + descriptor.digest()));
    }

    private static BlobCheck.Kind kindOf(Descriptor descriptor) {
        return descriptor.mediaType().map(INDEX_TYPES::contains).orElse(false) ? BlobCheck.Kind.INDEX : BlobCheck.Kind.MANIFEST;
    }

    /** Whether a descriptor (or, when it has no media type, its document) is an image index. */
    static boolean isIndex(Descriptor descriptor, JsonNode document) {
        if (descriptor.mediaType().isPresent() && INDEX_TYPES.contains(descriptor.mediaType().get())) {
            return true;
        }
        if (descriptor.mediaType().isPresent() && MANIFEST_TYPES.contains(descriptor.mediaType().get())) {
            return false;
        }
        JsonNode mediaType = document.get("mediaType");
        if (mediaType != null && mediaType.isTextual()) {
            return INDEX_TYPES.contains(mediaType.asText());
        }
        return document.has("manifests") && !document.has("layers");
    }

    /**
     * Selects the image to hash: by reference (a ref name or a manifest digest) or the only one, then by platform
     * inside image indexes; reads and verifies index, manifest and config.
     */
    ResolvedImage resolve(Optional<String> reference, Platform platform, Checks checks) throws ImageException {
        List<Descriptor> top = topLevel();
        Descriptor chosen;
        if (reference.isPresent()) {
            String ref = reference.get();
            List<Descriptor> matches = new ArrayList<>();
            for (Descriptor d : top) {
                if (d.refName().map(ref::equals).orElse(false) || d.digest().toString().equals(ref)) {
                    matches.add(d);
                }
            }
            if (matches.isEmpty()) {
                throw new ImageNotFoundException(source, "no image with reference '" + ref + "'", available(top));
            }
            if (matches.size() > 1 && matches.stream().map(Descriptor::digest).distinct().count() > 1) {
                throw new ImageNotFoundException(source, "reference '" + ref + "' names several images", available(top));
            }
            chosen = matches.get(0);
        } else {
            if (top.isEmpty()) {
                throw new ImageNotFoundException(source, "no image in index.json", List.of());
            }
            if (top.stream().map(Descriptor::digest).distinct().count() > 1) {
                throw new ImageNotFoundException(source, "several images and no reference given (use oci:DIR:REF)", available(top));
            }
            chosen = top.get(0);
        }
        return resolveDescriptor(chosen, platform, checks, 0);
    }

    private ResolvedImage resolveDescriptor(Descriptor descriptor, Platform platform, Checks checks, int depth)
        throws ImageException {
        JsonNode document = readBlob(descriptor, kindOf(descriptor), checks).orElseThrow();
        if (isIndex(descriptor, document)) {
            if (depth + 1 > limits.maxIndexDepth()) {
                throw new ImageLimitException("maxIndexDepth", limits.maxIndexDepth(), depth + 1L, source + " " + descriptor.digest());
            }
            List<Descriptor> children = descriptors(document, "index " + descriptor.digest(), source + " index " + descriptor.digest());
            Descriptor match = selectPlatform(children, platform, descriptor);
            return resolveDescriptor(match, platform, checks, depth + 1);
        }
        return manifest(descriptor, document, checks);
    }

    private Descriptor selectPlatform(List<Descriptor> children, Platform platform, Descriptor index) throws ImageException {
        List<Descriptor> candidates = new ArrayList<>();
        for (Descriptor child : children) {
            Optional<Platform> p = child.platform();
            if (p.isPresent() && p.get().os().equals(platform.os()) && p.get().architecture().equals(platform.architecture())
                && (platform.variant().isEmpty() || platform.variant().equals(p.get().variant()))) {
                candidates.add(child);
            }
        }
        if (candidates.isEmpty() && children.size() == 1 && children.get(0).platform().isEmpty()) {
            return children.get(0);
        }
        if (candidates.isEmpty()) {
            List<String> platforms = new ArrayList<>();
            for (Descriptor child : children) {
                platforms.add(child.platform().map(Platform::toString).orElse("unspecified") + " " + child.digest());
            }
            throw new ImageNotFoundException(source, "index " + index.digest() + " has no image for platform " + platform,
                platforms);
        }
        return candidates.get(0);
    }

    private ResolvedImage manifest(Descriptor descriptor, JsonNode manifest, Checks checks) throws ImageException {
        String location = source + " manifest " + descriptor.digest();
        JsonNode configNode = Json.object(manifest, "config", location);
        Descriptor config = descriptor(configNode, "manifest " + descriptor.digest() + " config", location);
        JsonNode configDocument = readBlob(config, BlobCheck.Kind.CONFIG, checks).orElseThrow();
        List<JsonNode> layerNodes = Json.array(manifest, "layers", location, true);
        ImageLimits.check("maxLayers", limits.maxLayers(), layerNodes.size(), location);
        List<Digest> diffIds = diffIds(configDocument, source + " config " + config.digest());
        List<ResolvedImage.Layer> layers = new ArrayList<>();
        for (int i = 0; i < layerNodes.size(); i++) {
            String referrer = "manifest " + descriptor.digest() + " layers[" + i + "]";
            Descriptor layer = descriptor(layerNodes.get(i), referrer, location);
            String mediaType = layer.mediaType().orElse("");
            if (!mediaType.isEmpty() && !mediaType.contains("layer") && !mediaType.contains("rootfs.diff.tar")) {
                throw new ImageFormatException(location + " layers[" + i + "]", "media type " + mediaType
                    + " is not a container image layer");
            }
            layers.add(new ResolvedImage.Layer(referrer, layer.path(), Optional.of(layer.digest()), layer.size(),
                i < diffIds.size() ? Optional.of(diffIds.get(i)) : Optional.empty()));
        }
        if (!diffIds.isEmpty() && diffIds.size() != layers.size()) {
            throw new ImageFormatException(source + " config " + config.digest(), "rootfs.diff_ids lists " + diffIds.size()
                + " layers, the manifest " + layers.size());
        }
        return new ResolvedImage(Optional.of(descriptor.digest()), Optional.of(config.digest()), layers);
    }

    /** The config's {@code rootfs.diff_ids} (config.md), empty when absent. */
    static List<Digest> diffIds(JsonNode config, String location) throws ImageFormatException {
        JsonNode rootfs = config.get("rootfs");
        if (rootfs == null || !rootfs.isObject()) {
            return List.of();
        }
        List<Digest> result = new ArrayList<>();
        for (JsonNode id : Json.array(rootfs, "diff_ids", location, false)) {
            if (!id.isTextual()) {
                throw new ImageFormatException(location, "rootfs.diff_ids must hold strings");
            }
            try {
                result.add(Digest.parse(id.asText()));
            } catch (IllegalArgumentException e) {
                throw new ImageFormatException(location, "rootfs.diff_ids: " + e.getMessage());
            }
        }
        return result;
    }

    /**
     * Every image reachable from {@code index.json} (or from the descriptors matching a reference), for blob
     * verification: indexes are descended completely, all platforms included.
     */
    List<ResolvedImage> all(Optional<String> reference, Checks checks) throws ImageException {
        List<Descriptor> top = topLevel();
        if (reference.isPresent()) {
            String ref = reference.get();
            top = top.stream().filter(d -> d.refName().map(ref::equals).orElse(false) || d.digest().toString().equals(ref)).toList();
            if (top.isEmpty()) {
                throw new ImageNotFoundException(source, "no image with reference '" + ref + "'", available(topLevel()));
            }
        }
        List<ResolvedImage> images = new ArrayList<>();
        for (Descriptor descriptor : top) {
            collect(descriptor, checks, images, 0);
        }
        return images;
    }

    private void collect(Descriptor descriptor, Checks checks, List<ResolvedImage> images, int depth) throws ImageException {
        Optional<JsonNode> document = readBlob(descriptor, kindOf(descriptor), checks);
        if (document.isEmpty()) {
            return;
        }
        if (isIndex(descriptor, document.get())) {
            if (depth + 1 > limits.maxIndexDepth()) {
                throw new ImageLimitException("maxIndexDepth", limits.maxIndexDepth(), depth + 1L, source + " " + descriptor.digest());
            }
            for (Descriptor child : descriptors(document.get(), "index " + descriptor.digest(), source + " index " + descriptor.digest())) {
                collect(child, checks, images, depth + 1);
            }
            return;
        }
        String location = source + " manifest " + descriptor.digest();
        Descriptor config = descriptor(Json.object(document.get(), "config", location),
            "manifest " + descriptor.digest() + " config", location);
        Optional<JsonNode> configDocument = readBlob(config, BlobCheck.Kind.CONFIG, checks);
        List<Digest> diffIds = configDocument.isPresent()
            ? diffIds(configDocument.get(), source + " config " + config.digest()) : List.of();
        List<JsonNode> layerNodes = Json.array(document.get(), "layers", location, true);
        ImageLimits.check("maxLayers", limits.maxLayers(), layerNodes.size(), location);
        List<ResolvedImage.Layer> layers = new ArrayList<>();
        for (int i = 0; i < layerNodes.size(); i++) {
            String referrer = "manifest " + descriptor.digest() + " layers[" + i + "]";
            Descriptor layer = descriptor(layerNodes.get(i), referrer, location);
            layers.add(new ResolvedImage.Layer(referrer, layer.path(), Optional.of(layer.digest()), layer.size(),
                i < diffIds.size() && diffIds.size() == layerNodes.size() ? Optional.of(diffIds.get(i)) : Optional.empty()));
        }
        images.add(new ResolvedImage(Optional.of(descriptor.digest()), Optional.of(config.digest()), layers));
    }

    private static List<String> available(List<Descriptor> top) {
        List<String> names = new ArrayList<>();
        for (Descriptor d : top) {
            names.add(d.refName().map(r -> r + " (" + d.digest() + ")").orElse(d.digest().toString()));
        }
        return names;
    }
}
