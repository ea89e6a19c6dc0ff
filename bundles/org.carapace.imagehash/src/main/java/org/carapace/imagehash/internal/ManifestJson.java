package org.carapace.imagehash.internal;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.carapace.api.image.Digest;
import org.carapace.api.image.FileEntry;
import org.carapace.api.image.FileManifest;
import org.carapace.api.image.FileType;
import org.carapace.api.image.ImageException;
import org.carapace.api.image.ImageFormatException;
import org.carapace.api.image.ImageReadException;
import org.carapace.api.image.Xattr;

/**
 * The JSON form of a {@link FileManifest} (docs/rootfs-digest.md, "Manifest JSON"). Written with a fixed key order
 * and no insignificant variation, so the same manifest always serialises to the same bytes; read strictly (unknown
 * keys, duplicate keys, wrong types are errors) and checked by recomputing the rootfs digest.
 */
final class ManifestJson {

    private static final Set<String> TOP_KEYS = Set.of("formatVersion", "rootfsDigest", "xattrNames", "entries");
    private static final Set<String> ENTRY_KEYS = Set.of("path", "type", "mode", "uid", "gid", "size", "digest", "target",
        "hardlinkTo", "devMajor", "devMinor", "xattrs");

    private final Json json;
    private final ImageLimits limits;

    ManifestJson(Json json, ImageLimits limits) {
        this.json = json;
        this.limits = limits;
    }

    void write(FileManifest manifest, OutputStream out) throws IOException {
        try (JsonGenerator g = json.mapper().getFactory().createGenerator(out, JsonEncoding.UTF8)) {
            g.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
            g.writeStartObject();
            g.writeNumberField("formatVersion", manifest.formatVersion());
            g.writeStringField("rootfsDigest", manifest.rootfsDigest().toString());
            g.writeArrayFieldStart("xattrNames");
            for (String name : manifest.xattrNames()) {
                g.writeString(name);
            }
            g.writeEndArray();
            g.writeArrayFieldStart("entries");
            for (FileEntry e : manifest.entries()) {
                g.writeRaw('\n');
                g.writeStartObject();
                g.writeStringField("path", e.path());
                g.writeStringField("type", e.type().token());
                g.writeStringField("mode", e.modeOctal());
                g.writeNumberField("uid", e.uid());
                g.writeNumberField("gid", e.gid());
                if (e.type() == FileType.FILE) {
                    g.writeNumberField("size", e.size());
                    g.writeStringField("digest", e.contentDigest().get().toString());
                }
                if (e.symlinkTarget().isPresent()) {
                    g.writeStringField("target", e.symlinkTarget().get());
                }
                if (e.hardlinkTo().isPresent()) {
                    g.writeStringField("hardlinkTo", e.hardlinkTo().get());
                }
                if (e.type().isDevice()) {
                    g.writeNumberField("devMajor", e.deviceMajor());
                    g.writeNumberField("devMinor", e.deviceMinor());
                }
                if (!e.xattrs().isEmpty()) {
                    g.writeObjectFieldStart("xattrs");
                    for (Xattr x : e.xattrs()) {
                        g.writeStringField(x.name(), x.hex());
                    }
                    g.writeEndObject();
                }
                g.writeEndObject();
            }
            g.writeRaw('\n');
            g.writeEndArray();
            g.writeEndObject();
            g.writeRaw('\n');
        }
    }

