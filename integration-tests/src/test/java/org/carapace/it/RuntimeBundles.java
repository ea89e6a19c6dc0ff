package org.carapace.it;

import static org.ops4j.pax.exam.CoreOptions.bundle;
import static org.ops4j.pax.exam.CoreOptions.frameworkProperty;
import static org.ops4j.pax.exam.CoreOptions.junitBundles;
import static org.ops4j.pax.exam.CoreOptions.systemPackage;
import static org.ops4j.pax.exam.CoreOptions.systemProperty;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.zip.ZipEntry;
import org.ops4j.pax.exam.Option;

/**
 * The bundles of an exported runtime jar ({@code runtime-configs/<profile>/target/<profile>.jar}), with their start
 * levels, as Pax Exam options: the integration tests run exactly what ships, not a hand-kept list.
 */
final class RuntimeBundles {

    private RuntimeBundles() {
    }

    static Path home() {
        return Path.of(System.getProperty("carapace.home", "..")).toAbsolutePath().normalize();
    }

    static Path work() {
        return Path.of(System.getProperty("carapace.it.work", "target/it-work")).toAbsolutePath();
    }

    /** Pax Exam options that install and start every run bundle of the profile, plus its state directories. */
    static List<Option> options(String profile, Path dataDir, Path runDir) {
        return options(profile, dataDir, runDir, Map.of());
    }

    /**
     * As {@link #options(String, Path, Path)}, with {@code carapace.*} system properties that override the defaults
     * (for example {@code carapace.monitoring.broker}).
     */
    static List<Option> options(String profile, Path dataDir, Path runDir, Map<String, String> overrides) {
        List<Option> options = new ArrayList<>();
        for (Map.Entry<Path, Integer> entry : extract(profile).entrySet()) {
            // the profile's start levels (1, 2) stay below Pax Exam's own default level
            int level = entry.getValue();
            boolean fragment = isFragment(entry.getKey());
            options.add(bundle(entry.getKey().toUri().toString()).startLevel(level).start(!fragment));
        }
        options.add(systemPackage("jdk.net")); // appended to Pax Exam's own extra system packages
        options.add(frameworkProperty("org.osgi.service.log.admin.loglevel").value("INFO"));
        options.add(systemProperty("carapace.dataDir").value(dataDir.toString()));
        options.add(systemProperty("carapace.runDir").value(runDir.toString()));
        options.add(systemProperty("carapace.deviceId").value("it-vehicle-7"));
        // monitoring needs the device's event key (provisioned, as on a vehicle) and no broker unless a test sets one
        Map<String, String> properties = new java.util.TreeMap<>();
        properties.put("carapace.monitoring.keyFile", eventKey("it-vehicle-7").toString());
        properties.put("carapace.monitoring.broker", "");
        // the dev profile's SecOC demo endpoints: free ports, not the fixed demo ones another runtime may hold
        properties.put("carapace.secoc.demoPortA", Integer.toString(freeUdpPort()));
        properties.put("carapace.secoc.demoPortB", Integer.toString(freeUdpPort()));
        properties.putAll(overrides);
        properties.forEach((name, value) -> options.add(systemProperty(name).value(value)));
        options.add(systemProperty("org.slf4j.simpleLogger.defaultLogLevel").value("warn"));
        // Pax Exam's in-framework JUnit, from the local repository (see the failsafe configuration)
        options.add(junitBundles());
        return options;
    }

    /** The event-authentication key of a device (a production key, mode 0600), created once per build. */
    static Path eventKey(String deviceId) {
        Path file = work().resolve("event-auth-" + deviceId + ".key");
        try {
            Files.createDirectories(work());
            if (!Files.exists(file)) {
                org.carapace.api.monitoring.EventKeyFile.generateDeviceKey(deviceId, false).write(file);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + file, e);
        }
        return file;
    }

    /** Empties each directory (created if missing): a test's data and fixtures start from nothing. */
    static void emptyDirectories(Path... dirs) throws IOException {
        for (Path dir : dirs) {
            if (Files.exists(dir)) {
                try (var walk = Files.walk(dir)) {
                    walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                }
            }
            Files.createDirectories(dir);
        }
    }

    /** A UDP port of 127.0.0.1 that is free now. */
    static int freeUdpPort() {
        try (java.net.DatagramSocket socket = new java.net.DatagramSocket(0, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free UDP port", e);
        }
    }

    /**
     * {@code bin/carapace-runtime} arguments that move the dev profile's SecOC demo endpoints (fixed ports 47301 and
     * 47302 by default) to free ports, so a test's runtime does not collide with a demo or another runtime.
     */
    static List<String> devPortArguments() {
        return List.of("--set", "secoc.demoPortA=" + freeUdpPort(), "--set", "secoc.demoPortB=" + freeUdpPort());
    }

    /**
     * Waits until the runtime's admin socket exists (the platform is up): Pax Exam runs the tests as soon as the
     * injected services are there, which on a loaded machine can be before the last components have started.
     */
    static void awaitAdminSocket(Path runDir) throws InterruptedException {
        Path socket = runDir.resolve("admin.sock");
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (!Files.exists(socket) && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
    }

    /** Extracts the run bundles of the profile's exported jar; answers jar file to start level. */
    static Map<Path, Integer> extract(String profile) {
        Path exported = home().resolve("runtime-configs").resolve(profile).resolve("target").resolve(profile + ".jar");
        if (!Files.isRegularFile(exported)) {
            throw new IllegalStateException("no exported runtime at " + exported + ": build the runtime-configs modules first");
        }
        Path target = work().resolve("bundles-" + profile);
        Map<Path, Integer> result = new java.util.LinkedHashMap<>();
        try (JarFile jar = new JarFile(exported.toFile())) {
            Properties launcher = new Properties();
            try (InputStream in = jar.getInputStream(jar.getEntry("launcher.properties"))) {
                launcher.load(in);
            }
            Map<String, Integer> levels = startLevels(launcher.getProperty("launch.runbundles.attrs", ""));
            Files.createDirectories(target);
            for (String name : launcher.getProperty("launch.bundles").split(",")) {
                ZipEntry entry = jar.getEntry(name.trim());
                Path file = target.resolve(Path.of(name.trim()).getFileName().toString());
                try (InputStream in = jar.getInputStream(entry)) {
                    Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
                }
                result.put(file, levels.getOrDefault(symbolicName(file), 1));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + exported, e);
        }
        return result;
    }

    private static Map<String, Integer> startLevels(String attrs) {
        Map<String, Integer> levels = new HashMap<>();
        for (String clause : attrs.split(",")) {
            String[] parts = clause.trim().split(";");
            for (String part : parts) {
                if (part.startsWith("startlevel=")) {
                    levels.put(parts[0].trim(), Integer.parseInt(part.substring("startlevel=".length()).trim()));
                }
            }
        }
        return levels;
    }

    private static Manifest manifest(Path jarFile) throws IOException {
        try (JarFile jar = new JarFile(jarFile.toFile())) {
            return jar.getManifest();
        }
    }

    private static String symbolicName(Path jarFile) throws IOException {
        String bsn = manifest(jarFile).getMainAttributes().getValue("Bundle-SymbolicName");
        return bsn == null ? jarFile.getFileName().toString() : bsn.split(";")[0].trim();
    }

    private static boolean isFragment(Path jarFile) {
        try {
            return manifest(jarFile).getMainAttributes().getValue("Fragment-Host") != null;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
