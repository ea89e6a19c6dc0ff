package org.carapace.cli.image;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.carapace.api.image.HashOptions;
import org.carapace.api.policy.PolicyDocument;
import org.carapace.cli.CliException;
import org.carapace.cli.Output;
import org.carapace.cli.RuntimeConnection;
import org.carapace.cli.policy.PolicyCommand;
import org.carapace.cli.policy.TrustCommand;
import org.carapace.enforcement.internal.ImageStore;
import org.carapace.enforcement.internal.ImageStoreScanner;
import org.carapace.enforcement.internal.ScanPolicy;
import org.carapace.imagehash.internal.ImageHashEngine;
import org.carapace.policy.internal.TrustVerifier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code carapace image scan}: the at-rest scan of image stores against a signed policy (docs/at-rest-scan.md). */
@Command(name = "scan", mixinStandardHelpOptions = true,
    description = {"Check every image of the given stores against a signed policy before anyone runs it: tampered "
        + "(a blob that does not match its descriptor, or content that differs from the allowed image of its name), "
        + "revoked, or unknown.",
        "STORE: oci:DIR (an OCI image layout: every image of its index.json) or podman:ROOT (containers/storage with the "
            + "vfs driver, e.g. /var/lib/containers/storage).",
        "With --runtime the running runtime scans its configured stores against its effective policy.",
        "Exit 0 when every image is allowed, 1 when any is tampered, revoked, unknown or not checked, 2 on bad input."})
final class ImageScanCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    Output output;

    @Mixin
    RuntimeConnection runtime;

    @Option(names = "--runtime", description = "Ask the running runtime to scan its configured stores now.")
    boolean fromRuntime;

    @Option(names = "--store", paramLabel = "STORE", description = "A store to scan (repeatable): oci:DIR or podman:ROOT.")
    List<String> stores = new ArrayList<>();

    @Option(names = "--policy", paramLabel = "SIGNED_POLICY",
        description = "A signed policy (repeatable: a base and additional ones); verified against --root.")
    List<Path> policies = new ArrayList<>();

    @Option(names = "--root", paramLabel = "TRUST_ROOT", description = "The signed trust root the policies are verified against.")
    Path root;

    @Option(names = "--device", paramLabel = "ID", description = "Check the policies' binding to this device.")
    String device;

    @Option(names = "--manifests", paramLabel = "DIR",
        description = "Manifests of the allowed images (sha256-<hex>.json, as the gate keeps them), to name differing paths.")
    Path manifests;

    @Option(names = "--max-images", paramLabel = "N", defaultValue = "1000",
        description = "Images checked at most (default ${DEFAULT-VALUE}).")
    int maxImages;

    @Option(names = "--image-budget", paramLabel = "SECONDS", defaultValue = "600",
        description = "Time budget per image (default ${DEFAULT-VALUE}).")
    int budgetSeconds;

    @Option(names = "--max-differences", paramLabel = "N", defaultValue = "5", description = "Differing paths named per image.")
    int maxDifferences;

    @Option(names = "--xattr", paramLabel = "NAME",
        description = "Extended attribute the digest covers (repeatable; replaces the default security.capability).")
    List<String> xattrs = new ArrayList<>();

    @Override
    public Integer call() throws CliException {
        Map<String, Object> result;
        if (fromRuntime) {
            if (!stores.isEmpty() || !policies.isEmpty() || root != null || manifests != null) {
                throw CliException.usage("--runtime scans the runtime's configured stores against its policy: "
                    + "--store, --policy, --root and --manifests do not apply");
            }
            result = runtime.call("image.scan", Map.of());
        } else {
            result = scanLocally();
        }
        print(result);
        return Boolean.TRUE.equals(result.get("clean")) ? 0 : CliException.CHECK_FAILED;
    }

    private Map<String, Object> scanLocally() throws CliException {
        if (stores.isEmpty()) {
            throw CliException.usage("give at least one --store oci:DIR or --store podman:ROOT (or --runtime)");
        }
        if (policies.isEmpty() || root == null) {
            throw CliException.usage("give the signed policy with --policy SIGNED_POLICY and its trust root with --root TRUST_ROOT");
        }
        List<ImageStore> parsed = new ArrayList<>();
        Path here = Path.of("").toAbsolutePath();
        for (String store : stores) {
            try {
                parsed.add(ImageStore.parse(store, here));
            } catch (IllegalArgumentException e) {
                throw CliException.usage(e.getMessage());
            }
        }
        TrustVerifier verifier = TrustCommand.readRoot(root);
        Instant now = Instant.now();
        List<PolicyDocument> documents = new ArrayList<>();
        for (Path policy : policies) {
            documents.add(PolicyCommand.verified(policy, verifier, now, device).document());
        }
        ImageStoreScanner.Settings settings;
        try {
            HashOptions options = HashOptions.defaults().withStrict(true);
            if (!xattrs.isEmpty()) {
                options = options.withXattrNames(Set.copyOf(xattrs));
            }
            settings = new ImageStoreScanner.Settings(options, maxImages, TimeUnit.SECONDS.toNanos(budgetSeconds),
                maxDifferences, 16L << 20);
        } catch (IllegalArgumentException e) {
            throw CliException.usage(e.getMessage());
        }
        try (ImageHashEngine engine = new ImageHashEngine(org.carapace.imagehash.internal.ImageLimits.DEFAULTS, 0, 0)) {
            ImageStoreScanner.ManifestLookup lookup = ImageStoreScanner.ManifestLookup.NONE;
            if (manifests != null) {
                try {
                    lookup = ImageStoreScanner.manifestDirectory(manifests, engine, 256 << 20);
                } catch (IOException e) {
                    throw CliException.usage("--manifests: " + e.getMessage());
                }
            }
            return new ImageStoreScanner(engine, lookup, settings).scan(parsed, ScanPolicy.of(documents), () -> false).toMap();
        }
    }

    @SuppressWarnings("unchecked")
    private void print(Map<String, Object> result) {
        PrintWriter out = spec.commandLine().getOut();
        if (output.json()) {
            Output.printJson(out, result);
            return;
        }
        for (Object item : (List<Object>) result.getOrDefault("images", List.of())) {
            Map<String, Object> image = (Map<String, Object>) item;
            List<String> names = (List<String>) image.getOrDefault("names", List.of());
            out.printf("%-10s %s %s%s%n", image.get("status"), image.get("store"),
                names.isEmpty() ? image.get("reference") : String.join(", ", names),
                image.containsKey("rootfsDigest") ? "  " + image.get("rootfsDigest") : "");
            if (!"OK".equals(image.get("status"))) {
                out.printf("           %s%n", image.get("reason"));
                for (String difference : (List<String>) image.getOrDefault("differences", List.of())) {
                    out.printf("           differs at %s%n", difference);
                }
                for (String blob : (List<String>) image.getOrDefault("blobs", List.of())) {
                    out.printf("           blob %s%n", blob);
                }
            }
        }
        Map<String, Object> counts = (Map<String, Object>) result.getOrDefault("counts", Map.of());
        out.printf("%s: %s%s%s%n", Boolean.TRUE.equals(result.get("clean")) ? "clean" : "FINDINGS", counts,
            ((Number) result.getOrDefault("skipped", 0)).intValue() > 0 ? ", " + result.get("skipped") + " not checked (limit)" : "",
            result.containsKey("policy") ? " against " + result.get("policy") : "");
        out.flush();
    }
}
