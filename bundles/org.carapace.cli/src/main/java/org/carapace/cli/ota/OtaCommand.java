package org.carapace.cli.ota;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.carapace.api.ota.OtaException;
import org.carapace.api.trust.Envelope;
import org.carapace.api.trust.EnvelopeSignature;
import org.carapace.api.trust.KeyId;
import org.carapace.api.trust.Role;
import org.carapace.api.trust.TrustException;
import org.carapace.cli.CliException;
import org.carapace.cli.Output;
import org.carapace.cli.RuntimeConnection;
import org.carapace.cli.policy.CliFiles;
import org.carapace.cli.policy.TrustCommand;
import org.carapace.ota.internal.PackageArchive;
import org.carapace.ota.internal.PackageLimits;
import org.carapace.ota.internal.PackageMetadata;
import org.carapace.policy.internal.EnvelopeCodec;
import org.carapace.policy.internal.SigningKey;
import org.carapace.policy.internal.TrustVerifier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code carapace ota}: make, sign and inspect over-the-air bundle update packages (docs/ota.md), and ask a running
 * runtime how its updates went.
 */
@Command(name = "ota", mixinStandardHelpOptions = true,
    subcommands = {OtaCommand.Package.class, OtaCommand.Sign.class, OtaCommand.Inspect.class, OtaCommand.Status.class,
        SendCommand.class},
    description = {"Over-the-air bundle updates: a package is a ZIP with signed metadata (DSSE, the trust root's ota role,",
        "k-of-n) and the bundle jars. Make one with 'package', sign it with as many ota keys as the threshold",
        "requires ('sign', once per signer or with several --key), check it with 'inspect --root', drop it into the",
        "runtime's inbox. See docs/ota.md."})
