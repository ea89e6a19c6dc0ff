package org.carapace.policy.internal;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.carapace.api.io.Fields;
import org.carapace.api.io.StrictJson;
import org.carapace.api.policy.AssociatedExecution;
import org.carapace.api.policy.EnforcementMode;
import org.carapace.api.policy.ExecWhitelist;
import org.carapace.api.policy.Exemption;
import org.carapace.api.policy.FileDigest;
import org.carapace.api.policy.ImageRule;
import org.carapace.api.policy.ManifestReference;
import org.carapace.api.policy.PolicyDocument;
import org.carapace.api.policy.PolicyKind;
import org.carapace.api.policy.Revocation;
import org.carapace.api.policy.RoleViolationException;
import org.carapace.api.trust.MalformedDocumentException;

/**
 * The JSON form of a {@link PolicyDocument}, schema {@value PolicyDocument#SCHEMA} (specified in
 * {@code docs/policy.md}). Reading is strict, streaming and bounded by {@link PolicyLimits}: unknown fields, nulls,
 * wrong types and values the model refuses are schema errors naming the JSON path. An additional policy that so much
 * as mentions revocations or exemptions is a {@link RoleViolationException}. Immutable and thread-safe.
 */
public final class PolicyCodec {

    private static final String DOCUMENT = "policy document";

    private final PolicyLimits limits;
    private final JsonFactory factory;

    public PolicyCodec(PolicyLimits limits) {
        this.limits = limits;
        this.factory = JsonCursor.factory(limits.maxDocumentBytes(), limits.maxNestingDepth());
    }

    public PolicyLimits limits() {
        return limits;
    }

    /** Parses a policy document (the payload of a policy envelope). */
    public PolicyDocument parse(byte[] payload) throws MalformedDocumentException, RoleViolationException {
        return parse(ByteBuffer.wrap(payload));
    }

    /**
     * Parses a policy document from a buffer without copying it. Streaming: memory grows with the model read, not with
     * a JSON tree.
     */
    public PolicyDocument parse(ByteBuffer payload) throws MalformedDocumentException, RoleViolationException {
        Top top = new Top();
        try (JsonCursor cursor = JsonCursor.open(factory, limits.maxDocumentBytes(), payload, DOCUMENT)) {
            cursor.object(JsonCursor.Path.ROOT, (name, path) -> top.field(cursor, name, path));
            cursor.finish();
            return top.build(cursor);
        }
    }

    /** The top-level fields as they are read; checked together at the end (field order is free). */
    private final class Top {
        String schema;
        String kind;
        String stream;
        Long version;
        Optional<Instant> expires = Optional.empty();
        List<String> deviceIds;
        List<ImageRule> images;
        List<Revocation> revocations;
        List<Exemption> exemptions;

        void field(JsonCursor cursor, String name, JsonCursor.Path path) throws MalformedDocumentException {
            switch (name) {
                case "schema" -> {
                    schema = cursor.string(path);
                    if (!PolicyDocument.SCHEMA.equals(schema)) {
                        throw cursor.schema(path, "unsupported schema '" + Fields.abbreviate(schema) + "', expected "
                            + PolicyDocument.SCHEMA);
                    }
                }
                case "kind" -> kind = cursor.string(path);
                case "stream" -> stream = cursor.string(path);
                case "version" -> version = cursor.integer(path, 1, PolicyDocument.MAX_VERSION);
                case "expires" -> expires = Optional.of(instant(cursor, path));
                case "deviceIds" -> {
                    deviceIds = new ArrayList<>();
                    cursor.array(path, limits.maxDeviceIds(), element -> deviceIds.add(cursor.string(element)));
                    if (deviceIds.isEmpty()) {
                        throw cursor.schema(path, "must name at least one device when present (leave it out for every device)");
                    }
                }
                case "images" -> {
                    images = new ArrayList<>();
                    cursor.array(path, limits.maxImages(), element -> images.add(image(cursor, element)));
                }
                case "revocations" -> {
                    revocations = new ArrayList<>();
                    cursor.array(path, limits.maxRevocations(), element -> revocations.add(revocation(cursor, element)));
                }
                case "exemptions" -> {
                    exemptions = new ArrayList<>();
                    cursor.array(path, limits.maxExemptions(), element -> exemptions.add(exemption(cursor, element)));
                }
                default -> throw cursor.schema(path, "is not a field of a policy document");
            }
        }

