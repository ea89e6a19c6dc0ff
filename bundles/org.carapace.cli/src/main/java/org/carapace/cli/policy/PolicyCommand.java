package org.carapace.cli.policy;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
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
import org.carapace.api.trust.Envelope;
import org.carapace.api.trust.ExpiredException;
import org.carapace.api.trust.KeyId;
import org.carapace.api.trust.TrustException;
import org.carapace.api.trust.VerifiedPayload;
import org.carapace.api.trust.WrongDeviceException;
import org.carapace.api.trust.WrongPayloadTypeException;
import org.carapace.cli.CliException;
import org.carapace.cli.Output;
import org.carapace.cli.RuntimeConnection;
import org.carapace.policy.internal.EnvelopeCodec;
import org.carapace.policy.internal.PolicyCodec;
import org.carapace.policy.internal.PolicyLimits;
import org.carapace.policy.internal.SigningKey;
import org.carapace.policy.internal.StatusMaps;
import org.carapace.policy.internal.TrustVerifier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code carapace policy}: write, sign, check and install the signed whitelist of images (schema carapace.policy/v1,
 * docs/policy.md). Unsigned documents are edited in place; {@code sign} turns one into a signed envelope.
 */
@Command(name = "policy", mixinStandardHelpOptions = true,
    subcommands = {PolicyCommand.Init.class, PolicyCommand.AddImage.class, PolicyCommand.Revoke.class, PolicyCommand.Exempt.class,
        PolicyCommand.Sign.class, PolicyCommand.Verify.class, PolicyCommand.Show.class, PolicyCommand.Install.class,
        PolicyCommand.Status.class},
    description = {"Write, sign, verify and install policies: the whitelist of images allowed to run on a device.",
        "A base policy (signed by base-policy keys) lists images, revocations and exemptions; an additional",
        "policy (signed by additional-policy keys) only adds images. See docs/policy.md."})
