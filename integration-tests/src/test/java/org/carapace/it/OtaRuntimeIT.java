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
 * whose component cannot activate is rolled back; hostile packages change nothing; and the runtime is killed with a real
 * SIGKILL at every step of an update of two bundles (the installer pauses there, {@code testPauseAt}), after which it runs
 * either the whole old set or the whole new one.
 */
public class OtaRuntimeIT extends RealRuntimeTest {

    static final String DEVICE = "it-ota-1";
    static final String IMAGEHASH = "org.carapace.imagehash";
    static final String ENFORCEMENT = "org.carapace.enforcement";
    /** Every step the installer can pause at, in order (docs/ota.md §4). */
    static final List<String> STEPS = List.of("stored", "journal", "updated", "refreshed", "healthy", "committed");

    private Path work;

    /** Runs bin/carapace; answers its exit code, its output in {@code work/cli.log}. */
    private int cli(String... arguments) throws Exception {
        return CarapaceCli.run(work, arguments);
    }

    private void ok(String... arguments) throws Exception {
        CarapaceCli.ok(work, arguments);
    }

    private String f(String name) {
        return work.resolve(name).toString();
    }

    /** A copy of a bundle jar with another Bundle-Version, optionally without some entries or with an extra import. */
    static void rewrite(Path source, Path target, String version, String dropSuffix, String extraImport) throws IOException {
        rewrite(source, target, version, dropSuffix, extraImport, null, null, null);
    }

