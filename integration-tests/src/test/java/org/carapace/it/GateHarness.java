package org.carapace.it;

import static org.junit.Assert.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.carapace.cli.Main;

/**
 * What the container gate's end-to-end tests share: a work directory, the real {@code dev} runtime started with
 * {@code bin/carapace-runtime}, the real CLI in-process, a real busybox image built from Debian's busybox-static with
 * umoci, keys and a trust root, and shell commands (runc, podman, umoci) with their output.
 */
final class GateHarness {

    static final ObjectMapper JSON = new ObjectMapper();

    final Path work;
    final Path data;
    final Path run;
    final Path hook = RuntimeBundles.home().resolve("bundles/org.carapace.enforcement/target/carapace-oci-hook");
    Process runtime;
    int starts;

    /** One CLI run or shell command: exit code and what it printed. */
    record Result(int exit, String out, String err) {
        JsonNode json() throws IOException {
            return JSON.readTree(out);
        }

        String all() {
            return out + err;
        }
    }

    GateHarness(String name) throws IOException {
        work = RuntimeBundles.work().resolve(name);
        data = work.resolve("data");
        run = work.resolve("run");
        if (Files.exists(work)) {
            try (Stream<Path> walk = Files.walk(work)) {
                walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        Files.createDirectories(work);
    }

    String f(String name) {
        return work.resolve(name).toString();
    }

    Result cli(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Result(exit, out.toString(), err.toString());
    }

    Result ok(String... args) {
        Result r = cli(args);
        assertEquals(String.join(" ", args) + "\n" + r.all(), 0, r.exit());
        return r;
    }

    /** A CLI command that talks to this harness's runtime. */
    Result okRuntime(String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.add("--run-dir");
        all.add(run.toString());
        return ok(all.toArray(String[]::new));
    }

    /** A shell command in the work directory; its exit code and output, whatever they are. */
    Result shell(String command) throws IOException, InterruptedException {
        Path out = Files.createTempFile(work, "out", ".txt");
        Path err = Files.createTempFile(work, "err", ".txt");
        Process process = new ProcessBuilder("bash", "-c", "set -euo pipefail; umask 022; " + command)
            .directory(work.toFile()).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!process.waitFor(3, TimeUnit.MINUTES)) {
            process.destroyForcibly().waitFor();
            throw new AssertionError("timed out: " + command);
        }
        Result result = new Result(process.exitValue(), Files.readString(out), Files.readString(err));
        Files.delete(out);
        Files.delete(err);
        return result;
    }

    /** A shell command that must succeed. */
    String sh(String command) throws IOException, InterruptedException {
        Result r = shell(command);
        if (r.exit() != 0) {
            throw new AssertionError("failed (exit " + r.exit() + "): " + command + "\n" + r.all());
        }
        return r.out();
    }

    /** Builds the busybox image into {@code oci:it} and returns its rootfs digest; its manifest goes to manifest.json. */
    String buildImage() throws Exception {
        sh(RuntimeBundles.home().resolve("integration-tests/images/build-busybox-image.sh") + " oci it");
        JsonNode digest = ok("image", "digest", "--json", "--manifest", f("manifest.json"), "oci:" + f("oci") + ":it").json();
        return digest.get("rootfsDigest").textValue();
    }

    /** Keys for the root and both policy roles, and a trust root made of them (root.json). */
    void provisionKeys() {
        for (String key : new String[] {"root", "base", "add"}) {
            ok("keys", "generate", "-o", f("keys/" + key + ".pem"));
        }
        ok("trust", "init", "--key", "root=" + f("keys/root.pub.pem"), "--key", "base-policy=" + f("keys/base.pub.pem"),
            "--key", "additional-policy=" + f("keys/add.pub.pem"), "--sign", f("keys/root.pem"), "-o", f("root.json"));
    }

    /** Signs the base policy document {@code name}.json with the base key and installs it. */
    void signAndInstall(String name) {
        ok("policy", "sign", f(name + ".json"), "--key", f("keys/base.pem"), "-o", f(name + ".signed.json"), "--force");
        okRuntime("policy", "install", f(name + ".signed.json"));
    }

    void startRuntime(String... extra) throws Exception {
        Path log = work.resolve("runtime-" + (++starts) + ".log");
        List<String> command = new ArrayList<>(List.of(RuntimeBundles.home().resolve("bin/carapace-runtime").toString(),
            "--profile", "dev", "--data-dir", data.toString(), "--run-dir", run.toString()));
        // SecOC's demo endpoints of the dev profile bind fixed UDP ports: free ones, so runtimes of other tests can run
        try (java.net.DatagramSocket a = new java.net.DatagramSocket(0); java.net.DatagramSocket b = new java.net.DatagramSocket(0)) {
            command.addAll(List.of("--set", "secoc.demoPortA=" + a.getLocalPort(), "--set", "secoc.demoPortB=" + b.getLocalPort()));
        }
        command.addAll(List.of(extra));
        runtime = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile())
            .redirectInput(ProcessBuilder.Redirect.PIPE).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < deadline) {
            String text = Files.exists(log) ? Files.readString(log) : "";
            if (text.contains("Carapace runtime ready")
                && cli("gate", "status", "--run-dir", run.toString()).exit() == 0) {
                return;
            }
            if (!runtime.isAlive() || text.contains("NOT ready")) {
                throw new AssertionError("the dev runtime did not start:\n" + text);
            }
            Thread.sleep(100);
        }
        throw new AssertionError("the dev runtime was not ready within 120 s:\n" + Files.readString(log));
    }

    /** SIGTERM (a clean stop), or SIGKILL when {@code kill}. */
    void stopRuntime(boolean kill) throws Exception {
        if (runtime != null && runtime.isAlive()) {
            if (kill) {
                // the launcher script execs java: the process is the JVM itself
                runtime.destroyForcibly();
            } else {
                runtime.destroy();
            }
            if (!runtime.waitFor(60, TimeUnit.SECONDS)) {
                runtime.destroyForcibly().waitFor();
            }
        }
        runtime = null;
    }

    String log() throws IOException {
        return Files.readString(work.resolve("runtime-" + starts + ".log"), StandardCharsets.UTF_8);
    }

    /**
     * A copy of the unpacked image ({@code pristine}) as a runc bundle with the hook in its config.json, changed by
     * {@code change} (run in the bundle); its process prints {@code container-ran}.
     */
    Path hookedBundle(String name, String change) throws Exception {
        Path bundle = work.resolve(name);
        sh("cp -a pristine " + name + " && cd " + name + " && " + change);
        JsonNode config = JSON.readTree(bundle.resolve("config.json").toFile());
        var process = (com.fasterxml.jackson.databind.node.ObjectNode) config.get("process");
        process.put("terminal", false);
        process.putArray("args").add("/bin/sh").add("-c").add("echo container-ran");
        var hooks = ((com.fasterxml.jackson.databind.node.ObjectNode) config).putObject("hooks");
        var hookEntry = hooks.putArray("createRuntime").addObject();
        hookEntry.put("path", hook.toString());
        hookEntry.putArray("args").add("carapace-oci-hook").add("--stage").add("createRuntime").add("--timeout-ms").add("5000")
            .add("--socket").add(run.resolve("gate.sock").toString());
        hookEntry.put("timeout", 10);
        JSON.writeValue(bundle.resolve("config.json").toFile(), config);
        return bundle;
    }

    /** {@code runc run} of a bundle (relative to the work directory, or absolute), deleted afterwards whatever happened. */
    Result runc(String bundle, String id) throws Exception {
        return shell("runc run --bundle " + bundle + " " + id + "; rc=$?; runc delete -f " + id + " >/dev/null 2>&1 || true; exit $rc");
    }

    /** The gate's status as the CLI sees it. */
    JsonNode gateStatus() throws IOException {
        return okRuntime("gate", "status", "--json").json();
    }

    long decisions(String verdict) throws IOException {
        return gateStatus().get("decisions").get(verdict).asLong();
    }
}
