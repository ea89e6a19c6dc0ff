package org.carapace.protection.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.carapace.api.enforcement.ContainerState;
import org.carapace.api.enforcement.GateDecision;
import org.carapace.api.enforcement.GuardException;
import org.carapace.api.events.SecurityEvent;
import org.carapace.api.events.SecurityEventType;
import org.carapace.api.protection.Association;
import org.carapace.api.protection.ProgramIdentity;
import org.carapace.api.protection.ProtectionMode;
import org.carapace.api.protection.ProtectionRules;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The protection engine against real runc containers and real kernel fanotify events: the container is created
 * by runc, the real OCI hook asks a stand-in gate, which lets the engine protect the container at
 * {@code createRuntime}, before its first process runs.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ContainerProtectionTest {

    private static final List<String> WRITABLE = List.of("/tmp", "/var/tmp", "/run");
    private final List<SecurityEvent> events = new CopyOnWriteArrayList<>();
    private final List<String> containers = new ArrayList<>();
    private final List<String> log = new CopyOnWriteArrayList<>();
    private ContainerHarness harness;
    private ProtectionEngine engine;
    private Path stateDir;

    @BeforeAll
    static void image() throws Exception {
        ContainerHarness.assumeMachine();
        ContainerHarness.buildImage();
    }

    @BeforeEach
    void setUp() throws IOException {
        harness = new ContainerHarness();
        stateDir = Files.createTempDirectory(ContainerHarness.WORK, "state");
    }

    @AfterEach
    void tearDown() throws Exception {
        for (String id : containers) {
            ContainerHarness.exec(Duration.ofSeconds(30), "runc", "delete", "-f", id);
        }
        if (engine != null) {
            engine.close();
        }
        harness.close();
    }

    private ProtectionEngine engine(ProtectionRules rules) {
        engine = newEngine();
        harness.guard(guardFor(engine, rules));
        return engine;
    }

    private ProtectionEngine newEngine() {
        return newEngine(200);
    }

    private ProtectionEngine newEngine(long watchdogMillis) {
        EngineSettings defaults = EngineSettings.defaults(Optional.of(stateDir));
        EngineSettings settings = new EngineSettings(true, 5000, defaults.maxHashBytes(), 2, 1024, 100_000, 100_000,
            1L << 30, 1000, 1000.0, watchdogMillis, 2000, 3000, Optional.of(stateDir), List.of(), true, Path.of("/usr/bin/nsenter"), true,
            !"java".equals(System.getProperty("carapace.responder")), 16, 10);
        return new ProtectionEngine(settings, new RootfsWalkWhitelist(100_000, 1L << 30), events::add,
            (warning, message) -> {
                log.add(message);
                System.out.println("engine: " + message);
            });
    }

    private static ContainerHarness.Guard guardFor(ProtectionEngine e, ProtectionRules rules) {
        return new ContainerHarness.Guard() {
            @Override
            public void allowed(GateDecision decision, ContainerState state) throws GuardException {
                e.protect(decision, state, rules);
            }

            @Override
            public void stopped(ContainerState state) {
                e.release(state.id(), "poststop");
            }
        };
    }

    private static ProtectionRules rules(ProtectionMode mode, Association... associations) {
        return new ProtectionRules(mode, Set.of(), List.of(), WRITABLE, List.of(associations));
    }

    private static Association secretForCtprobe() {
        return new Association("/etc/secret", List.of(new ProgramIdentity("/usr/bin/ctprobe", Optional.empty())));
    }

    private ContainerHarness.Result run(String id, String command) throws Exception {
        containers.add(id);
        Path bundle = harness.bundle(id, command);
        return ContainerHarness.run(id, bundle, Duration.ofSeconds(60));
    }

    private void awaitReleased() throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!engine.containers().isEmpty() && System.nanoTime() < end) {
            Thread.sleep(10);
        }
        assertTrue(engine.containers().isEmpty(), "released when its container exited: " + engine.containers());
    }

    private SecurityEvent awaitEvent(SecurityEventType type, Predicate<Map<String, Object>> match) throws Exception {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < end) {
            for (SecurityEvent e : events) {
                if (e.type() == type && match.test(e.context())) {
                    return e;
                }
            }
            Thread.sleep(20);
        }
        throw new AssertionError("no " + type + " event matching; events: " + events);
    }

    private static Predicate<Map<String, Object>> path(String path) {
        return ctx -> path.equals(ctx.get("path"));
    }

    private static Predicate<Map<String, Object>> audited(SecurityEventType violation, String path) {
        return ctx -> violation.name().equals(ctx.get("violation")) && path.equals(ctx.get("path"));
    }

    @Test
    void enforceRunsTheImageButDeniesDroppedBinariesWritesAndFilelessExec() throws Exception {
        engine(rules(ProtectionMode.ENFORCE));
        ContainerHarness.Result r = run("prot-enforce", String.join("\n",
            "/bin/busybox2 echo image-binary-ran",
            "cp /bin/busybox /tmp/busybox-copy && /tmp/busybox-copy echo copy-of-image-binary-ran",
            "cp /bin/busybox /tmp/busybox-dropped && echo >> /tmp/busybox-dropped",
            "/tmp/busybox-dropped echo dropped-ran; echo \"dropped rc=$?\"",
            "echo x > /etc/protected.conf; echo \"write rc=$?\"",
            "rm /etc/protected.conf; echo \"rm rc=$?\"",
            "mv /etc/protected.conf /tmp/moved; echo \"mv rc=$?\"",
            "truncate -s 0 /etc/protected.conf; echo \"truncate rc=$?\"",
            "touch /etc/new-file; echo \"create rc=$?\"",
            "echo writable-ok > /tmp/w && cat /tmp/w",
            "/usr/bin/ctprobe memexec /bin/busybox",
            "cat /etc/protected.conf"));
        String out = r.output();
        assertTrue(out.contains("image-binary-ran"), out);
        assertTrue(out.contains("copy-of-image-binary-ran"), "a copy of an image binary has a whitelisted digest: " + out);
        assertFalse(out.contains("dropped-ran"), out);
        assertTrue(out.contains("dropped rc=126"), out);
        for (String op : List.of("write", "rm", "mv", "truncate", "create")) {
            assertTrue(out.contains(op + " rc=1"), op + ": " + out);
        }
        assertTrue(out.contains("Read-only file system"), out);
        assertTrue(out.contains("writable-ok"), out);
        assertTrue(out.contains("fexecve: Permission denied"), out);
        assertFalse(out.contains("memfd-exec-ran"), out);
        assertTrue(out.contains("original"), out);
        Path bundle = ContainerHarness.WORK.resolve("bundles/prot-enforce");
        assertEquals("original\n", Files.readString(bundle.resolve("rootfs/etc/protected.conf")));

        SecurityEvent denied = awaitEvent(SecurityEventType.EXEC_DENIED, path("/tmp/busybox-dropped"));
        Map<String, Object> ctx = denied.context();
        assertEquals("prot-enforce", ctx.get("containerId"));
        assertEquals("exec-whitelist", ctx.get("rule"));
        assertEquals("denied", ctx.get("verdict"));
        assertEquals(RootfsWalkWhitelist.digest(bundle.resolve("rootfs/tmp/busybox-dropped"), RootfsWalkWhitelist.sha256(),
            java.nio.ByteBuffer.allocate(1 << 16)), ctx.get("digest"));
        assertTrue((Integer) ctx.get("pid") > 1, ctx.toString());
        assertEquals("/bin/busybox", ctx.get("executable"));
        assertTrue(events.stream().noneMatch(e -> "/tmp/busybox-copy".equals(e.context().get("path"))), events.toString());
        // released when it exited (no poststop hook is installed)
        awaitReleased();
    }

    @Test
    void thePolicysExecWhitelistDecidesWhatRuns() throws Exception {
        String id = "prot-policy";
        containers.add(id);
        Path bundle = harness.bundle(id, String.join("\n",
            "/bin/busybox echo listed-ran",
            "/usr/bin/ctprobe cat /etc/secret; echo \"ctprobe rc=$?\""));
        String busybox = RootfsWalkWhitelist.digest(bundle.resolve("rootfs/bin/busybox"), RootfsWalkWhitelist.sha256(),
            java.nio.ByteBuffer.allocate(1 << 16));
        String rootfsDigest = "sha256:" + "c".repeat(64);
        // the signed policy lists /bin/busybox only: /usr/bin/ctprobe is in the image, and the walk would trust it
        org.carapace.api.policy.ImageRule rule = new org.carapace.api.policy.ImageRule("busybox-test", rootfsDigest,
            Optional.empty(), org.carapace.api.policy.EnforcementMode.ENFORCE,
            new org.carapace.api.policy.ExecWhitelist(List.of(new org.carapace.api.policy.FileDigest("/bin/busybox",
                busybox.substring("sha256:".length()))), Set.of(), Optional.empty()),
            List.of(), List.of(), List.of());
        PolicyRulesProvider provider = new PolicyRulesProvider(PolicyFixture.allowing(rule), Optional.empty(),
            rules(ProtectionMode.ENFORCE));
        engine = newEngine();
        harness.policyDigest(rootfsDigest);
        harness.guard(new ContainerHarness.Guard() {
            @Override
            public void allowed(GateDecision decision, ContainerState state) throws GuardException {
                PolicyRulesProvider.Resolved r = provider.resolve(decision);
                engine.protect(decision, state, r.rules(), r.knownContent(), r.origin());
            }

            @Override
            public void stopped(ContainerState state) {
                engine.release(state.id(), "poststop");
            }
        });

        String out = ContainerHarness.run(id, bundle, Duration.ofSeconds(60)).output();

        assertTrue(out.contains("listed-ran"), out);
        assertFalse(out.contains("top secret"), out);
        assertTrue(out.contains("ctprobe rc=126"), out);
        SecurityEvent denied = awaitEvent(SecurityEventType.EXEC_DENIED, path("/usr/bin/ctprobe"));
        assertEquals("exec-whitelist", denied.context().get("rule"));
        assertEquals("policy image busybox-test (base v1): enforce, executables exec list 1; configured writablePaths",
            denied.context().get("rules"));
        assertTrue(log.stream().anyMatch(l -> l.contains("1 executables from the rules, 0 of them known on disk")),
            log.toString());
    }

    @Test
    void aModifiedImageBinaryIsDenied() throws Exception {
        engine(rules(ProtectionMode.ENFORCE));
        String id = "prot-modified";
        containers.add(id);
        Path bundle = harness.bundle(id, String.join("\n",
            "/bin/busybox2 echo before-ran",
            "touch /tmp/ready",
            "while [ ! -e /tmp/go ]; do sleep 0.05; done",
            "/bin/busybox2 echo after-ran; echo \"after rc=$?\""));
        Process p = ContainerHarness.start(id, bundle);
        Path rootfs = bundle.resolve("rootfs");
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!Files.exists(rootfs.resolve("tmp/ready")) && System.nanoTime() < end) {
            Thread.sleep(20);
        }
        // the attacker with write access to the host's image store changes the binary under the running container
        Files.write(rootfs.resolve("bin/busybox2"), new byte[] {0}, StandardOpenOption.APPEND);
        Files.createFile(rootfs.resolve("tmp/go"));
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(out.contains("before-ran"), out);
        assertFalse(out.contains("after-ran"), out);
        assertTrue(out.contains("after rc=126"), out);
        SecurityEvent e = awaitEvent(SecurityEventType.EXEC_DENIED, path("/bin/busybox2"));
        assertEquals(RootfsWalkWhitelist.digest(rootfs.resolve("bin/busybox2"), RootfsWalkWhitelist.sha256(),
            java.nio.ByteBuffer.allocate(1 << 16)), e.context().get("digest"));
    }

    @Test
    void anAssociatedFileOpensOnlyForItsProgram() throws Exception {
        engine(rules(ProtectionMode.ENFORCE, secretForCtprobe()));
        ContainerHarness.Result r = run("prot-assoc", String.join("\n",
            "/usr/bin/ctprobe cat /etc/secret; echo \"ctprobe rc=$?\"",
            "cat /etc/secret; echo \"cat rc=$?\"",
            "cp /usr/bin/ctprobe /tmp/ctprobe-copy && /tmp/ctprobe-copy cat /etc/secret; echo \"copy rc=$?\""));
        String out = r.output();
        // stdout and stderr reach the harness through separate pipes: lines of the two may interleave
        assertTrue(out.contains("top secret") && out.contains("ctprobe rc=0"), out);
        assertTrue(out.contains("cat rc=1"), out);
        assertTrue(out.contains("copy rc=1"), "same digest, other path: not the named program: " + out);
        assertEquals(1, out.split("top secret", -1).length - 1, out);
        SecurityEvent e = awaitEvent(SecurityEventType.ASSOCIATED_OPEN_DENIED,
            ctx -> "/etc/secret".equals(ctx.get("path")) && "/bin/busybox".equals(ctx.get("executable")));
        assertEquals("associated-execution", e.context().get("rule"));
    }

    @Test
    void auditModeLetsEverythingThroughAndReportsEachCase() throws Exception {
        engine(rules(ProtectionMode.AUDIT, secretForCtprobe()));
        ContainerHarness.Result r = run("prot-audit", String.join("\n",
            "cp /bin/busybox /tmp/busybox-dropped && echo >> /tmp/busybox-dropped",
            "/tmp/busybox-dropped echo dropped-ran",
            "echo changed > /etc/protected.conf; echo \"write rc=$?\"",
            "cat /etc/secret; echo \"cat rc=$?\""));
        String out = r.output();
        assertTrue(out.contains("dropped-ran"), out);
        assertTrue(out.contains("write rc=0"), out);
        assertTrue(out.contains("top secret\ncat rc=0"), out);
        SecurityEvent exec = awaitEvent(SecurityEventType.PROTECTION_AUDIT,
            audited(SecurityEventType.EXEC_DENIED, "/tmp/busybox-dropped"));
        assertEquals("allowed", exec.context().get("verdict"));
        awaitEvent(SecurityEventType.PROTECTION_AUDIT, audited(SecurityEventType.WRITE_DENIED, "/etc/protected.conf"));
        awaitEvent(SecurityEventType.PROTECTION_AUDIT, audited(SecurityEventType.ASSOCIATED_OPEN_DENIED, "/etc/secret"));
        assertTrue(events.stream().noneMatch(e -> e.type() == SecurityEventType.EXEC_DENIED
            || e.type() == SecurityEventType.WRITE_DENIED), events.toString());
    }

    @Test
    void reattachesToARunningContainerAfterARestart() throws Exception {
        engine(rules(ProtectionMode.ENFORCE));
        String id = "prot-reattach";
        containers.add(id);
        Path bundle = harness.bundle(id, "sleep 60");
        ContainerHarness.Result started = ContainerHarness.exec(Duration.ofSeconds(30), "sh", "-c",
            "runc run -d --bundle " + bundle + " " + id + " >/dev/null 2>&1 </dev/null; echo rc=$?");
        assertTrue(started.output().contains("rc=0"), started.output() + " " + harness.lastRefusal());
        assertTrue(engine.containers().containsKey(id));

        engine.close(); // the runtime stops: the kernel stops asking, protection is released (fails open)
        ContainerHarness.Result unprotected = ContainerHarness.exec(Duration.ofSeconds(30), "runc", "exec", id,
            "/bin/sh", "-c", "cp /bin/busybox /tmp/busybox-d1 && echo >> /tmp/busybox-d1 && /tmp/busybox-d1 echo gap-ran");
        assertTrue(unprotected.output().contains("gap-ran"), "the documented fail-open window: " + unprotected.output());

        engine = newEngine();
        harness.guard(guardFor(engine, rules(ProtectionMode.ENFORCE)));
        assertEquals(List.of(id), engine.reattach());
        awaitEvent(SecurityEventType.PROTECTION_DEGRADED, ctx -> "re-attached".equals(ctx.get("reason")));
        ContainerHarness.Result r = ContainerHarness.exec(Duration.ofSeconds(30), "runc", "exec", id, "/bin/sh", "-c",
            "cp /bin/busybox /tmp/busybox-d2 && echo >> /tmp/busybox-d2; /tmp/busybox-d2 echo dropped-ran; echo \"rc=$?\"");
        assertFalse(r.output().contains("dropped-ran"), r.output());
        assertTrue(r.output().contains("rc=126"), r.output());
        awaitEvent(SecurityEventType.EXEC_DENIED, path("/tmp/busybox-d2"));

        ContainerHarness.exec(Duration.ofSeconds(30), "runc", "delete", "-f", id);
        awaitReleased();
        assertFalse(Files.exists(stateDir.resolve(id + ".json")));
    }

    @Test
    void releasedTheMomentTheContainerExitsWithoutAPoststopHook() throws Exception {
        engine = newEngine(600_000); // the watchdog will not look during this test: the exit itself must release
        harness.guard(guardFor(engine, rules(ProtectionMode.ENFORCE))); // no poststop hook calls its release
        String id = "prot-exit";
        containers.add(id);
        Path bundle = harness.bundle(id, "sleep 60");
        ContainerHarness.Result started = ContainerHarness.exec(Duration.ofSeconds(30), "sh", "-c",
            "runc run -d --bundle " + bundle + " " + id + " >/dev/null 2>&1 </dev/null; echo rc=$?");
        assertTrue(started.output().contains("rc=0"), started.output() + " " + harness.lastRefusal());
        assertTrue(engine.containers().containsKey(id));
        assertTrue(Files.exists(stateDir.resolve(id + ".json")));

        ContainerHarness.exec(Duration.ofSeconds(30), "runc", "kill", id, "KILL");
        String released = "Released protection of container " + id + ": the container exited";
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!log.contains(released) && System.nanoTime() < end) {
            Thread.sleep(10);
        }
        assertTrue(log.contains(released), String.join("\n", log));
        assertFalse(engine.containers().containsKey(id), "released when its init process exited");
        assertFalse(Files.exists(stateDir.resolve(id + ".json")), "its re-attach record is gone too");
    }

    @Test
    void aProcessOfTheHostIsNeverProtectedAsAContainer() throws Exception {
        engine = newEngine();
        // a state naming the runtime's own pid: marks and read-only remounts there would act on the host
        ContainerState state = new ContainerState("1.0.2", "not-a-container", "creating", ProcessHandle.current().pid(),
            ContainerHarness.WORK, Map.of());
        GateDecision decision = new GateDecision(org.carapace.api.enforcement.Verdict.ALLOW, state.id(), state.bundle(),
            Optional.of(ContainerHarness.WORK), Optional.empty(), Optional.of("busybox-test"), "enforce", "test", List.of(), 0,
            Optional.empty());
        GuardException e = org.junit.jupiter.api.Assertions.assertThrows(GuardException.class,
            () -> engine.protect(decision, state, rules(ProtectionMode.ENFORCE)));
        assertTrue(e.getMessage().contains("shares the runtime's own mount namespace: not a container"), e.getMessage());
    }
}