public final class PolicyCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "Missing a command; see 'carapace policy --help'");
    }

    static final PolicyCodec CODEC = new PolicyCodec(PolicyLimits.DEFAULTS);

    static PolicyDocument readDocument(Path file) throws CliException {
        try {
            return CODEC.parse(CliFiles.read(file, "policy document"));
        } catch (TrustException e) {
            throw CliException.usage(file + ": " + e.getMessage());
        }
    }

    static void writeDocument(Path file, PolicyDocument document, boolean force) throws CliException {
        CliFiles.write(file, PolicyCodec.write(document), force, "policy document");
    }

    static PolicyDocument with(PolicyDocument d, List<ImageRule> images, List<Revocation> revocations, List<Exemption> exemptions)
        throws CliException {
        try {
            return new PolicyDocument(d.kind(), d.stream(), d.version(), d.expires(), d.deviceIds(), images, revocations, exemptions);
        } catch (IllegalArgumentException e) {
            throw CliException.usage(e.getMessage());
        }
    }

    /** A document as a map for output: header, every image summarised, revocations, exemptions. */
    static Map<String, Object> describe(PolicyDocument document) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("schema", PolicyDocument.SCHEMA);
        out.put("kind", document.kind().id());
        out.put("stream", document.stream());
        out.put("version", document.version());
        out.put("expires", document.expires().map(Object::toString).orElse(null));
        out.put("deviceIds", new ArrayList<>(document.deviceIds()));
        List<Object> images = new ArrayList<>();
        document.images().forEach(i -> images.add(StatusMaps.rule(i)));
        out.put("images", images);
        List<Object> revocations = new ArrayList<>();
        for (Revocation r : document.revocations()) {
            revocations.add(Map.of("digest", r.digest(), "reason", r.reason()));
        }
        out.put("revocations", revocations);
        List<Object> exemptions = new ArrayList<>();
        document.exemptions().forEach(e -> exemptions.add(StatusMaps.exemption(e)));
        out.put("exemptions", exemptions);
        return out;
    }

    @SuppressWarnings("unchecked")
    static void printDocument(PrintWriter w, Map<String, Object> d) {
        w.printf("%s policy, stream %s, version %s%s%s%n", d.get("kind"), d.get("stream"), d.get("version"),
            d.get("expires") == null ? "" : ", expires " + d.get("expires"),
            ((List<?>) d.get("deviceIds")).isEmpty() ? ", any device" : ", devices " + d.get("deviceIds"));
        for (Object o : (List<Object>) d.get("images")) {
            Map<String, Object> i = (Map<String, Object>) o;
            w.printf("  image  %-30s %s %-7s exec %s files + %s digests%n", i.get("name"), i.get("rootfsDigest"), i.get("mode"),
                i.get("execFiles"), i.get("execExtraDigests"));
        }
        for (Object o : (List<Object>) d.get("revocations")) {
            Map<String, Object> r = (Map<String, Object>) o;
            w.printf("  revoke %s %s%n", r.get("digest"), r.get("reason"));
        }
        for (Object o : (List<Object>) d.get("exemptions")) {
            Map<String, Object> e = (Map<String, Object>) o;
            w.printf("  exempt %s: annotations %s, bundle prefix %s, container id %s%n", e.get("name"), e.get("annotations"),
                e.get("bundlePathPrefix"), e.get("containerIdPattern"));
        }
    }

    private static void done(CommandSpec spec, Output output, String line, PolicyDocument document) {
        PrintWriter w = spec.commandLine().getOut();
        if (output.json()) {
            Output.printJson(w, describe(document));
        } else {
            w.println(line);
            w.flush();
        }
    }

    /** {@code carapace policy init}. */
    @Command(name = "init", mixinStandardHelpOptions = true, description = "Start an unsigned policy document.")
    static final class Init implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        Output output;

        @Option(names = "--kind", defaultValue = "base", description = "base (default) or additional.")
        String kind;

        @Option(names = "--stream", paramLabel = "NAME", description = "An additional policy's stream name ([a-z0-9][a-z0-9._-]*).")
        String stream;

        @Option(names = "--version", defaultValue = "1", description = "The document's version (default 1).")
        long version;

        @Option(names = "--expires", paramLabel = "TIME", description = "Expiry: 2027-01-31T00:00:00Z or +90d. Default: none.")
        String expires;

        @Option(names = "--device", paramLabel = "ID", description = "Bind to this device (repeatable). Default: any device.")
        List<String> devices = new ArrayList<>();

        @Option(names = {"-o", "--out"}, required = true, paramLabel = "FILE")
        Path out;

        @Option(names = "--force", description = "Replace an existing file.")
        boolean force;

        @Override
        public Integer call() throws CliException {
            PolicyKind k = PolicyKind.fromId(kind).orElseThrow(() -> CliException.usage("--kind is base or additional"));
            String s = k == PolicyKind.BASE ? PolicyDocument.BASE_STREAM : stream;
            if (k == PolicyKind.ADDITIONAL && s == null) {
                throw CliException.usage("an additional policy needs --stream NAME");
            }
            if (k == PolicyKind.BASE && stream != null && !stream.equals(PolicyDocument.BASE_STREAM)) {
                throw CliException.usage("the base policy's stream is always 'base'");
            }
            Optional<Instant> expiry = expires == null ? Optional.empty() : Optional.of(CliFiles.time(expires, Instant.now()));
            PolicyDocument document;
            try {
                document = new PolicyDocument(k, s, version, expiry, new LinkedHashSet<>(devices), List.of(), List.of(), List.of());
            } catch (IllegalArgumentException e) {
                throw CliException.usage(e.getMessage());
            }
            writeDocument(out, document, force);
            done(spec, output, "wrote " + document.label() + " to " + out, document);
            return 0;
        }
    }

    /** {@code carapace policy add-image}. */
    @Command(name = "add-image", mixinStandardHelpOptions = true,
        description = "Add an image (by rootfs digest) and its runtime rules to an unsigned policy document.")
    static final class AddImage implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        Output output;

        @Parameters(paramLabel = "POLICY", description = "The unsigned policy document, edited in place.")
        Path file;

        @Option(names = "--name", required = true, description = "The image's name, e.g. navigation or registry/nav:4.2.")
        String name;

        @Option(names = "--rootfs-digest", required = true, paramLabel = "sha256:HEX")
        String rootfs;

        @Option(names = "--manifest-digest", paramLabel = "sha256:HEX", description = "Also pin the OCI manifest digest.")
        String manifest;

        @Option(names = "--mode", defaultValue = "enforce", description = "enforce (default) or audit.")
        String mode;

        @Option(names = "--exec", paramLabel = "PATH=SHA256", description = "Allow this executable or library (repeatable).")
        List<String> exec = new ArrayList<>();

        @Option(names = "--exec-list", paramLabel = "FILE",
            description = "Allow every {\"path\", \"sha256\"} of this JSON array (e.g. derived from the image's file manifest).")
        Path execList;

        @Option(names = "--extra-digest", paramLabel = "SHA256", description = "Allow this content at any path (repeatable).")
        List<String> extra = new ArrayList<>();

        @Option(names = "--manifest-ref", paramLabel = "sha256:HEX:FILES",
            description = "Record the per-file manifest the whitelist came from: its digest and file count.")
        String manifestRef;

        @Option(names = "--protected", paramLabel = "PATH", description = "Never writable (repeatable).")
        List<String> protectedPaths = new ArrayList<>();

        @Option(names = "--writable", paramLabel = "PATH", description = "Writable (repeatable).")
        List<String> writable = new ArrayList<>();

        @Option(names = "--associated", paramLabel = "FILE=PROGRAM@SHA256",
            description = "Only this program (path and content) may open FILE (repeatable; several programs per file allowed).")
        List<String> associated = new ArrayList<>();

        @Option(names = "--replace", description = "Replace an image with the same rootfs digest.")
        boolean replace;

        @Override
        public Integer call() throws CliException {
            PolicyDocument document = readDocument(file);
            ImageRule rule = rule();
            List<ImageRule> images = new ArrayList<>();
            boolean found = false;
            for (ImageRule image : document.images()) {
                if (image.rootfsDigest().equals(rule.rootfsDigest())) {
                    if (!replace) {
                        throw CliException.usage("the policy already lists " + rule.rootfsDigest() + " (" + image.name()
                            + "); use --replace");
                    }
                    images.add(rule);
                    found = true;
                } else {
                    images.add(image);
                }
            }
            if (!found) {
                images.add(rule);
            }
            PolicyDocument updated = with(document, images, document.revocations(), document.exemptions());
            writeDocument(file, updated, true);
            done(spec, output, (found ? "replaced " : "added ") + rule.name() + " " + rule.rootfsDigest() + " in " + file, updated);
            return 0;
        }

        private ImageRule rule() throws CliException {
            EnforcementMode m = EnforcementMode.fromId(mode).orElseThrow(() -> CliException.usage("--mode is enforce or audit"));
            try {
                List<FileDigest> files = new ArrayList<>();
                if (execList != null) {
                    files.addAll(ExecList.read(execList));
                }
                for (String entry : exec) {
                    String[] pair = CliFiles.pair(entry, "--exec");
                    files.add(new FileDigest(pair[0], pair[1]));
                }
                Optional<ManifestReference> reference = Optional.empty();
                if (manifestRef != null) {
                    int colon = manifestRef.lastIndexOf(':');
                    if (colon < 0) {
                        throw CliException.usage("--manifest-ref takes sha256:HEX:FILES");
                    }
                    reference = Optional.of(new ManifestReference(manifestRef.substring(0, colon),
                        Long.parseLong(manifestRef.substring(colon + 1))));
                }
                ExecWhitelist whitelist = new ExecWhitelist(files, new LinkedHashSet<>(extra), reference);
                Map<String, List<FileDigest>> programs = new LinkedHashMap<>();
                for (String entry : associated) {
                    String[] pair = CliFiles.pair(entry, "--associated");
                    int at = pair[1].lastIndexOf('@');
                    if (at <= 0) {
                        throw CliException.usage("--associated takes FILE=PROGRAM@SHA256, was '" + entry + "'");
                    }
                    programs.computeIfAbsent(pair[0], f -> new ArrayList<>())
                        .add(new FileDigest(pair[1].substring(0, at), pair[1].substring(at + 1)));
                }
                List<AssociatedExecution> rules = new ArrayList<>();
                programs.forEach((f, p) -> rules.add(new AssociatedExecution(f, p)));
                return new ImageRule(name, rootfs, Optional.ofNullable(manifest), m, whitelist, protectedPaths, writable, rules);
            } catch (IllegalArgumentException e) {
                throw CliException.usage(e.getMessage());
            }
        }
    }

    /** {@code carapace policy revoke}. */
    @Command(name = "revoke", mixinStandardHelpOptions = true,
        description = "Revoke a rootfs or manifest digest in an unsigned base policy: it never runs, whatever allows it.")
    static final class Revoke implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        Output output;

        @Parameters(paramLabel = "POLICY")
        Path file;

        @Option(names = "--digest", required = true, paramLabel = "sha256:HEX")
        String digest;

        @Option(names = "--reason", defaultValue = "", description = "Why, for people (e.g. a CVE id).")
        String reason;

        @Override
        public Integer call() throws CliException {
            PolicyDocument document = readDocument(file);
            if (document.kind() != PolicyKind.BASE) {
                throw CliException.usage("only the base policy revokes; " + file + " is an additional policy");
            }
            List<Revocation> revocations = new ArrayList<>(document.revocations());
            try {
                Revocation revocation = new Revocation(digest, reason);
                if (revocations.stream().noneMatch(r -> r.digest().equals(digest))) {
                    revocations.add(revocation);
                }
            } catch (IllegalArgumentException e) {
                throw CliException.usage(e.getMessage());
            }
            PolicyDocument updated = with(document, document.images(), revocations, document.exemptions());
            writeDocument(file, updated, true);
            done(spec, output, "revoked " + digest + " in " + file, updated);
            return 0;
        }
    }

    /** {@code carapace policy exempt}. */
    @Command(name = "exempt", mixinStandardHelpOptions = true,
        description = {"Add an exemption to an unsigned base policy: the platform's own containers the gate lets through.",
            "A deliberate hole: every criterion given must match; give at least one; prefer a bundle path prefix."})
    static final class Exempt implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        Output output;

        @Parameters(paramLabel = "POLICY")
        Path file;

        @Option(names = "--name", required = true)
        String name;

        @Option(names = "--annotation", paramLabel = "KEY=VALUE", description = "Required OCI annotation (repeatable).")
        List<String> annotations = new ArrayList<>();

        @Option(names = "--bundle-prefix", paramLabel = "PATH", description = "Required location of the OCI bundle directory.")
        String bundlePrefix;

        @Option(names = "--container-id", paramLabel = "REGEX", description = "Required container id pattern (whole id).")
        String containerId;

        @Override
        public Integer call() throws CliException {
            PolicyDocument document = readDocument(file);
            if (document.kind() != PolicyKind.BASE) {
                throw CliException.usage("only the base policy has exemptions; " + file + " is an additional policy");
            }
            Map<String, String> required = new LinkedHashMap<>();
            for (String entry : annotations) {
                String[] pair = CliFiles.pair(entry, "--annotation");
                required.put(pair[0], pair[1]);
            }
            List<Exemption> exemptions = new ArrayList<>();
            for (Exemption e : document.exemptions()) {
                if (!e.name().equals(name)) {
                    exemptions.add(e);
                }
            }
            try {
                exemptions.add(new Exemption(name, required, Optional.ofNullable(bundlePrefix), Optional.ofNullable(containerId)));
            } catch (IllegalArgumentException e) {
                throw CliException.usage(e.getMessage());
            }
            PolicyDocument updated = with(document, document.images(), document.revocations(), exemptions);
            writeDocument(file, updated, true);
            done(spec, output, "exemption " + name + " set in " + file, updated);
            return 0;
        }
    }

    /** {@code carapace policy sign}. */
    @Command(name = "sign", mixinStandardHelpOptions = true,
        description = {"Sign an unsigned policy document into a DSSE envelope (over the document's exact bytes).",
            "Sign with as many keys of the kind's role as its threshold requires."})
    static final class Sign implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        Output output;

        @Parameters(paramLabel = "POLICY")
        Path file;

        @Option(names = "--key", required = true, paramLabel = "PRIVATE_KEY", description = "Sign with this key (repeatable).")
        List<Path> keys;

        @Option(names = "--version", description = "Set the document's version before signing (the file is left as is).")
        Long version;

        @Option(names = {"-o", "--out"}, required = true, paramLabel = "FILE")
        Path out;

        @Option(names = "--force", description = "Replace an existing file.")
        boolean force;

        @Override
        public Integer call() throws CliException {
            byte[] payload = CliFiles.read(file, "policy document");
            PolicyDocument document = readDocument(file);
            if (version != null) {
                try {
                    document = new PolicyDocument(document.kind(), document.stream(), version, document.expires(), document.deviceIds(),
                        document.images(), document.revocations(), document.exemptions());
                } catch (IllegalArgumentException e) {
                    throw CliException.usage(e.getMessage());
                }
                payload = PolicyCodec.write(document);
            }
            Set<KeyId> seen = new LinkedHashSet<>();
            List<SigningKey> signers = CliFiles.signingKeys(keys, seen);
            byte[] envelope = EnvelopeCodec.write(EnvelopeCodec.sign(document.kind().payloadType(), payload, signers));
            CliFiles.write(out, envelope, force, "signed policy");
            CliFiles.shareable(out);
            Map<String, Object> result = describe(document);
            result.put("signers", seen.stream().map(KeyId::hex).toList());
            result.put("file", out.toString());
            PrintWriter w = spec.commandLine().getOut();
            if (output.json()) {
                Output.printJson(w, result);
            } else {
                w.printf("signed %s with %d key(s) into %s%n", document.label(), signers.size(), out);
                w.flush();
            }
            return 0;
        }
    }

    /** A signed policy verified as a device would verify it. */
    public record Verified(PolicyDocument document, VerifiedPayload payload) {
    }

    /**
     * Verifies a signed policy file against a trust root (signatures, schema, expiry at {@code when}, device binding
     * when {@code device} is given): {@code policy verify}, also used by {@code image scan}.
     *
     * @throws CliException exit 1 when the policy is refused, 2 when the file cannot be read
     */
    public static Verified verified(Path file, TrustVerifier verifier, Instant when, String device) throws CliException {
        try {
            Envelope envelope = TrustCommand.ENVELOPES.parse(CliFiles.read(file, "signed policy"));
            PolicyKind kind = PolicyKind.fromPayloadType(envelope.payloadType()).orElseThrow(() -> new WrongPayloadTypeException(
                PolicyKind.BASE.payloadType() + " or " + PolicyKind.ADDITIONAL.payloadType(), envelope.payloadType()));
            VerifiedPayload verified = verifier.verify(envelope, kind.role(), kind.payloadType(), when);
            PolicyDocument document = CODEC.parse(verified.payload());
            if (document.kind() != kind) {
                throw CliException.checkFailed("refused (SCHEMA): the document's kind is " + document.kind()
                    + " but its payload type is for " + kind);
            }
            if (document.expiredAt(when)) {
                throw new ExpiredException("policy " + document.label(), document.expires().orElseThrow(), when);
            }
            if (device != null && !document.boundTo(device)) {
                throw new WrongDeviceException(device, document.deviceIds());
            }
            return new Verified(document, verified);
        } catch (TrustException e) {
            throw CliFiles.refused(e);
        }
    }

    /** {@code carapace policy verify}. */
    @Command(name = "verify", mixinStandardHelpOptions = true,
        description = {"Verify a signed policy as a device would: signatures against the root's role threshold, the schema,",
            "expiry (at --at, default now) and, with --device, the device binding. Exit 1 with the reason if refused."})
    static final class Verify implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        Output output;

        @Parameters(paramLabel = "SIGNED_POLICY")
        Path file;

        @Option(names = "--root", required = true, paramLabel = "ROOT", description = "The signed trust root to verify against.")
        Path root;

        @Option(names = "--device", paramLabel = "ID", description = "Check the binding to this device.")
        String device;

        @Option(names = "--at", paramLabel = "TIME", description = "Check expiry at this time instead of now.")
        String at;

        @Override
        public Integer call() throws CliException {
            TrustVerifier verifier = TrustCommand.readRoot(root);
            Instant when = at == null ? Instant.now() : CliFiles.time(at, Instant.now());
            Verified result0 = verified(file, verifier, when, device);
            PolicyDocument document = result0.document();
            VerifiedPayload verified = result0.payload();
            Map<String, Object> result = describe(document);
            result.put("verified", true);
            result.put("role", document.kind().role().id());
            result.put("signers", verified.signers().stream().map(KeyId::hex).toList());
            result.put("rootVersion", verified.rootVersion());
            PrintWriter w = spec.commandLine().getOut();
            if (output.json()) {
                Output.printJson(w, result);
            } else {
                w.printf("OK: %s, signed by %d %s key(s) of root v%d%s%n", document.label(), verified.signers().size(),
                    document.kind().role(), verified.rootVersion(),
                    device == null && !document.deviceIds().isEmpty() ? "; bound to " + document.deviceIds() : "");
                w.flush();
            }
            return 0;
        }
    }

    /** {@code carapace policy show}. */
    @Command(name = "show", mixinStandardHelpOptions = true,
        description = {"Show a policy file (unsigned, or signed: its payload, NOT verified - use 'policy verify'),",
            "or with --runtime the running runtime's effective policy: versions, streams and every image."})
    static final class Show implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        Output output;

        @Mixin
        RuntimeConnection runtime;

        @Option(names = "--runtime", description = "Ask the running runtime.")
        boolean fromRuntime;

        @Parameters(paramLabel = "POLICY", arity = "0..1")
        Path file;

        @Override
        public Integer call() throws CliException {
            if (fromRuntime == (file != null)) {
                throw CliException.usage("give either a POLICY file or --runtime");
            }
            PrintWriter w = spec.commandLine().getOut();
            if (fromRuntime) {
                Map<String, Object> status = runtime.call("policy.status", Map.of("details", true));
                if (output.json()) {
                    Output.printJson(w, status);
                } else {
                    w.print(StatusMaps.policyText(status));
                    w.flush();
                }
                return 0;
            }
            byte[] bytes = CliFiles.read(file, "policy");
            Map<String, Object> shown;
            int signatures = -1;
            try {
                String head = new String(bytes, 0, Math.min(bytes.length, 4096), java.nio.charset.StandardCharsets.UTF_8);
                if (head.contains("\"payloadType\"")) {
                    Envelope envelope = TrustCommand.ENVELOPES.parse(bytes);
                    signatures = envelope.signatures().size();
                    shown = describe(CODEC.parse(envelope.payload()));
                    shown.put("payloadType", envelope.payloadType());
                    shown.put("signatures", envelope.signatures().stream().map(s -> s.keyId().hex()).toList());
                    shown.put("verified", false);
                } else {
                    shown = describe(CODEC.parse(bytes));
                }
            } catch (TrustException e) {
                throw CliException.usage(file + ": " + e.getMessage());
            }
            if (output.json()) {
                Output.printJson(w, shown);
            } else {
                printDocument(w, shown);
                if (signatures >= 0) {
                    w.printf("  %d signature(s), NOT verified here (carapace policy verify --root ROOT %s)%n", signatures, file);
                }
                w.flush();
            }
            return 0;
        }
    }

    /** {@code carapace policy install}. */
    @Command(name = "install", mixinStandardHelpOptions = true,
        description = {"Send a signed policy to the running runtime, which verifies it and makes it the version in force",
            "of its stream, or refuses it (exit 1, with the reason) and keeps the policy in force."})
    static final class Install implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        Output output;

        @Mixin
        RuntimeConnection runtime;

        @Parameters(paramLabel = "SIGNED_POLICY")
        Path file;

        @Override
        public Integer call() throws CliException {
            Map<String, Object> result = CliFiles.send(runtime, "policy.install", file, "signed policy");
            PrintWriter w = spec.commandLine().getOut();
            if (output.json()) {
                Output.printJson(w, result);
            } else if (Boolean.TRUE.equals(result.get("changed"))) {
                w.printf("installed %s policy %s v%s (was v%s); %s images in force, generation %s%n", result.get("kind"),
                    result.get("stream"), result.get("version"), result.get("previousVersion"), result.get("imageCount"),
                    result.get("generation"));
            } else {
                w.printf("%s policy %s v%s was already installed; nothing changed%n", result.get("kind"), result.get("stream"),
                    result.get("version"));
            }
            w.flush();
            return 0;
        }
    }

    /** {@code carapace policy status}. */
    @Command(name = "status", mixinStandardHelpOptions = true,
        description = "The running runtime's policy store: versions, streams, last refusal (exit 1 when no policy is in force).")
    static final class Status implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        Output output;

        @Mixin
        RuntimeConnection runtime;

        @Override
        public Integer call() throws CliException {
            Map<String, Object> status = runtime.call("policy.status", Map.of());
            PrintWriter w = spec.commandLine().getOut();
            if (output.json()) {
                Output.printJson(w, status);
            } else {
                w.print(StatusMaps.policyText(status));
                w.flush();
            }
            return "ACTIVE".equals(status.get("state")) ? 0 : CliException.CHECK_FAILED;
        }
    }
}
