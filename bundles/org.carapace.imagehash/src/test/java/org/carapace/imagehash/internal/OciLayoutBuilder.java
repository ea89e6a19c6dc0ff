package org.carapace.imagehash.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.carapace.api.image.Digest;
import org.carapace.api.image.DigestAlgorithm;

/** Writes small OCI image layouts for tests: layers given as blob bytes, manifest and config generated. */
final class OciLayoutBuilder {

    private final Path root;
    private final List<byte[]> layers = new ArrayList<>();
    private final List<byte[]> diffIdSources = new ArrayList<>();
    private String tag = "latest";

    OciLayoutBuilder(Path root) {
        this.root = root;
    }

    /** A layer: {@code blob} as stored, {@code tar} its uncompressed form (for the config's diff_ids). */
    OciLayoutBuilder layer(byte[] blob, byte[] tar) {
        layers.add(blob);
        diffIdSources.add(tar);
        return this;
    }

    OciLayoutBuilder layer(byte[] tar) {
        return layer(TarBuilder.gzip(tar), tar);
    }

    OciLayoutBuilder tag(String value) {
        tag = value;
        return this;
    }

    /** Writes the layout; answers the manifest digest. */
    Digest write() throws IOException {
        Files.createDirectories(root.resolve("blobs/sha256"));
        Files.writeString(root.resolve("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
        StringBuilder layerDescriptors = new StringBuilder();
        StringBuilder diffIds = new StringBuilder();
        for (int i = 0; i < layers.size(); i++) {
            Digest d = blob(layers.get(i));
            layerDescriptors.append(i == 0 ? "" : ",").append(descriptor("application/vnd.oci.image.layer.v1.tar+gzip", d,
                layers.get(i).length));
            diffIds.append(i == 0 ? "" : ",").append('"').append(DigestAlgorithm.SHA256.digest(diffIdSources.get(i))).append('"');
        }
        byte[] config = ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":["
            + diffIds + "]}}").getBytes(StandardCharsets.UTF_8);
        Digest configDigest = blob(config);
        byte[] manifest = ("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":"
            + descriptor("application/vnd.oci.image.config.v1+json", configDigest, config.length) + ",\"layers\":["
            + layerDescriptors + "]}").getBytes(StandardCharsets.UTF_8);
        Digest manifestDigest = blob(manifest);
        Files.writeString(root.resolve("index.json"), "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":"
            + "\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"" + manifestDigest + "\",\"size\":" + manifest.length
            + ",\"annotations\":{\"org.opencontainers.image.ref.name\":\"" + tag + "\"}}]}");
        return manifestDigest;
    }

    Digest blob(byte[] data) throws IOException {
        Digest digest = DigestAlgorithm.SHA256.digest(data);
        Files.write(root.resolve("blobs/sha256").resolve(digest.hex()), data);
        return digest;
    }

    static String descriptor(String mediaType, Digest digest, long size) {
        return "{\"mediaType\":\"" + mediaType + "\",\"digest\":\"" + digest + "\",\"size\":" + size + "}";
    }
}