    /**
     * As above, and in the entry {@code patchEntry} every occurrence of the bytes {@code from} replaced by {@code to}
     * (same length: a class file's constant stays valid).
     */
    static void rewrite(Path source, Path target, String version, String dropSuffix, String extraImport, String patchEntry, String from,
                        String to) throws IOException {
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
                    if (entry.getName().equals(patchEntry)) {
                        byte[] content = in.readAllBytes();
                        byte[] patched = replaceAll(content, from.getBytes(java.nio.charset.StandardCharsets.UTF_8),
                            to.getBytes(java.nio.charset.StandardCharsets.UTF_8));
                        assertFalse(patchEntry + " holds no " + from, java.util.Arrays.equals(content, patched));
                        out.write(patched);
                    } else {
                        in.transferTo(out);
                    }
                    out.closeEntry();
                }
            }
            Files.write(target, bytes.toByteArray());
        }
    }

    private static byte[] replaceAll(byte[] data, byte[] from, byte[] to) {
        byte[] out = data.clone();
        for (int i = 0; i + from.length <= out.length; i++) {
            if (java.util.Arrays.equals(out, i, i + from.length, from, 0, from.length)) {
                System.arraycopy(to, 0, out, i, to.length);
            }
        }
        return out;
    }

    static Path imagehashJar() throws IOException {
        return bundleJar("org.carapace.imagehash");
    }

    static Path bundleJar(String bsn) throws IOException {
        try (var files = Files.list(RuntimeBundles.home().resolve("bundles/" + bsn + "/target"))) {
            return files.filter(p -> p.getFileName().toString().matches(bsn.replace(".", "\\.") + "-[0-9.]+(-SNAPSHOT)?\\.jar"))
                .findFirst().orElseThrow(() -> new AssertionError(bsn + " is not built"));
        }
    }

    /** Makes, signs (two signers, one after the other) and drops a package into the inbox the way an OTA client does. */
    private void deliver(Path data, String name, Path jar, long counter) throws Exception {
        deliver(data, name, List.of(jar), counter);
    }

    private void deliver(Path data, String name, List<Path> jars, long counter) throws Exception {
        List<String> args = new ArrayList<>(List.of("ota", "package", "--name", name));
        for (Path jar : jars) {
            args.addAll(List.of("--jar", jar.toString()));
        }
        args.addAll(List.of("--counter", Long.toString(counter), "--expires", "+1d", "--device", DEVICE, "--hardware", "dev-x86_64",
            "-o", f(name + ".unsigned.ota")));
        ok(args.toArray(new String[0]));
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

    /** The store's file names, sorted. */
    private static java.util.SortedSet<String> storeFiles(Path data) throws IOException {
        try (var files = Files.list(data.resolve("ota/store"))) {
            return files.map(f -> f.getFileName().toString()).collect(java.util.stream.Collectors.toCollection(java.util.TreeSet::new));
        }
    }

    /** {@code <sha256>.jar} of every bundle the committed state lists: what the store must hold, no more, no less. */
    private static java.util.SortedSet<String> committedJars(Path run) throws IOException {
        java.util.SortedSet<String> names = new java.util.TreeSet<>();
        for (JsonNode bundle : status(run).get("installed")) {
            names.add(bundle.get("sha256").asText() + ".jar");
        }
        return names;
    }

    static JsonNode status(Path run) throws IOException {
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

    static String runningVersion(Path run, String bsn) throws IOException {
        for (JsonNode bundle : RuntimeProcess.admin(run, "status", Map.of()).get("bundles")) {
            if (bsn.equals(bundle.get("symbolicName").asText())) {
                assertEquals(bsn + " state", "ACTIVE", bundle.get("state").asText());
                return bundle.get("version").asText();
            }
        }
        throw new AssertionError(bsn + " is not installed");
    }

    static long installedCounter(Path run, String bsn) throws IOException {
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
        try (var inbox = Files.list(data.resolve("ota/inbox"))) {
            assertEquals("the inbox is emptied", 0, inbox.count());
        }

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

        // 6. killed with SIGKILL at every step of an update of two bundles (the hasher and the gate wired to it): the
        // installer pauses there (testPauseAt), the test kills the process; after the next start the whole old set or the
        // whole new one runs. Each restarted runtime pauses at the next step, so one start serves two steps.
        String enforcementProfile = runningVersion(run, ENFORCEMENT);
        String current = "0.9.1";
        String currentEnforcement = enforcementProfile;
        long counter = 10;
        runtime.process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        runtime = start(data, run, "runtime-pause-stored.log", "ota.testPauseAt=stored");
        for (int i = 0; i < STEPS.size(); i++) {
            String step = STEPS.get(i);
            String before = current;
            RuntimeProcess.await("the committed version before pausing at " + step, 30_000, () -> version(run).equals(before));
            String next = "0.9." + (10 + counter);
            Path hasher = work.resolve("imagehash-" + next + ".jar");
            Path gate = work.resolve("enforcement-" + next + ".jar");
            rewrite(imagehashJar(), hasher, next, null, null);
            rewrite(bundleJar(ENFORCEMENT), gate, next, null, null);
            deliver(data, "pair-" + next, List.of(hasher, gate), counter);
            Path marker = data.resolve("ota/test-paused-at");
            RuntimeProcess.await("the installer to pause at " + step, 90_000, () -> paused(marker, step));
            long victim = runtime.process.pid();
            Process kill = new ProcessBuilder("kill", "-KILL", Long.toString(victim)).start();
            assertEquals("kill -KILL " + victim, 0, kill.waitFor());
            assertTrue("killed at " + step, runtime.process.waitFor(10, TimeUnit.SECONDS));
            assertEquals("SIGKILL at " + step, 128 + 9, runtime.process.exitValue());
            String nextPause = i + 1 < STEPS.size() ? STEPS.get(i + 1) : "";
            runtime = start(data, run, "runtime-after-" + step + ".log", "ota.testPauseAt=" + nextPause);
            boolean committed = step.equals("committed");
            String expected = committed ? next : current;
            String expectedEnforcement = committed ? next : currentEnforcement;
            RuntimeProcess.await("after SIGKILL at " + step + ": " + expected + " in force", 30_000, () -> version(run).equals(expected)
                && versionOf(run, ENFORCEMENT).equals(expectedEnforcement));
            if (!step.equals("stored")) {
                JsonNode recovered = outcome(run, "pair-" + next);
                assertEquals(recovered.toString(), committed ? "active" : "rolled-back", recovered.get("state").asText());
                assertEquals(recovered.toString(), committed ? "" : "INTERRUPTED", recovered.path("reason").asText(""));
            } else {
                // killed before the journal: no outcome (the back end resends); nothing of the package is left
                assertTrue(status(run).get("recent").toString(), status(run).get("recent").toString().indexOf("pair-" + next) < 0);
            }
            long expectedCounter = committed ? counter : installedCounterBefore(current);
            assertEquals(step, expectedCounter, installedCounter(run, IMAGEHASH));
            assertEquals(step, committed ? counter : 0, installedCounter(run, ENFORCEMENT));
            assertFalse("no journal left after " + step, Files.exists(data.resolve("ota/journal.json")));
            assertEquals("the store holds the committed jars only after " + step, committedJars(run), storeFiles(data));
            hashes(run);
            System.out.printf("ota: SIGKILL at %s -> %s %s, %s %s after restart%n", step, IMAGEHASH, expected, ENFORCEMENT,
                expectedEnforcement);
            current = expected;
            currentEnforcement = expectedEnforcement;
            counter++;
        }
        assertEquals("the gate updated with the hasher is in force", "0.9.25", versionOf(run, ENFORCEMENT));
        assertTrue("the back end verified every event: " + backEnd.parsed("rejected"), backEnd.parsed("rejected").isEmpty());
    }

    /** The counter of the set in force before the halting updates: the last one committed (1 for 0.9.1, else the step's). */
    private static long installedCounterBefore(String version) {
        return version.equals("0.9.1") ? 1 : Long.parseLong(version.substring("0.9.".length())) - 10;
    }

    private static String version(Path run) {
        return versionOf(run, IMAGEHASH);
    }

    private static String versionOf(Path run, String bsn) {
        try {
            return runningVersion(run, bsn);
        } catch (IOException | AssertionError e) {
            return "";
        }
    }

    private static boolean paused(Path marker, String step) {
        try {
            return Files.exists(marker) && Files.readString(marker).strip().equals(step);
        } catch (IOException e) {
            return false;
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
