package org.carapace.cli.policy;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import org.carapace.api.trust.KeyId;
import org.carapace.api.trust.Role;
import org.carapace.api.trust.RoleKeys;
import org.carapace.api.trust.TrustException;
import org.carapace.api.trust.TrustRoot;
import org.carapace.api.trust.TrustedKey;
import org.carapace.cli.CliException;
import org.carapace.cli.Output;
import org.carapace.cli.RuntimeConnection;
import org.carapace.policy.internal.EnvelopeCodec;
import org.carapace.policy.internal.RootCodec;
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

/** {@code carapace trust}: the device's trust root (keys and thresholds per role), its rotation and installation. */
@Command(name = "trust", mixinStandardHelpOptions = true,
    subcommands = {TrustCommand.Init.class, TrustCommand.Rotate.class, TrustCommand.Install.class, TrustCommand.Show.class},
    description = {"Create, rotate and install the trust root: which keys sign for each role",
        "(root, base-policy, additional-policy, ota, event-auth) and how many of them must."})
public final class TrustCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "Missing a command; see 'carapace trust --help'");
    }

    static final EnvelopeCodec ENVELOPES = new EnvelopeCodec(CliFiles.MAX_FILE, 64);
    static final RootCodec ROOTS = new RootCodec(CliFiles.MAX_FILE);

    /** Reads a signed root file and checks that it meets its own root threshold. */
    static TrustVerifier readRoot(Path file) throws CliException {
        try {
            return TrustVerifier.bootstrap(ENVELOPES.parse(CliFiles.read(file, "root")), ROOTS);
        } catch (TrustException e) {
            throw CliFiles.refused(e);
        }
    }

    /** Roles and keys from {@code --key ROLE=FILE} and {@code --threshold ROLE=N}. */
    static final class RoleOptions {
        @Option(names = "--key", paramLabel = "ROLE=FILE",
            description = "A key of a role (repeatable): root, base-policy, additional-policy, ota, event-auth; FILE is a public or "
                + "private key PEM.")
        List<String> keys = new ArrayList<>();

        @Option(names = "--threshold", paramLabel = "ROLE=N", description = "How many distinct keys of ROLE must sign (default 1).")
        List<String> thresholds = new ArrayList<>();

        @Option(names = "--expires", paramLabel = "TIME", description = "Expiry: 2030-01-01T00:00:00Z or +3650d. Default: none.")
        String expires;

        Map<Role, List<TrustedKey>> keysByRole() throws CliException {
            Map<Role, List<TrustedKey>> byRole = new EnumMap<>(Role.class);
            for (String entry : keys) {
                String[] pair = CliFiles.pair(entry, "--key");
                Role role = role(pair[0]);
                TrustedKey key = CliFiles.publicKey(Path.of(pair[1]));
                List<TrustedKey> list = byRole.computeIfAbsent(role, r -> new ArrayList<>());
                if (list.stream().anyMatch(k -> k.id().equals(key.id()))) {
                    throw CliException.usage("key " + key.id().shortForm() + " is given twice for role " + role);
                }
                list.add(key);
            }
            return byRole;
        }

        Map<Role, Integer> thresholdsByRole() throws CliException {
            Map<Role, Integer> byRole = new EnumMap<>(Role.class);
            for (String entry : thresholds) {
                String[] pair = CliFiles.pair(entry, "--threshold");
                try {
                    byRole.put(role(pair[0]), Integer.parseInt(pair[1]));
                } catch (NumberFormatException e) {
                    throw CliException.usage("--threshold " + entry + ": not a number");
                }
            }
            return byRole;
        }

        static Role role(String name) throws CliException {
            return Role.fromId(name).orElseThrow(() -> CliException.usage("unknown role '" + name
                + "' (root, base-policy, additional-policy, ota, event-auth)"));
        }
    }

    /** Builds a root; a threshold of 0, above the key count, or a missing required role is a usage error. */
    static TrustRoot build(long version, Optional<Instant> expires, Map<Role, List<TrustedKey>> keys, Map<Role, Integer> thresholds)
        throws CliException {
        Map<KeyId, TrustedKey> all = new LinkedHashMap<>();
        Map<Role, RoleKeys> roles = new EnumMap<>(Role.class);
        for (Map.Entry<Role, List<TrustedKey>> entry : keys.entrySet()) {
            Set<KeyId> ids = new LinkedHashSet<>();
            for (TrustedKey key : entry.getValue()) {
                all.put(key.id(), key);
                ids.add(key.id());
            }
            try {
                roles.put(entry.getKey(), new RoleKeys(ids, thresholds.getOrDefault(entry.getKey(), 1)));
            } catch (IllegalArgumentException e) {
                throw CliException.usage("role " + entry.getKey() + ": " + e.getMessage());
            }
        }
        for (Role role : thresholds.keySet()) {
            if (!keys.containsKey(role)) {
                throw CliException.usage("--threshold names role " + role + ", which has no --key");
            }
        }
        try {
            return new TrustRoot(version, expires, all, roles);
        } catch (IllegalArgumentException e) {
            throw CliException.usage(e.getMessage());
        }
    }

    static byte[] sign(TrustRoot root, List<Path> signers) throws CliException {
        List<SigningKey> keys = new ArrayList<>();
        for (Path file : signers) {
            keys.add(CliFiles.privateKey(file));
        }
        return EnvelopeCodec.write(EnvelopeCodec.sign(TrustRoot.PAYLOAD_TYPE, RootCodec.write(root), keys));
    }

    static void print(CommandSpec spec, Output output, String headline, TrustRoot root, Path file) {
        PrintWriter w = spec.commandLine().getOut();
        Map<String, Object> summary = StatusMaps.root(root);
        if (file != null) {
            summary.put("file", file.toString());
        }
        if (output.json()) {
            Output.printJson(w, summary);
            return;
        }
        w.printf("%s: trust root v%d%s%n", headline, root.version(), root.expires().map(e -> ", expires " + e).orElse(""));
        for (Map.Entry<Role, RoleKeys> entry : root.roles().entrySet()) {
            w.printf("  %-18s %d of %s%n", entry.getKey(), entry.getValue().threshold(),
                entry.getValue().keyIds().stream().map(KeyId::shortForm).toList());
        }
        w.flush();
    }

    /** {@code carapace trust init}. */
    @Command(name = "init", mixinStandardHelpOptions = true,
        description = {"Create the first trust root (version 1 unless --version), signed by its own root keys.",
            "Provision it on the device as the anchor, or install it with 'carapace trust install' where the runtime allows it.",
            "Roles root, base-policy and additional-policy are required; ota and event-auth are optional."})
    static final class Init implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        Output output;

        @Mixin
        RoleOptions roles;

        @Option(names = "--version", defaultValue = "1", description = "The root's version (default 1).")
        long version;

        @Option(names = "--sign", required = true, paramLabel = "PRIVATE_KEY",
            description = "Sign with this root key (repeat up to the root threshold).")
        List<Path> signers;

        @Option(names = {"-o", "--out"}, required = true, paramLabel = "FILE", description = "Where to write the signed root.")
        Path out;

        @Option(names = "--force", description = "Replace an existing file.")
        boolean force;

        @Override
        public Integer call() throws CliException {
            Optional<Instant> expires = roles.expires == null ? Optional.empty() : Optional.of(CliFiles.time(roles.expires, Instant.now()));
            TrustRoot root = build(version, expires, roles.keysByRole(), roles.thresholdsByRole());
            byte[] envelope = sign(root, signers);
            try {
                TrustVerifier.bootstrap(ENVELOPES.parse(envelope), ROOTS);
            } catch (TrustException e) {
                throw CliException.checkFailed("the signatures do not meet the root threshold: " + e.getMessage());
            }
            CliFiles.write(out, envelope, force, "root");
            CliFiles.shareable(out);
            print(spec, output, "wrote " + out, root, out);
            return 0;
        }
    }

    /** {@code carapace trust rotate}. */
    @Command(name = "rotate", mixinStandardHelpOptions = true,
        description = {"Create the next trust root (current version + 1) from the current one: roles given with --key get exactly",
            "those keys, other roles keep theirs. It must be signed by the root thresholds of both the current and the new root."})
    static final class Rotate implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        Output output;

        @Mixin
        RoleOptions roles;

        @Option(names = "--current", required = true, paramLabel = "ROOT", description = "The signed root now in force.")
        Path current;

        @Option(names = "--sign", required = true, paramLabel = "PRIVATE_KEY",
            description = "Sign with this key (old and new root keys, repeat as needed).")
        List<Path> signers;

        @Option(names = {"-o", "--out"}, required = true, paramLabel = "FILE", description = "Where to write the new signed root.")
        Path out;

        @Option(names = "--force", description = "Replace an existing file.")
        boolean force;

        @Override
        public Integer call() throws CliException {
            TrustVerifier old = readRoot(current);
            TrustRoot before = old.root();
            Map<Role, List<TrustedKey>> keys = new EnumMap<>(Role.class);
            Map<Role, Integer> thresholds = new EnumMap<>(Role.class);
            for (Map.Entry<Role, RoleKeys> entry : before.roles().entrySet()) {
                List<TrustedKey> list = new ArrayList<>();
                entry.getValue().keyIds().forEach(id -> list.add(before.keys().get(id)));
                keys.put(entry.getKey(), list);
                thresholds.put(entry.getKey(), entry.getValue().threshold());
            }
            Map<Role, List<TrustedKey>> replaced = roles.keysByRole();
            keys.putAll(replaced);
            for (Role role : replaced.keySet()) {
                thresholds.put(role, Math.min(thresholds.getOrDefault(role, 1), replaced.get(role).size()));
            }
            thresholds.putAll(roles.thresholdsByRole());
            Optional<Instant> expires = roles.expires == null ? before.expires() : Optional.of(CliFiles.time(roles.expires, Instant.now()));
            TrustRoot next = build(before.version() + 1, expires, keys, thresholds);
            byte[] envelope = sign(next, signers);
            try {
                old.rotate(ENVELOPES.parse(envelope), ROOTS);
            } catch (TrustException e) {
                throw CliException.checkFailed("the new root would be refused (" + e.reason() + "): " + e.getMessage());
            }
            CliFiles.write(out, envelope, force, "root");
            CliFiles.shareable(out);
            print(spec, output, "wrote " + out, next, out);
            return 0;
        }
    }

    /** {@code carapace trust install}. */
    @Command(name = "install", mixinStandardHelpOptions = true,
        description = {"Send a signed root to the running runtime: the next root (a rotation), or the first one where the",
            "runtime allows bootstrapping (dev profile). Exit 1 with the reason when the runtime refuses it."})
    static final class Install implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        Output output;

        @Mixin
        RuntimeConnection runtime;

        @Parameters(paramLabel = "ROOT", description = "The signed root file.")
        Path file;

        @Override
        public Integer call() throws CliException {
            Map<String, Object> root = CliFiles.send(runtime, "trust.install", file, "root");
            PrintWriter w = spec.commandLine().getOut();
            if (output.json()) {
                Output.printJson(w, root);
            } else {
                w.printf("trust root v%s is in force%n", root.get("version"));
                w.flush();
            }
            return 0;
        }
    }

    /** {@code carapace trust show}. */
    @Command(name = "show", mixinStandardHelpOptions = true,
        description = "Show a signed root file (checked against its own root threshold), or with --runtime the runtime's root.")
    static final class Show implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        Output output;

        @Mixin
        RuntimeConnection runtime;

        @Option(names = "--runtime", description = "Ask the running runtime.")
        boolean fromRuntime;

        @Parameters(paramLabel = "ROOT", arity = "0..1", description = "The signed root file.")
        Path file;

        @Override
        public Integer call() throws CliException {
            if (fromRuntime == (file != null)) {
                throw CliException.usage("give either a ROOT file or --runtime");
            }
            if (file != null) {
                print(spec, output, file.toString(), readRoot(file).root(), file);
                return 0;
            }
            Map<String, Object> status = runtime.call("trust.status", Map.of());
            PrintWriter w = spec.commandLine().getOut();
            if (output.json()) {
                Output.printJson(w, status);
            } else {
                w.printf("anchor %s%s, directory %s%n", status.get("anchor"),
                    Boolean.TRUE.equals(status.get("anchorPinned")) ? " (pinned)" : "", status.get("directory"));
                w.printf("root %s%n", status.get("root") == null ? "NONE" : status.get("root"));
                for (Object problem : (List<?>) status.get("problems")) {
                    w.println("PROBLEM: " + problem);
                }
                w.flush();
            }
            return status.get("root") == null ? CliException.CHECK_FAILED : 0;
        }
    }
}
