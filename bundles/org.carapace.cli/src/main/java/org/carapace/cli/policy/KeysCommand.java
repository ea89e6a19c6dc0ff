package org.carapace.cli.policy;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.carapace.api.trust.KeyAlgorithm;
import org.carapace.cli.CliException;
import org.carapace.cli.Output;
import org.carapace.policy.internal.PublicKeys;
import org.carapace.policy.internal.SigningKey;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code carapace keys}: signing keys for the back end and build pipelines (the device holds public keys only). */
@Command(name = "keys", mixinStandardHelpOptions = true, subcommands = KeysCommand.Generate.class,
    description = "Manage signing keys (PKCS#8 PEM private keys, SubjectPublicKeyInfo PEM public keys).")
public final class KeysCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "Missing a command; see 'carapace keys --help'");
    }

    /** {@code carapace keys generate}. */
    @Command(name = "generate", mixinStandardHelpOptions = true,
        description = {"Generate a key pair: the private key (mode 0600) and its public key next to it.",
            "The key id printed is the SHA-256 of the public key's DER SubjectPublicKeyInfo."})
    static final class Generate implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        Output output;

        @Option(names = "--algorithm", paramLabel = "ALG", defaultValue = "ed25519",
            description = "ed25519 (default) or ecdsa-p256-sha256.")
        String algorithm;

        @Option(names = {"-o", "--out"}, required = true, paramLabel = "FILE", description = "Where to write the private key.")
        Path out;

        @Option(names = "--public", paramLabel = "FILE", description = "Where to write the public key (default: FILE with .pub.pem).")
        Path publicOut;

        @Option(names = "--force", description = "Replace existing files.")
        boolean force;

        @Override
        public Integer call() throws CliException {
            KeyAlgorithm alg = KeyAlgorithm.fromId(algorithm)
                .orElseThrow(() -> CliException.usage("unknown algorithm '" + algorithm + "' (ed25519 or ecdsa-p256-sha256)"));
            Path pub = publicOut != null ? publicOut : publicPath(out);
            SigningKey key = SigningKey.generate(alg, new SecureRandom());
            CliFiles.write(out, key.toPem().getBytes(StandardCharsets.US_ASCII), force, "private key");
            CliFiles.write(pub, PublicKeys.toPem(key.publicKey()).getBytes(StandardCharsets.US_ASCII), force, "public key");
            CliFiles.shareable(pub);
            Map<String, Object> result = new LinkedHashMap<>();
            result.put("keyId", key.keyId().hex());
            result.put("algorithm", alg.id());
            result.put("privateKey", out.toString());
            result.put("publicKey", pub.toString());
            PrintWriter w = spec.commandLine().getOut();
            if (output.json()) {
                Output.printJson(w, result);
            } else {
                w.printf("%s key %s%n  private %s%n  public  %s%n", alg.id(), key.keyId().hex(), out, pub);
                w.flush();
            }
            return 0;
        }

        static Path publicPath(Path privateKey) {
            String name = privateKey.getFileName().toString();
            String base = name.endsWith(".pem") ? name.substring(0, name.length() - 4) : name;
            return privateKey.resolveSibling(base + ".pub.pem");
        }
    }
}
