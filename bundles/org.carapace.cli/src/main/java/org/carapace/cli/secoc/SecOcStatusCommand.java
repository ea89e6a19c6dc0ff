package org.carapace.cli.secoc;

import java.io.PrintWriter;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.carapace.cli.Output;
import org.carapace.cli.RuntimeConnection;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code carapace secoc status}: the running runtime's SecOC channels and endpoints. */
@Command(name = "status", mixinStandardHelpOptions = true, description = "Show the runtime's SecOC channels, counters and endpoints.")
final class SecOcStatusCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    Output output;

    @Mixin
    RuntimeConnection runtime;

    @Override
    public Integer call() throws Exception {
        Map<String, Object> status = runtime.call("secoc.status", Map.of());
        PrintWriter out = spec.commandLine().getOut();
        if (output.json()) {
            Output.printJson(out, status);
            return 0;
        }
        for (Object o : (List<?>) status.get("channels")) {
            Map<?, ?> c = (Map<?, ?>) o;
            out.printf("channel %-20s dataId 0x%04x %-8s protected %s verified %s dropped: mac %s freshness %s malformed %s "
                    + "(events %s, aggregated %s)%n", c.get("name"), ((Number) c.get("dataId")).intValue(), c.get("freshness"),
                c.get("protected"), c.get("verified"), c.get("macFailures"), c.get("freshnessFailures"), c.get("malformed"),
                c.get("eventsPosted"), c.get("failuresAggregated"));
        }
        for (Object o : (List<?>) status.get("endpoints")) {
            out.println("endpoint " + o);
        }
        out.flush();
        return 0;
    }
}
