package org.carapace.cli;

import java.io.PrintWriter;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code carapace protection}: the containers the running runtime protects, their denials and decision latency. */
@Command(name = "protection", mixinStandardHelpOptions = true,
    description = "Show the protected containers: mode, denials, audited violations and decision latency.")
final class ProtectionCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    Output output;

    @Mixin
    RuntimeConnection runtime;

    @Override
    public Integer call() throws Exception {
        Map<String, Object> result = runtime.call("protection", Map.of());
        PrintWriter out = spec.commandLine().getOut();
        if (output.json()) {
            Output.printJson(out, result);
        } else {
            List<?> containers = (List<?>) result.get("containers");
            out.printf("%d protected container(s)%n", containers.size());
            for (Object o : containers) {
                Map<?, ?> c = (Map<?, ?>) o;
                Map<?, ?> l = (Map<?, ?>) c.get("latencyMicros");
                out.printf("  %-24s %-8s pid %-7s events %-8s denied %-5s audited %-5s latency p50/p99/p99.9 %s/%s/%s us%n",
                    c.get("id"), c.get("mode"), c.get("pid"), c.get("events"), c.get("denied"), c.get("audited"),
                    l.get("p50"), l.get("p99"), l.get("p999"));
                if (c.get("rules") != null) {
                    out.printf("    rules from %s%n", c.get("rules"));
                }
            }
            out.flush();
        }
        return 0;
    }
}