        PolicyDocument build(JsonCursor cursor) throws MalformedDocumentException, RoleViolationException {
            JsonCursor.Path root = JsonCursor.Path.ROOT;
            require(cursor, root, "schema", schema);
            require(cursor, root, "kind", kind);
            PolicyKind k = PolicyKind.fromId(kind)
                .orElseThrow(() -> cursor.schema(root.field("kind"), "must be 'base' or 'additional', is '"
                    + Fields.abbreviate(kind) + "'"));
            require(cursor, root, "stream", stream);
            require(cursor, root, "version", version);
            if (k == PolicyKind.ADDITIONAL && (revocations != null || exemptions != null)) {
                // the role limits what a document may say, whatever it says it (issue item 4)
                throw new RoleViolationException(k, stream, "an additional policy may only add images; it carries "
                    + (revocations != null ? "revocations" : "exemptions"));
            }
            require(cursor, root, "images", images);
            try {
                return new PolicyDocument(k, stream, version, expires,
                    deviceIds == null ? Set.of() : new LinkedHashSet<>(deviceIds), images,
                    revocations == null ? List.of() : revocations, exemptions == null ? List.of() : exemptions);
            } catch (IllegalArgumentException e) {
                throw cursor.schema(root, e.getMessage());
            }
        }
    }

    private static void require(JsonCursor cursor, JsonCursor.Path at, String field, Object value) throws MalformedDocumentException {
        if (value == null) {
            throw cursor.schema(at.field(field), "is required");
        }
    }

    private static Instant instant(JsonCursor cursor, JsonCursor.Path path) throws MalformedDocumentException {
        String text = cursor.string(path);
        try {
            return Instant.parse(text);
        } catch (DateTimeParseException e) {
            throw cursor.schema(path, "must be an RFC 3339 UTC time such as 2027-01-31T00:00:00Z, is '" + Fields.abbreviate(text) + "'");
        }
    }

    private ImageRule image(JsonCursor cursor, JsonCursor.Path at) throws MalformedDocumentException {
        String[] text = new String[4]; // name, rootfsDigest, manifestDigest, mode
        ExecWhitelist[] exec = {ExecWhitelist.EMPTY};
        List<String> protectedPaths = new ArrayList<>();
        List<String> writablePaths = new ArrayList<>();
        List<AssociatedExecution> associated = new ArrayList<>();
        int maxPaths = limits.maxPathsPerImage();
        cursor.object(at, (name, path) -> {
            switch (name) {
                case "name" -> text[0] = cursor.string(path);
                case "rootfsDigest" -> text[1] = cursor.string(path);
                case "manifestDigest" -> text[2] = cursor.string(path);
                case "mode" -> text[3] = cursor.string(path);
                case "exec" -> exec[0] = exec(cursor, path);
                case "protectedPaths" -> cursor.array(path, maxPaths, e -> protectedPaths.add(cursor.string(e)));
                case "writablePaths" -> cursor.array(path, maxPaths, e -> writablePaths.add(cursor.string(e)));
                case "associatedExecution" -> cursor.array(path, maxPaths, e -> associated.add(associatedRule(cursor, e)));
                default -> throw cursor.schema(path, "is not a field of an image");
            }
            if (protectedPaths.size() + writablePaths.size() + associated.size() > maxPaths) {
                throw cursor.limit(at.field("protectedPaths+writablePaths+associatedExecution"), maxPaths);
            }
        });
        require(cursor, at, "name", text[0]);
        require(cursor, at, "rootfsDigest", text[1]);
        String modeName = text[3] == null ? EnforcementMode.ENFORCE.id() : text[3];
        EnforcementMode mode = EnforcementMode.fromId(modeName)
            .orElseThrow(() -> cursor.schema(at.field("mode"), "must be 'enforce' or 'audit', is '" + Fields.abbreviate(modeName) + "'"));
        try {
            return new ImageRule(text[0], text[1], Optional.ofNullable(text[2]), mode, exec[0], protectedPaths, writablePaths, associated);
        } catch (IllegalArgumentException e) {
            throw cursor.schema(at, e.getMessage());
        }
    }

