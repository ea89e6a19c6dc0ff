package org.carapace.it;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarInputStream;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.carapace.monitoring.internal.MosquittoBroker;
import org.junit.Test;

/**
 * OTA for real: the dev runtime as its own process, packages made and signed with {@code bin/carapace ota}, dropped into
 * the inbox, outcomes read from {@code ota.status} and from the back end's view over a real Mosquitto
 * ({@code carapace events subscribe}). A new version of the image hashing bundle becomes active without a restart; one
 * whose component cannot activate is rolled back; hostile packages change nothing; and the runtime is killed (halted,
 * as by kill -9) at every journal step of an update, after which it runs either the whole old set or the whole new one.
 */
public class OtaRuntimeIT extends RealRuntimeTest {

    static final String DEVICE = "it-ota-1";
    static final String IMAGEHASH = "org.carapace.imagehash";

    private Path work;

    /** Runs bin/carapace; answers its exit code, its output in {@code work/cli.log}. */
    private int cli(String... arguments) throws Exception {
        List<String> command = new ArrayList<>(List.of(RuntimeBundles.home().resolve("bin/carapace").toString()));
        command.addAll(List.of(arguments));
        Process process = new ProcessBuilder(command).redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(work.resolve("cli.log").toFile())).start();
        assertTrue("carapace " + String.join(" ", arguments) + " did not finish", process.waitFor(120, TimeUnit.SECONDS));
        return process.exitValue();
    }

    private void ok(String... arguments) throws Exception {
        assertEquals("carapace " + String.join(" ", arguments) + " (see " + work.resolve("cli.log") + ")", 0, cli(arguments));
    }

    private String f(String name) {
        return work.resolve(name).toString();
    }

    /** A copy of a bundle jar with another Bundle-Version, optionally without some entries or with an extra import. */
    static void rewrite(Path source, Path target, String version, String dropSuffix, String extraImport) throws IOException {
        try (InputStream file = Files.newInputStream(source); JarInputStream in = new JarInputStream(file)) {
            Manifest manifest = new Manifest(in.getManifest());
            manifest.getMainAttributes().putValue("Bundle-Version", version);
            if (extraImport != null) {
                String imports = manifest.getMainAttributes().getValue("Import-Package");
                manifest.getMainAttributes().putValue("Import-Package", imports + "," + extraImport);
            }
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (JarOutputStream out = new JarOutputStream(bytes, manifest)) {
                JarEntry entry;
                while ((entry = in.getNextJarEntry()) != null) {
                    if (dropSuffix != null && entry.getName().endsWith(dropSuffix)) {
                        continue;
                    }
                    out.putNextEntry(new JarEntry(entry.getName()));
                    in.transferTo(out);
                    out.closeEntry();
                }
            }
            Files.write(target, bytes.toByteArray());
        }
    }

    private static Path imagehashJar() throws IOException {
        try (var files = Files.list(RuntimeBundles.home().resolve("bundles/org.carapace.imagehash/target"))) {
            return files.filter(p -> p.getFileName().toString().matches("org\\.carapace\\.imagehash-[0-9.]+(-SNAPSHOT)?\\.jar")).findFirst()
                .orElseThrow(() -> new AssertionError("the imagehash bundle is not built"));
        }
    }

    /** Makes, signs (two signers, one after the other) and drops a package into the inbox the way an OTA client does. */
    private void deliver(Path data, String name, Path jar, long counter) throws Exception {
        ok("ota", "package", "--name", name, "--jar", jar.toString(), "--counter", Long.toString(counter), "--expires", "+1d",
            "--device", DEVICE, "--hardware", "dev-x86_64", "-o", f(name + ".unsigned.ota"));
        ok("ota", "sign", f(name + ".unsigned.ota"), "--key", f("ota1.pem"), "-o", f(name + ".half.ota"));
        ok("ota", "sign", f(name + ".half.ota"), "--key", f("ota2.pem"), "-o", f(name + ".ota"));
        drop(data, Path.of(f(name + ".ota")));
    }

    private static void drop(Path data, Path file) throws IOException {
        Path inbox = data.resolve("ota/inbox");
        Path part = inbox.resolve(file.getFileName() + ".part");
        Files.copy(file, part, StandardCopyOption.REPLACE_EXISTING);
        Files.move(part, inbox.resolve(file.getFileName()), StandardCopyOption.ATOMIC_MOVE);
    }

    private static JsonNode status(Path run) throws IOException {
        return RuntimeProcess.admin(run, "ota.status", Map.of());
    }

    /** Waits for the outcome of the named package (the newest entry for it) and answers it. */
    private static JsonNode outcome(Path run, String name) throws Exception {
        JsonNode[] found = new JsonNode[1];
        RuntimeProcess.await("the outcome of package " + name, 90_000, () -> {
            try {
                for (JsonNode recent : status(run).get("recent")) {
                    if (name.equals(recent.get("package").asText()) || (name + ".ota").equals(recent.get("package").asText())) {
                        found[0] = recent;
                        return true;
                    }
                }
                return false;
            } catch (IOException e) {
                return false;
            }
        });
        return found[0];
    }

    private static String runningVersion(Path run, String bsn) throws IOException {
        for (JsonNode bundle : RuntimeProcess.admin(run, "status", Map.of()).get("bundles")) {
            if (bsn.equals(bundle.get("symbolicName").asText())) {
                assertEquals(bsn + " state", "ACTIVE", bundle.get("state").asText());
                return bundle.get("version").asText();
            }
        }
        throw new AssertionError(bsn + " is not installed");
    }

    private static long installedCounter(Path run, String bsn) throws IOException {
        for (JsonNode bundle : status(run).get("installed")) {
            if (bsn.equals(bundle.get("symbolicName").asText())) {
                return bundle.get("releaseCounter").asLong();
            }
        }
        return 0;
    }

    /** The image hashing bundle still works: the admin command hashes a small directory through it. */
    private void hashes(Path run) throws IOException {
        Path rootfs = work.resolve("rootfs");
        Files.createDirectories(rootfs.resolve("bin"));
        Files.writeString(rootfs.resolve("bin/hello"), "hello\n");
        JsonNode digest = RuntimeProcess.admin(run, "image.digest", Map.of("source", "dir:" + rootfs));
        assertTrue(digest.toString(), digest.toString().contains("sha256:"));
    }

    private RuntimeProcess start(Path data, Path run, String log, String... extra) throws Exception {
        List<String> settings = new ArrayList<>(List.of("monitoring.broker=" + broker.url("tcp"), "ota.healthTimeoutMillis=6000"));
        settings.addAll(List.of(extra));
        return RuntimeProcess.startDevRuntime(data, run, work.resolve(log), processes, DEVICE, settings.toArray(new String[0]));
    }

    @Test
    public void updatesHotRollsBackRefusesAndSurvivesKillAtEveryStep() throws Exception {
        work = RuntimeBundles.work().resolve("ota-" + System.nanoTime());
        Path data = work.resolve("data");
        Path run = work.resolve("run");
        Files.createDirectories(data);
        broker = MosquittoBroker.start(work.resolve("broker"));
        // the back end: fleet master key, the vehicle's derived key, a subscriber that verifies every event
        ok("events", "keygen", "--master", "--out", f("fleet-master.key"));
        ok("events", "keygen", "--device", DEVICE, "--from-master", f("fleet-master.key"), "--out",
            data.resolve("event-auth.key").toString());
        RuntimeProcess backEnd = new RuntimeProcess(List.of(RuntimeBundles.home().resolve("bin/carapace").toString(), "events", "subscribe",
            "--broker", broker.url("tcp"), "--device", DEVICE, "--key", f("fleet-master.key"), "--json", "--client-id", "it-ota-backend"),
            work.resolve("backend.log"), processes);
        RuntimeProcess.await("the back end to subscribe", 30_000, () -> !backEnd.parsed("subscribed").isEmpty());
        // the OTA role needs two of its keys
        for (String key : List.of("root", "base", "ota1", "ota2")) {
            ok("keys", "generate", "-o", f(key + ".pem"));
        }
        ok("trust", "init", "--key", "root=" + f("root.pub.pem"), "--key", "base-policy=" + f("base.pub.pem"), "--key",
            "additional-policy=" + f("base.pub.pem"), "--key", "ota=" + f("ota1.pub.pem"), "--key", "ota=" + f("ota2.pub.pem"),
            "--threshold", "ota=2", "--sign", f("root.pem"), "-o", f("root.json"));

        RuntimeProcess runtime = start(data, run, "runtime-1.log");
        ok("trust", "install", f("root.json"), "--run-dir", run.toString());
        String profileVersion = runningVersion(run, IMAGEHASH);
        long pid = runtime.process.pid();

        // 1. a new version of the image hashing bundle: active without a restart
        Path v1 = work.resolve("imagehash-0.9.1.jar");
        rewrite(imagehashJar(), v1, "0.9.1", null, null);
        long dropped = System.nanoTime();
        deliver(data, "imagehash-0.9.1", v1, 1);
        JsonNode active = outcome(run, "imagehash-0.9.1");
        System.out.printf("ota: package arrival to active (including packaging and signing) %d ms%n",
            TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - dropped));
        assertEquals(active.toString(), "active", active.get("state").asText());
        assertEquals("0.9.1", runningVersion(run, IMAGEHASH));
        assertTrue("no restart", runtime.process.isAlive() && runtime.process.pid() == pid);
        assertEquals(1, installedCounter(run, IMAGEHASH));
        hashes(run);

        // 2. a new version whose component cannot activate: rolled back automatically, counter unchanged
        Path broken = work.resolve("imagehash-0.9.2.jar");
        rewrite(imagehashJar(), broken, "0.9.2", "internal/ImageHasherComponent.class", null);
        deliver(data, "imagehash-broken", broken, 2);
        JsonNode rolledBack = outcome(run, "imagehash-broken");
        assertEquals(rolledBack.toString(), "rolled-back", rolledBack.get("state").asText());
        assertEquals("HEALTH_CHECK_FAILED", rolledBack.get("reason").asText());
        assertEquals("0.9.1", runningVersion(run, IMAGEHASH));
        assertEquals(1, installedCounter(run, IMAGEHASH));
        hashes(run);
        assertEquals("the runtime is healthy again", 0, cli("status", "--run-dir", run.toString()));

        // 3. hostile packages: each refused with its reason, nothing changed
        Path unresolvable = work.resolve("imagehash-0.9.3.jar");
        rewrite(imagehashJar(), unresolvable, "0.9.3", null, "com.example.nowhere;version=\"[1,2)\"");
        deliver(data, "imagehash-unresolvable", unresolvable, 3);
        assertEquals("UNRESOLVABLE", outcome(run, "imagehash-unresolvable").get("reason").asText());
        Path older = work.resolve("imagehash-0.9.4.jar");
        rewrite(imagehashJar(), older, "0.9.4", null, null);
        deliver(data, "imagehash-replay", older, 1);
        assertEquals("REPLAY", outcome(run, "imagehash-replay").get("reason").asText());
        ok("ota", "package", "--name", "imagehash-unsigned", "--jar", older.toString(), "--counter", "9", "--expires", "+1d",
            "-o", f("imagehash-unsigned.ota"));
        drop(data, Path.of(f("imagehash-unsigned.ota")));
        assertEquals("SIGNATURE", outcome(run, "imagehash-unsigned.ota").get("reason").asText());
        ok("ota", "package", "--name", "imagehash-other-car", "--jar", older.toString(), "--counter", "9", "--expires", "+1d",
            "--device", "another-car", "-o", f("other.unsigned.ota"));
        ok("ota", "sign", f("other.unsigned.ota"), "--key", f("ota1.pem"), "--key", f("ota2.pem"), "-o", f("other.ota"));
        drop(data, Path.of(f("other.ota")));
        assertEquals("WRONG_DEVICE", outcome(run, "imagehash-other-car").get("reason").asText());
        assertEquals("0.9.1", runningVersion(run, IMAGEHASH));
        assertEquals(1, installedCounter(run, IMAGEHASH));
        assertEquals("the inbox is emptied", 0, Files.list(data.resolve("ota/inbox")).count());

        // 4. both outcomes reached the back end over MQTT, verified
        RuntimeProcess.await("the OTA events at the back end", 30_000, () -> otaEvent(backEnd, "OTA_STATUS", "imagehash-0.9.1", "active")
            && otaEvent(backEnd, "OTA_ROLLED_BACK", "imagehash-broken", "rolled-back")
            && otaEvent(backEnd, "OTA_REJECTED", "imagehash-unresolvable", "failed"));
        // before its signed metadata is read, a package is known by its file name
        assertTrue(otaEvent(backEnd, "OTA_STATUS", "imagehash-0.9.1.ota", "verifying"));
        assertTrue(otaEvent(backEnd, "OTA_STATUS", "imagehash-0.9.1", "installing"));

        // 5. a restart keeps the committed update (the framework's storage is cleaned at every start)
        runtime.process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        runtime = start(data, run, "runtime-2.log");
        RuntimeProcess.await("the committed version after a restart", 30_000, () -> version(run).equals("0.9.1"));
        hashes(run);

        // 6. halted (as by kill -9) at every step of an update: after the next start the whole old or the whole new set
        String current = "0.9.1";
        long counter = 10;
        for (String step : List.of("journal", "updated", "refreshed", "committed")) {
            runtime.process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            runtime = start(data, run, "runtime-halt-" + step + ".log", "ota.testHaltAt=" + step);
            String before = current;
            RuntimeProcess.await("the committed version before halting at " + step, 30_000, () -> version(run).equals(before));
            String next = "0.9." + (10 + counter);
            Path jar = work.resolve("imagehash-" + next + ".jar");
            rewrite(imagehashJar(), jar, next, null, null);
            deliver(data, "imagehash-" + next, jar, counter);
            RuntimeProcess halted = runtime;
            RuntimeProcess.await("the runtime to halt at " + step, 60_000, () -> !halted.process.isAlive());
            assertEquals("halted at " + step, 137, halted.process.exitValue());
            runtime = start(data, run, "runtime-after-" + step + ".log");
            String expected = step.equals("committed") ? next : current;
            String previous = current;
            RuntimeProcess.await("after halting at " + step + ": " + expected + " in force", 30_000,
                () -> version(run).equals(expected));
            JsonNode recovered = outcome(run, "imagehash-" + next);
            assertEquals(recovered.toString(), step.equals("committed") ? "active" : "rolled-back", recovered.get("state").asText());
            assertEquals(step.equals("committed") ? counter : installedCounterBefore(previous), installedCounter(run, IMAGEHASH));
            assertFalse("no journal left after " + step, Files.exists(data.resolve("ota/journal.json")));
            hashes(run);
            System.out.printf("ota: halted at %s -> %s %s after restart%n", step, IMAGEHASH, expected);
            current = expected;
            counter++;
        }
        assertTrue("the back end verified every event: " + backEnd.parsed("rejected"), backEnd.parsed("rejected").isEmpty());
    }

    /** The counter of the set in force before the halting updates: the last one committed (1 for 0.9.1, else the step's). */
    private static long installedCounterBefore(String version) {
        return version.equals("0.9.1") ? 1 : Long.parseLong(version.substring("0.9.".length())) - 10;
    }

    private static String version(Path run) {
        try {
            return runningVersion(run, IMAGEHASH);
        } catch (IOException | AssertionError e) {
            return "";
        }
    }

    private static boolean otaEvent(RuntimeProcess backEnd, String type, String name, String state) {
        for (JsonNode line : backEnd.parsed("event")) {
            JsonNode event = line.get("event");
            if (type.equals(event.path("type").asText()) && name.equals(event.path("context").path("package").asText())
                && state.equals(event.path("context").path("state").asText())) {
                assertTrue(line.get("verified").asBoolean());
                return true;
            }
        }
        return false;
    }
}