public final class OtaCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "Missing a command; see 'carapace ota --help'");
    }

    static final EnvelopeCodec ENVELOPES = new EnvelopeCodec(PackageLimits.DEFAULTS.maxMetadataBytes(), 16);

    static PackageArchive.Raw raw(Path file) throws CliException {
        try {
            return PackageArchive.readRaw(file, PackageLimits.DEFAULTS);
        } catch (OtaException e) {
            throw CliException.usage(file + ": " + e.reason() + ": " + e.getMessage());
        } catch (IOException e) {
            throw CliException.usage("cannot read package " + file + ": " + e.getMessage());
        }
    }

    static Envelope envelope(Path file, byte[] json) throws CliException {
        try {
            return ENVELOPES.parse(json);
        } catch (TrustException e) {
            throw CliException.usage(file + ": metadata envelope: " + e.getMessage());
        }
    }

    static PackageMetadata metadata(Path file, Envelope envelope) throws CliException {
        if (!PackageMetadata.PAYLOAD_TYPE.equals(envelope.payloadType())) {
            throw CliException.usage(file + ": the metadata's payload type is " + envelope.payloadType() + ", not "
                + PackageMetadata.PAYLOAD_TYPE);
        }
        try {
            return PackageMetadata.parse(envelope.payload(), PackageLimits.DEFAULTS);
        } catch (TrustException e) {
            throw CliException.usage(file + ": " + e.getMessage());
        }
    }

    static Map<String, Object> describe(PackageMetadata metadata, Envelope envelope) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("schema", PackageMetadata.SCHEMA);
        out.put("name", metadata.name());
        out.put("expires", metadata.expires().toString());
        out.put("deviceIds", new ArrayList<>(metadata.deviceIds()));
        out.put("hardwareIds", new ArrayList<>(metadata.hardwareIds()));
        List<Object> bundles = new ArrayList<>();
        for (PackageMetadata.BundleEntry b : metadata.bundles()) {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("symbolicName", b.symbolicName());
            entry.put("version", b.version());
            entry.put("file", b.file());
            entry.put("sha256", b.sha256());
            entry.put("length", b.length());
            entry.put("releaseCounter", b.releaseCounter());
            bundles.add(entry);
        }
        out.put("bundles", bundles);
        out.put("signatures", envelope.signatures().stream().map(s -> s.keyId().hex()).toList());
        return out;
    }

    @SuppressWarnings("unchecked")
    static void print(PrintWriter w, Map<String, Object> d) {
        w.printf("package %s, expires %s, devices %s, hardware %s, %d signature(s)%n", d.get("name"), d.get("expires"),
            ((List<?>) d.get("deviceIds")).isEmpty() ? "any" : d.get("deviceIds"),
            ((List<?>) d.get("hardwareIds")).isEmpty() ? "any" : d.get("hardwareIds"), ((List<?>) d.get("signatures")).size());
        for (Object o : (List<Object>) d.get("bundles")) {
            Map<String, Object> b = (Map<String, Object>) o;
            w.printf("  bundle %-32s %-14s counter %-6s %s %s bytes%n", b.get("symbolicName"), b.get("version"), b.get("releaseCounter"),
                b.get("sha256"), b.get("length"));
        }
    }

    private static void done(CommandSpec spec, Output output, Map<String, Object> result, String line) {
        PrintWriter w = spec.commandLine().getOut();
        if (output.json()) {
            Output.printJson(w, result);
        } else {
            w.println(line);
            w.flush();
        }
    }

    /** {@code carapace ota package}. */
    @Command(name = "package", mixinStandardHelpOptions = true,
        description = {"Make an unsigned update package from bundle jars: metadata with each jar's symbolic name, version,",
            "SHA-256, length and release counter, the expiry and the device and hardware bindings. Sign it next."})
    static final class Package implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        Output output;

        @Option(names = "--name", required = true, description = "The package's name ([A-Za-z0-9][A-Za-z0-9._-]*).")
        String name;

        @Option(names = "--jar", required = true, paramLabel = "BUNDLE_JAR", description = "A bundle to update (repeatable).")
        List<Path> jars;

        @Option(names = "--counter", required = true, paramLabel = "N",
            description = "Release counter of every bundle in the package; must exceed the device's installed counter.")
        long counter;

        @Option(names = "--expires", required = true, paramLabel = "TIME", description = "Expiry: 2027-01-31T00:00:00Z or +30d.")
        String expires;

        @Option(names = "--device", paramLabel = "ID", description = "Bind to this device (repeatable). Default: any device.")
        List<String> devices = new ArrayList<>();

        @Option(names = "--hardware", paramLabel = "ID", description = "Bind to this hardware id (repeatable). Default: any hardware.")
        List<String> hardware = new ArrayList<>();

        @Option(names = {"-o", "--out"}, required = true, paramLabel = "FILE")
        Path out;

        @Option(names = "--force", description = "Replace an existing file.")
        boolean force;

        @Override
        public Integer call() throws CliException {
            Instant expiry = CliFiles.time(expires, Instant.now());
            List<PackageMetadata.BundleEntry> entries = new ArrayList<>();
            Map<String, byte[]> members = new LinkedHashMap<>();
            for (Path jar : jars) {
                byte[] bytes = CliFiles.read(jar, "bundle jar");
                PackageArchive.Identity identity;
                try {
                    identity = PackageArchive.identity(new java.io.ByteArrayInputStream(bytes), jar.toString());
                } catch (OtaException | IOException e) {
                    throw CliException.usage(e.getMessage());
                }
                String member = "bundles/" + identity.symbolicName() + "-" + identity.version() + ".jar";
                try {
                    entries.add(new PackageMetadata.BundleEntry(identity.symbolicName(), identity.version(), member,
                        PackageArchive.sha256Hex(bytes), bytes.length, counter));
                } catch (IllegalArgumentException e) {
                    throw CliException.usage(jar + ": " + e.getMessage());
                }
                members.put(member, bytes);
            }
            PackageMetadata metadata;
            try {
                metadata = new PackageMetadata(name, expiry, new LinkedHashSet<>(devices), new LinkedHashSet<>(hardware), entries);
            } catch (IllegalArgumentException e) {
                throw CliException.usage(e.getMessage());
            }
            Envelope unsigned = new Envelope(PackageMetadata.PAYLOAD_TYPE, metadata.write(), List.of());
            CliFiles.write(out, PackageArchive.write(EnvelopeCodec.write(unsigned), members), force, "package");
            CliFiles.shareable(out);
            Map<String, Object> result = describe(metadata, unsigned);
            result.put("file", out.toString());
            done(spec, output, result, "wrote unsigned package " + name + " with " + entries.size() + " bundle(s) to " + out
                + "; sign it with 'carapace ota sign'");
            return 0;
        }
    }

    /** {@code carapace ota sign}. */
    @Command(name = "sign", mixinStandardHelpOptions = true,
        description = {"Add signatures to a package's metadata (DSSE, over its exact bytes) with ota keys. Signatures already",
            "present stay: signers can sign one after another until the role's threshold is met."})
    static final class Sign implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        Output output;

        @Parameters(paramLabel = "PACKAGE")
        Path file;

        @Option(names = "--key", required = true, paramLabel = "PRIVATE_KEY", description = "Sign with this key (repeatable).")
        List<Path> keys;

        @Option(names = {"-o", "--out"}, required = true, paramLabel = "FILE",
            description = "The signed package (may be PACKAGE itself with --force).")
        Path out;

        @Option(names = "--force", description = "Replace an existing file.")
        boolean force;

        @Override
        public Integer call() throws CliException {
            PackageArchive.Raw raw = raw(file);
            Envelope envelope = envelope(file, raw.envelope());
            PackageMetadata metadata = metadata(file, envelope);
            Set<KeyId> present = new LinkedHashSet<>();
            envelope.signatures().forEach(s -> present.add(s.keyId()));
            List<SigningKey> signers = CliFiles.signingKeys(keys, present);
            List<EnvelopeSignature> signatures = new ArrayList<>(envelope.signatures());
            signatures.addAll(EnvelopeCodec.sign(envelope.payloadType(), envelope.payload(), signers).signatures());
            Envelope signed = new Envelope(envelope.payloadType(), envelope.payload(), signatures);
            CliFiles.write(out, PackageArchive.write(EnvelopeCodec.write(signed), raw.members()), force, "signed package");
            CliFiles.shareable(out);
            Map<String, Object> result = describe(metadata, signed);
            result.put("file", out.toString());
            done(spec, output, result, "signed package " + metadata.name() + " with " + signers.size() + " key(s) ("
                + signatures.size() + " signature(s) in all) into " + out);
            return 0;
        }
    }

    /** {@code carapace ota inspect}. */
    @Command(name = "inspect", mixinStandardHelpOptions = true,
        description = {"Show a package and check every jar's SHA-256 and length against its metadata. With --root, verify it",
            "as a device would: signatures against the ota role's threshold, member names, manifests, expiry (at --at),",
            "and with --device / --hardware the bindings. Exit 1 with the reason if a check fails."})
    static final class Inspect implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        Output output;

        @Parameters(paramLabel = "PACKAGE")
        Path file;

        @Option(names = "--root", paramLabel = "ROOT", description = "The signed trust root to verify against.")
        Path root;

        @Option(names = "--device", paramLabel = "ID", description = "Check the binding to this device.")
        String device;

        @Option(names = "--hardware", paramLabel = "ID", description = "Check the binding to this hardware id.")
        String hardware;

        @Option(names = "--at", paramLabel = "TIME", description = "Check expiry at this time instead of now.")
        String at;

        @Override
        public Integer call() throws CliException {
            PackageArchive.Raw raw = raw(file);
            Envelope envelope = envelope(file, raw.envelope());
            PackageMetadata metadata = metadata(file, envelope);
            Map<String, Object> result = describe(metadata, envelope);
            List<String> problems = new ArrayList<>();
            for (PackageMetadata.BundleEntry b : metadata.bundles()) {
                byte[] jar = raw.members().get(b.file());
                if (jar == null) {
                    problems.add("MALFORMED: " + b.file() + " is missing");
                } else if (jar.length != b.length()) {
                    problems.add("LENGTH_MISMATCH: " + b.file() + " holds " + jar.length + " bytes, the metadata says " + b.length());
                } else if (!PackageArchive.sha256Hex(jar).equals(b.sha256())) {
                    problems.add("HASH_MISMATCH: " + b.file() + " has sha256 " + PackageArchive.sha256Hex(jar));
                }
            }
            if (root != null && problems.isEmpty()) {
                verify(result, problems);
            }
            result.put("verified", root != null && problems.isEmpty());
            result.put("problems", problems);
            PrintWriter w = spec.commandLine().getOut();
            if (output.json()) {
                Output.printJson(w, result);
            } else {
                print(w, result);
                problems.forEach(p -> w.println("  REFUSED " + p));
                w.println(!problems.isEmpty() ? "REFUSED" : root == null ? "hashes and lengths OK; signatures NOT verified (use --root)"
                    : "OK: signed by " + result.get("signers") + " of root v" + result.get("rootVersion"));
                w.flush();
            }
            return problems.isEmpty() ? 0 : CliException.CHECK_FAILED;
        }

        private void verify(Map<String, Object> result, List<String> problems) throws CliException {
            TrustVerifier verifier = TrustCommand.readRoot(root);
            Instant when = at == null ? Instant.now() : CliFiles.time(at, Instant.now());
            Path staging;
            try {
                staging = Files.createTempDirectory("carapace-ota-inspect");
            } catch (IOException e) {
                throw CliException.usage("cannot create a temporary directory: " + e.getMessage());
            }
            try {
                PackageArchive.Staged staged = PackageArchive.readVerified(file, PackageLimits.DEFAULTS,
                    json -> verifier.verify(ENVELOPES.parse(json), Role.OTA, PackageMetadata.PAYLOAD_TYPE, when), staging);
                staged.metadata().requireNotExpired(when);
                if (device != null) {
                    staged.metadata().requireDevice(device);
                }
                if (hardware != null) {
                    staged.metadata().requireHardware(hardware);
                }
                result.put("signers", staged.payload().signers().stream().map(KeyId::hex).toList());
                result.put("rootVersion", staged.payload().rootVersion());
            } catch (OtaException e) {
                problems.add(e.reason() + ": " + e.getMessage());
            } catch (IOException e) {
                throw CliException.usage("cannot read package " + file + ": " + e.getMessage());
            } finally {
                deleteTree(staging);
            }
        }
    }

    static void deleteTree(Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) files.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            // a temporary directory left behind is harmless
        }
    }

    /** {@code carapace ota status}. */
    @Command(name = "status", mixinStandardHelpOptions = true,
        description = {"Ask the running runtime: installed bundles and release counters, the inbox, an update in progress and",
            "the recent outcomes (active, rolled back, refused, with reasons). Exit 1 if the last update did not succeed",
            "or the installer is not working."})
    static final class Status implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        Output output;

        @Mixin
        RuntimeConnection runtime;

        @Override
        @SuppressWarnings("unchecked")
        public Integer call() throws CliException {
            Map<String, Object> status = runtime.call("ota.status", Map.of());
            PrintWriter w = spec.commandLine().getOut();
            if (output.json()) {
                Output.printJson(w, status);
            } else {
                w.printf("OTA: inbox %s, %s, state generation %s%n", status.get("inbox"), status.get("busy") == Boolean.TRUE
                    ? "an update is in progress" : "idle", status.get("generation"));
                if (status.get("problem") != null) {
                    w.println("  PROBLEM: " + status.get("problem"));
                }
                for (Object o : (List<Object>) status.get("installed")) {
                    Map<String, Object> b = (Map<String, Object>) o;
                    w.printf("  installed %-32s %-14s counter %-6s from %s%s%n", b.get("symbolicName"), b.get("version"),
                        b.get("releaseCounter"), b.get("package"), Boolean.TRUE.equals(b.get("running")) ? "" : " (NOT running)");
                }
                for (Object o : (List<Object>) status.get("recent")) {
                    Map<String, Object> r = (Map<String, Object>) o;
                    w.printf("  %s %-12s %s%s%s%n", r.get("time"), r.get("state"), r.get("package"),
                        r.get("command") == null ? "" : " (command " + r.get("command") + ")",
                        r.get("reason") == null ? "" : ": " + r.get("reason") + " " + r.get("message"));
                }
                w.flush();
            }
            List<Object> recent = (List<Object>) status.get("recent");
            boolean lastFailed = !recent.isEmpty() && !"active".equals(((Map<String, Object>) recent.get(0)).get("state"));
            return lastFailed || status.get("problem") != null ? CliException.CHECK_FAILED : 0;
        }
    }
}