    private ExecWhitelist exec(JsonCursor cursor, JsonCursor.Path at) throws MalformedDocumentException {
        List<FileDigest> files = new ArrayList<>();
        Set<String> extra = new LinkedHashSet<>();
        ManifestReference[] manifest = new ManifestReference[1];
        int max = limits.maxFilesPerImage();
        cursor.object(at, (name, path) -> {
            switch (name) {
                case "files" -> cursor.array(path, max, e -> {
                    if (files.size() + extra.size() >= max) {
                        throw cursor.limit(at.field("files+extraSha256"), max);
                    }
                    files.add(fileDigest(cursor, e));
                });
                case "extraSha256" -> cursor.array(path, max, e -> {
                    if (files.size() + extra.size() >= max) {
                        throw cursor.limit(at.field("files+extraSha256"), max);
                    }
                    if (!extra.add(cursor.string(e))) {
                        throw cursor.schema(e, "lists a digest twice");
                    }
                });
                case "manifest" -> manifest[0] = manifestReference(cursor, path);
                default -> throw cursor.schema(path, "is not a field of an exec whitelist");
            }
        });
        try {
            return new ExecWhitelist(files, extra, Optional.ofNullable(manifest[0]));
        } catch (IllegalArgumentException e) {
            throw cursor.schema(at, e.getMessage());
        }
    }

    private static ManifestReference manifestReference(JsonCursor cursor, JsonCursor.Path at) throws MalformedDocumentException {
        String[] digest = new String[1];
        Long[] count = new Long[1];
        cursor.object(at, (name, path) -> {
            switch (name) {
                case "digest" -> digest[0] = cursor.string(path);
                case "files" -> count[0] = cursor.integer(path, 0, Long.MAX_VALUE);
                default -> throw cursor.schema(path, "is not a field of a manifest reference");
            }
        });
        require(cursor, at, "digest", digest[0]);
        require(cursor, at, "files", count[0]);
        try {
            return new ManifestReference(digest[0], count[0]);
        } catch (IllegalArgumentException e) {
            throw cursor.schema(at, e.getMessage());
        }
    }

    private static AssociatedExecution associatedRule(JsonCursor cursor, JsonCursor.Path at) throws MalformedDocumentException {
        String[] file = new String[1];
        List<FileDigest> programs = new ArrayList<>();
        boolean[] sawPrograms = new boolean[1];
        cursor.object(at, (name, path) -> {
            switch (name) {
                case "file" -> file[0] = cursor.string(path);
                case "programs" -> {
                    sawPrograms[0] = true;
                    cursor.array(path, 256, e -> programs.add(fileDigest(cursor, e)));
                }
                default -> throw cursor.schema(path, "is not a field of an associated-execution rule");
            }
        });
        require(cursor, at, "file", file[0]);
        require(cursor, at, "programs", sawPrograms[0] ? programs : null);
        try {
            return new AssociatedExecution(file[0], programs);
        } catch (IllegalArgumentException e) {
            throw cursor.schema(at, e.getMessage());
        }
    }

    private static FileDigest fileDigest(JsonCursor cursor, JsonCursor.Path at) throws MalformedDocumentException {
        String[] text = new String[2];
        cursor.object(at, (name, path) -> {
            switch (name) {
                case "path" -> text[0] = cursor.string(path);
                case "sha256" -> text[1] = cursor.string(path);
                default -> throw cursor.schema(path, "is not a field of a file digest");
            }
        });
        require(cursor, at, "path", text[0]);
        require(cursor, at, "sha256", text[1]);
        try {
            return new FileDigest(text[0], text[1]);
        } catch (IllegalArgumentException e) {
            throw cursor.schema(at, e.getMessage());
        }
    }

    private static Revocation revocation(JsonCursor cursor, JsonCursor.Path at) throws MalformedDocumentException {
        String[] text = new String[2];
        cursor.object(at, (name, path) -> {
            switch (name) {
                case "digest" -> text[0] = cursor.string(path);
                case "reason" -> text[1] = cursor.string(path);
                default -> throw cursor.schema(path, "is not a field of a revocation");
            }
        });
        require(cursor, at, "digest", text[0]);
        try {
            return new Revocation(text[0], text[1] == null ? "" : text[1]);
        } catch (IllegalArgumentException e) {
            throw cursor.schema(at, e.getMessage());
        }
    }

