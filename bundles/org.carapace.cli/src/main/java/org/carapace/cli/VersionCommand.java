package org.carapace.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.net.URL;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.jar.Manifest;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code carapace version}: the CLI's version and that of every Carapace bundle it runs on. */
@Command(name = "version", mixinStandardHelpOptions = true,
    description = "Print the version of the CLI and of each Carapace bundle (and of the running runtime's, with --runtime).")
final class VersionCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    Output output;

    @Mixin
    RuntimeConnection runtime;

    @Option(names = "--runtime", description = "Also ask the running runtime for the bundles it has active.")
    boolean askRuntime;

    @Override
    public Integer call() throws Exception {
        Map<String, String> bundles = classPathBundles();
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("cli", bundles.getOrDefault("org.carapace.cli", "unknown"));
        result.put("java", Runtime.version().toString());
        result.put("bundles", bundles);
        if (askRuntime) {
            Map<String, Object> status = runtime.call("status", Map.of());
            Map<String, String> running = new TreeMap<>();
            for (Object b : (List<?>) status.get("bundles")) {
                Map<?, ?> bundle = (Map<?, ?>) b;
                running.put(String.valueOf(bundle.get("symbolicName")), String.valueOf(bundle.get("version")));
            }
            result.put("runtime", running);
        }
        PrintWriter out = spec.commandLine().getOut();
        if (output.json()) {
            Output.printJson(out, result);
            return 0;
        }
        out.printf("carapace CLI %s (Java %s)%n", result.get("cli"), result.get("java"));
        out.println("bundles on the CLI class path:");
        bundles.forEach((name, version) -> out.printf("  %-36s %s%n", name, version));
        if (result.containsKey("runtime")) {
            out.println("bundles in the running runtime:");
            ((Map<?, ?>) result.get("runtime")).forEach((name, version) -> out.printf("  %-36s %s%n", name, version));
        }
        out.flush();
        return 0;
    }

    /** Symbolic name to version of every org.carapace bundle on the class path, read from the jar manifests. */
    static Map<String, String> classPathBundles() throws IOException {
        Map<String, String> bundles = new TreeMap<>();
        Enumeration<URL> manifests = VersionCommand.class.getClassLoader().getResources("META-INF/MANIFEST.MF");
        List<URL> urls = new ArrayList<>();
        while (manifests.hasMoreElements()) {
            urls.add(manifests.nextElement());
        }
        for (URL url : urls) {
            try (InputStream in = url.openStream()) {
                Manifest manifest = new Manifest(in);
                String bsn = manifest.getMainAttributes().getValue("Bundle-SymbolicName");
                String version = manifest.getMainAttributes().getValue("Bundle-Version");
                if (bsn != null && bsn.startsWith("org.carapace.")) {
                    bundles.put(bsn.split(";")[0].trim(), version);
                }
            }
        }
        return bundles;
    }
}
