package org.carapace.cli.gate;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import org.carapace.cli.CliException;
import org.carapace.cli.Output;
import org.carapace.cli.RuntimeConnection;
import org.carapace.cli.policy.CliFiles;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code carapace gate}: the running runtime's container gate. */
@Command(name = "gate", mixinStandardHelpOptions = true,
    description = {"The container gate of the running runtime: what it holds and what it decided.",
        "Container creations are decided by the OCI hook (bin/carapace-install-hook), not from here."},
    subcommands = {GateCommand.Status.class, GateCommand.Manifest.class})
public final class GateCommand {

    private GateCommand() {
    }

    /** {@code carapace gate status}. */
    @Command(name = "status", mixinStandardHelpOptions = true,
        description = "Manifests held, the policy generation in force, decisions so far and the most recent ones.")
    static final class Status implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        Output output;

        @Mixin
        RuntimeConnection runtime;

        @Override
        public Integer call() throws CliException {
            Map<String, Object> status = runtime.call("gate.status", Map.of());
            PrintWriter w = spec.commandLine().getOut();
            if (output.json()) {
                Output.printJson(w, status);
                return 0;
            }
            w.printf("policy generation %s, %s images allowed; %s manifests in %s%n", status.get("policyGeneration"),
                status.get("policyImages"), status.get("manifests"), status.get("manifestDir"));
            w.printf("decisions: %s%n", status.get("decisions"));
            Object recent = status.get("recent");
            if (recent instanceof List<?> list) {
                for (Object entry : list) {
                    if (entry instanceof Map<?, ?> d) {
                        String id = String.valueOf(d.get("containerId"));
                        // podman's ids are 64 hex digits: their first 12, as podman ps shows them
                        w.printf("  %-6s %-24s %-16s %s%n", d.get("verdict"), id.matches("[0-9a-f]{64}") ? id.substring(0, 12) : id,
                            d.get("image") == null ? "-" : d.get("image"), d.get("reason"));
                        if (d.get("differences") instanceof List<?> differences) {
                            differences.forEach(x -> w.printf("         differs at %s%n", x));
                        }
                    }
                }
            }
            w.flush();
            return 0;
        }
    }

    /** {@code carapace gate manifest}. */
    @Command(name = "manifest", mixinStandardHelpOptions = true,
        description = "Per-file manifests of allowed images: the gate matches bundles whose mount points hide files with them.",
        subcommands = {Manifest.Add.class})
    static final class Manifest {

        /** {@code carapace gate manifest add}. */
        @Command(name = "add", mixinStandardHelpOptions = true,
            description = {"Give the runtime an image's manifest ('carapace image digest --manifest FILE').",
                "The manifest certifies itself: the runtime recomputes its rootfs digest from its entries.",
                "Exit 1 when it does not."})
        static final class Add implements Callable<Integer> {
            @Spec
            CommandSpec spec;

            @Mixin
            Output output;

            @Mixin
            RuntimeConnection runtime;

            @Parameters(paramLabel = "MANIFEST")
            Path file;

            @Override
            public Integer call() throws CliException {
                byte[] json = CliFiles.read(file, "manifest");
                Map<String, Object> result = runtime.call("gate.manifest.add",
                    Map.of("manifest", Base64.getEncoder().encodeToString(json)));
                PrintWriter w = spec.commandLine().getOut();
                if (output.json()) {
                    Output.printJson(w, result);
                } else {
                    w.printf("the gate holds the manifest of %s%n", result.get("rootfsDigest"));
                    w.flush();
                }
                return 0;
            }
        }
    }
}