    private static Exemption exemption(JsonCursor cursor, JsonCursor.Path at) throws MalformedDocumentException {
        String[] text = new String[3]; // name, bundlePathPrefix, containerIdPattern
        Map<String, String> annotations = new LinkedHashMap<>();
        cursor.object(at, (name, path) -> {
            switch (name) {
                case "name" -> text[0] = cursor.string(path);
                case "bundlePathPrefix" -> text[1] = cursor.string(path);
                case "containerIdPattern" -> text[2] = cursor.string(path);
                case "annotations" -> cursor.object(path, (key, valuePath) -> {
                    if (annotations.size() >= 64) {
                        throw cursor.limit(path, 64);
                    }
                    annotations.put(key, cursor.string(valuePath));
                });
                default -> throw cursor.schema(path, "is not a field of an exemption");
            }
        });
        require(cursor, at, "name", text[0]);
        try {
            return new Exemption(text[0], annotations, Optional.ofNullable(text[1]), Optional.ofNullable(text[2]));
        } catch (IllegalArgumentException e) {
            throw cursor.schema(at, e.getMessage());
        }
    }

    /** The document as indented JSON with a final newline; empty optional parts are left out. */
    public static byte[] write(PolicyDocument document) {
        ObjectNode top = StrictJson.object();
        top.put("schema", PolicyDocument.SCHEMA);
        top.put("kind", document.kind().id());
        top.put("stream", document.stream());
        top.put("version", document.version());
        document.expires().ifPresent(e -> top.put("expires", e.toString()));
        if (!document.deviceIds().isEmpty()) {
            ArrayNode devices = top.putArray("deviceIds");
            document.deviceIds().forEach(devices::add);
        }
        ArrayNode images = top.putArray("images");
        for (ImageRule image : document.images()) {
            writeImage(images.addObject(), image);
        }
        if (document.kind() == PolicyKind.BASE) {
            ArrayNode revocations = top.putArray("revocations");
            for (Revocation revocation : document.revocations()) {
                ObjectNode r = revocations.addObject();
                r.put("digest", revocation.digest());
                if (!revocation.reason().isEmpty()) {
                    r.put("reason", revocation.reason());
                }
            }
            ArrayNode exemptions = top.putArray("exemptions");
            for (Exemption exemption : document.exemptions()) {
                ObjectNode e = exemptions.addObject();
                e.put("name", exemption.name());
                if (!exemption.annotations().isEmpty()) {
                    ObjectNode annotations = e.putObject("annotations");
                    exemption.annotations().forEach(annotations::put);
                }
                exemption.bundlePathPrefix().ifPresent(p -> e.put("bundlePathPrefix", p));
                exemption.containerIdPattern().ifPresent(p -> e.put("containerIdPattern", p));
            }
        }
        return StrictJson.write(top);
    }

    private static void writeImage(ObjectNode out, ImageRule image) {
        out.put("name", image.name());
        out.put("rootfsDigest", image.rootfsDigest());
        image.manifestDigest().ifPresent(d -> out.put("manifestDigest", d));
        out.put("mode", image.mode().id());
        ExecWhitelist exec = image.exec();
        if (!exec.isEmpty() || exec.manifest().isPresent()) {
            ObjectNode e = out.putObject("exec");
            if (!exec.files().isEmpty()) {
                ArrayNode files = e.putArray("files");
                for (FileDigest file : exec.files()) {
                    files.addObject().put("path", file.path()).put("sha256", file.sha256());
                }
            }
            if (!exec.extraSha256().isEmpty()) {
                ArrayNode extra = e.putArray("extraSha256");
                exec.extraSha256().forEach(extra::add);
            }
            exec.manifest().ifPresent(m -> e.putObject("manifest").put("digest", m.digest()).put("files", m.files()));
        }
        if (!image.protectedPaths().isEmpty()) {
            ArrayNode paths = out.putArray("protectedPaths");
            image.protectedPaths().forEach(paths::add);
        }
        if (!image.writablePaths().isEmpty()) {
            ArrayNode paths = out.putArray("writablePaths");
            image.writablePaths().forEach(paths::add);
        }
        if (!image.associatedExecution().isEmpty()) {
            ArrayNode rules = out.putArray("associatedExecution");
            for (AssociatedExecution rule : image.associatedExecution()) {
                ObjectNode r = rules.addObject();
                r.put("file", rule.file());
                ArrayNode programs = r.putArray("programs");
                for (FileDigest program : rule.programs()) {
                    programs.addObject().put("path", program.path()).put("sha256", program.sha256());
                }
            }
        }
    }
}
