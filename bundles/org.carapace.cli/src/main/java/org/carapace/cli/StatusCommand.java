package org.carapace.cli;

import java.io.PrintWriter;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code carapace status}: what the running runtime reports about itself. Exit 1 when it reports problems. */
@Command(name = "status", mixinStandardHelpOptions = true,
    description = "Show the running runtime's identity, bundles, components and problems (exit 1 if unhealthy).")
final class StatusCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    Output output;

    @Mixin
    RuntimeConnection runtime;

    @Override
    public Integer call() throws Exception {
        Map<String, Object> status = runtime.call("status", Map.of());
        PrintWriter out = spec.commandLine().getOut();
        Map<?, ?> info = (Map<?, ?>) status.get("runtime");
        boolean healthy = Boolean.TRUE.equals(info.get("healthy"));
        if (output.json()) {
            Output.printJson(out, status);
        } else {
            out.printf("Carapace runtime %s: device %s, profile %s, pid %s, %s%n", info.get("platformVersion"),
                info.get("deviceId"), info.get("profile"), info.get("pid"), healthy ? "healthy" : "UNHEALTHY");
            out.printf("  data %s, run %s, %s on Java %s%n",
                info.get("dataDir"), info.get("runDir"), info.get("framework"), info.get("java"));
            for (Object b : (List<?>) status.get("bundles")) {
                Map<?, ?> bundle = (Map<?, ?>) b;
                out.printf("  bundle     %-34s %-16s %s%n", bundle.get("symbolicName"), bundle.get("version"), bundle.get("state"));
            }
            for (Object c : (List<?>) status.get("components")) {
                Map<?, ?> component = (Map<?, ?>) c;
                out.printf("  component  %-60s %s%n", component.get("name"), component.get("state"));
            }
            for (Object p : (List<?>) status.get("problems")) {
                out.println("  PROBLEM: " + p);
            }
            out.println("  commands: " + String.join(", ", ((List<?>) status.get("commands")).stream().map(String::valueOf).toList()));
            out.flush();
        }
        return healthy ? 0 : CliException.CHECK_FAILED;
    }
}