    FileManifest read(InputStream in, String location) throws ImageException {
        byte[] data;
        try {
            data = Json.readBounded(in, limits.maxManifestBytes(), "maxManifestBytes", location);
        } catch (IOException e) {
            throw new ImageReadException(location, e);
        }
        JsonNode root = json.parse(data, location);
        if (!root.isObject()) {
            throw new ImageFormatException(location, "a manifest is a JSON object");
        }
        onlyKeys(root, TOP_KEYS, location);
        JsonNode version = root.get("formatVersion");
        if (version == null || !version.isInt() || version.asInt() != FileManifest.FORMAT_VERSION) {
            throw new ImageFormatException(location, "formatVersion must be " + FileManifest.FORMAT_VERSION);
        }
        Digest stated = Json.digest(root, "rootfsDigest", location);
        List<String> xattrNames = new ArrayList<>();
        for (JsonNode name : Json.array(root, "xattrNames", location, true)) {
            if (!name.isTextual()) {
                throw new ImageFormatException(location, "xattrNames must hold strings");
            }
            xattrNames.add(name.asText());
        }
        List<JsonNode> items = Json.array(root, "entries", location, true);
        ImageLimits.check("maxEntries", limits.maxEntries(), items.size(), location);
        List<FileEntry> entries = new ArrayList<>(items.size());
        for (int i = 0; i < items.size(); i++) {
            entries.add(entry(items.get(i), location + " entries[" + i + "]"));
        }
        FileManifest manifest;
        try {
            manifest = new FileManifest(FileManifest.FORMAT_VERSION, xattrNames, entries, stated);
        } catch (IllegalArgumentException e) {
            throw new ImageFormatException(location, e.getMessage());
        }
        Digest computed = CanonicalEncoding.digest(manifest.xattrNames(), manifest.entries());
        if (!computed.equals(stated)) {
            throw new ImageFormatException(location, "rootfsDigest " + stated + " is not the digest of the entries ("
                + computed + ")");
        }
        return manifest;
    }

    private FileEntry entry(JsonNode node, String where) throws ImageException {
        if (!node.isObject()) {
            throw new ImageFormatException(where, "an entry is a JSON object");
        }
        onlyKeys(node, ENTRY_KEYS, where);
        try {
            FileType type = FileType.forToken(Json.text(node, "type", where));
            String modeText = Json.text(node, "mode", where);
            if (!modeText.matches("[0-7]{4}")) {
                throw new ImageFormatException(where, "mode must be four octal digits");
            }
            Optional<Digest> digest = node.has("digest") ? Optional.of(Json.digest(node, "digest", where)) : Optional.empty();
            List<Xattr> xattrs = new ArrayList<>();
            JsonNode xattrNode = node.get("xattrs");
            if (xattrNode != null) {
                if (!xattrNode.isObject()) {
                    throw new ImageFormatException(where, "xattrs must be an object");
                }
                Iterator<String> names = xattrNode.fieldNames();
                while (names.hasNext()) {
                    String name = names.next();
                    JsonNode value = xattrNode.get(name);
                    if (!value.isTextual() || !value.asText().matches("([0-9a-f]{2})*")) {
                        throw new ImageFormatException(where, "xattr " + name + " must be lowercase hex");
                    }
                    xattrs.add(new Xattr(name, HexFormat.of().parseHex(value.asText())));
                }
            }
            int mode = Integer.parseInt(modeText, 8);
            for (Xattr xattr : xattrs) {
                if (!CanonicalEncoding.covers(xattr.name(), type, mode)) {
                    throw new ImageFormatException(where, "xattr " + xattr.name() + " is not covered on a " + type.token()
                        + " with mode " + modeText);
                }
            }
            return new FileEntry(Json.text(node, "path", where), type, mode, number(node, "uid", where, true),
                number(node, "gid", where, true), number(node, "size", where, false), digest,
                Json.optionalText(node, "target", where), Json.optionalText(node, "hardlinkTo", where),
                number(node, "devMajor", where, false), number(node, "devMinor", where, false), xattrs);
        } catch (IllegalArgumentException e) {
            throw new ImageFormatException(where, e.getMessage());
        }
    }

    private static long number(JsonNode node, String field, String where, boolean required) throws ImageFormatException {
        JsonNode value = node.get(field);
        if (value == null) {
            if (required) {
                throw new ImageFormatException(where, "'" + field + "' is missing");
            }
            return 0;
        }
        if (!value.isIntegralNumber() || !value.canConvertToLong() || value.asLong() < 0) {
            throw new ImageFormatException(where, "'" + field + "' must be a non-negative integer");
        }
        return value.asLong();
    }

    private static void onlyKeys(JsonNode node, Set<String> allowed, String where) throws ImageFormatException {
        Iterator<String> names = node.fieldNames();
        while (names.hasNext()) {
            String name = names.next();
            if (!allowed.contains(name)) {
                throw new ImageFormatException(where, "unknown key '" + name + "'");
            }
        }
    }
}
