package org.carapace.policy.internal;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
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
 * {@code docs/policy.md}). Reading is strict and bounded by {@link PolicyLimits}: unknown fields, nulls, wrong types
 * and values the model refuses are schema errors naming the JSON path. An additional policy that so much as
 * mentions revocations or exemptions is a {@link RoleViolationException}. Immutable and thread-safe.
 */
public final class PolicyCodec {

    private static final String DOCUMENT = "policy document";

    private final PolicyLimits limits;
    private final StrictJson json;

    public PolicyCodec(PolicyLimits limits) {
        this.limits = limits;
        this.json = new StrictJson(limits.maxDocumentBytes(), limits.maxNestingDepth());
    }

    public PolicyLimits limits() {
        return limits;
    }

    /** Parses a policy document (the payload of a policy envelope). */
    public PolicyDocument parse(byte[] payload) throws MalformedDocumentException, RoleViolationException {
        Fields top = Fields.of(DOCUMENT, json.parseObject(payload, DOCUMENT));
        String schema = top.string("schema");
        if (!PolicyDocument.SCHEMA.equals(schema)) {
            throw top.error("schema", "unsupported schema '" + Fields.abbreviate(schema) + "', expected " + PolicyDocument.SCHEMA);
        }
        String kindName = top.string("kind");
        PolicyKind kind = PolicyKind.fromId(kindName)
            .orElseThrow(() -> top.error("kind", "must be 'base' or 'additional', is '" + Fields.abbreviate(kindName) + "'"));
        String stream = top.string("stream");
        long version = top.integer("version", 1, PolicyDocument.MAX_VERSION);
        if (kind == PolicyKind.ADDITIONAL && (top.has("revocations") || top.has("exemptions"))) {
            // the role limits what a document may say, whatever it says it (issue item 4)
            throw new RoleViolationException(kind, stream, "an additional policy may only add images; it carries "
                + (top.has("revocations") ? "revocations" : "exemptions"));
        }
        Optional<Instant> expires = top.optionalInstant("expires");
        List<String> deviceIds = top.strings("deviceIds", false, limits.maxDeviceIds());
        if (top.has("deviceIds") && deviceIds.isEmpty()) {
            throw top.error("deviceIds", "must name at least one device when present (leave it out for every device)");
        }
        List<ImageRule> images = new ArrayList<>();
        for (Fields image : top.objects("images", true, limits.maxImages())) {
            images.add(image(image));
        }
        List<Revocation> revocations = new ArrayList<>();
        for (Fields revocation : top.objects("revocations", false, limits.maxRevocations())) {
            String digest = revocation.string("digest");
            String reason = revocation.optionalString("reason").orElse("");
            revocation.end();
            revocations.add(model(revocation, () -> new Revocation(digest, reason)));
        }
        List<Exemption> exemptions = new ArrayList<>();
        for (Fields exemption : top.objects("exemptions", false, limits.maxExemptions())) {
            String name = exemption.string("name");
            Map<String, String> annotations = exemption.stringMap("annotations", 64);
            Optional<String> prefix = exemption.optionalString("bundlePathPrefix");
            Optional<String> pattern = exemption.optionalString("containerIdPattern");
            exemption.end();
            exemptions.add(model(exemption, () -> new Exemption(name, annotations, prefix, pattern)));
        }
        top.end();
        return model(top, () -> new PolicyDocument(kind, stream, version, expires, new LinkedHashSet<>(deviceIds), images,
            revocations, exemptions));
    }

    private ImageRule image(Fields image) throws MalformedDocumentException {
        String name = image.string("name");
        String rootfs = image.string("rootfsDigest");
        Optional<String> manifest = image.optionalString("manifestDigest");
        String modeName = image.optionalString("mode").orElse(EnforcementMode.ENFORCE.id());
        EnforcementMode mode = EnforcementMode.fromId(modeName)
            .orElseThrow(() -> image.error("mode", "must be 'enforce' or 'audit', is '" + Fields.abbreviate(modeName) + "'"));
        ExecWhitelist exec = ExecWhitelist.EMPTY;
        Optional<Fields> execFields = image.optionalObject("exec");
        if (execFields.isPresent()) {
            exec = exec(execFields.get());
        }
        List<String> protectedPaths = image.strings("protectedPaths", false, limits.maxPathsPerImage());
        List<String> writablePaths = image.strings("writablePaths", false, limits.maxPathsPerImage());
        List<AssociatedExecution> associated = new ArrayList<>();
        List<Fields> rules = image.objects("associatedExecution", false, limits.maxPathsPerImage());
        if (protectedPaths.size() + writablePaths.size() + rules.size() > limits.maxPathsPerImage()) {
            throw image.limit("protectedPaths+writablePaths+associatedExecution",
                protectedPaths.size() + writablePaths.size() + rules.size(), limits.maxPathsPerImage());
        }
        for (Fields rule : rules) {
            String file = rule.string("file");
            List<FileDigest> programs = new ArrayList<>();
            for (Fields program : rule.objects("programs", true, 256)) {
                programs.add(fileDigest(program));
            }
            rule.end();
            associated.add(model(rule, () -> new AssociatedExecution(file, programs)));
        }
        image.end();
        ExecWhitelist whitelist = exec;
        return model(image, () -> new ImageRule(name, rootfs, manifest, mode, whitelist, protectedPaths, writablePaths, associated));
    }

    private ExecWhitelist exec(Fields exec) throws MalformedDocumentException {
        List<Fields> files = exec.objects("files", false, limits.maxFilesPerImage());
        List<String> extra = exec.strings("extraSha256", false, limits.maxFilesPerImage());
        if (files.size() + extra.size() > limits.maxFilesPerImage()) {
            throw exec.limit("files+extraSha256", files.size() + extra.size(), limits.maxFilesPerImage());
        }
        List<FileDigest> digests = new ArrayList<>(files.size());
        for (Fields file : files) {
            digests.add(fileDigest(file));
        }
        Optional<ManifestReference> manifest = Optional.empty();
        Optional<Fields> manifestFields = exec.optionalObject("manifest");
        if (manifestFields.isPresent()) {
            Fields m = manifestFields.get();
            String digest = m.string("digest");
            long count = m.integer("files", 0, Long.MAX_VALUE);
            m.end();
            manifest = Optional.of(model(m, () -> new ManifestReference(digest, count)));
        }
        exec.end();
        Set<String> extraSet = new LinkedHashSet<>(extra);
        if (extraSet.size() != extra.size()) {
            throw exec.error("extraSha256", "lists a digest twice");
        }
        Optional<ManifestReference> m = manifest;
        return model(exec, () -> new ExecWhitelist(digests, extraSet, m));
    }

    private static FileDigest fileDigest(Fields file) throws MalformedDocumentException {
        String path = file.string("path");
        String sha = file.string("sha256");
        file.end();
        return model(file, () -> new FileDigest(path, sha));
    }

    private interface Constructor<T> {
        T make();
    }

    /** Builds a model value; its validation failures become schema errors at the object's path. */
    private static <T> T model(Fields at, Constructor<T> constructor) throws MalformedDocumentException {
        try {
            return constructor.make();
        } catch (IllegalArgumentException e) {
            throw at.error(e.getMessage());
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
