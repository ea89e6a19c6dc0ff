package org.carapace.protection.internal;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.carapace.api.enforcement.ContainerState;
import org.carapace.api.enforcement.GateDecision;
import org.carapace.api.enforcement.GuardException;
import org.carapace.api.events.SecurityEvent;
import org.carapace.api.protection.ProtectionMode;
import org.carapace.api.protection.ProtectionRules;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The protection benchmark (not part of the normal build: {@code bench/protection.sh}). Real runc containers of
 * the test image, protected and unprotected, interleaved; figures go to {@code target/protection-bench.txt}.
 *
 * <ul>
 *   <li>decision latency: every open of one image file asks the responder (ignore marks off), measured inside the
 *       container per {@code open()} and in the responder (read to answer), without and with GC pressure;</li>
 *   <li>first touch: files the container has never seen, each decided by the content worker;</li>
 *   <li>exec-heavy and open-heavy loops with the shipped settings (ignore marks on), ratio protected/unprotected.</li>
 * </ul>
 */
@Tag("bench")
class ProtectionBench {

    private static final int ROUNDS = Integer.getInteger("bench.rounds", 5);
    private static final int OPENS = Integer.getInteger("bench.opens", 20_000);
    private static final int EXECS = Integer.getInteger("bench.execs", 2_000);
    private static final int LOOP_OPENS = Integer.getInteger("bench.loopOpens", 200_000);
    private static final String RESPONDER = System.getProperty("bench.responder", "native");
    private static final String SECTIONS = System.getProperty("bench.sections", "latency,first,loops");
    private final List<String> lines = new ArrayList<>();
    private final List<SecurityEvent> events = new CopyOnWriteArrayList<>();

    @Test
    void protectionBenchmark() throws Exception {
        ContainerHarness.assumeMachine();
        ContainerHarness.buildImage();
        line("JVM: " + System.getProperty("java.vm.name") + " " + System.getProperty("java.version") + ", GC "
            + java.lang.management.ManagementFactory.getGarbageCollectorMXBeans().stream().map(b -> b.getName()).toList()
            + ", max heap " + Runtime.getRuntime().maxMemory() / (1 << 20) + " MiB");
        line("responder " + RESPONDER + ", real-time priority " + Integer.getInteger("bench.rtPriority", 10)
            + ", load average " + new String(Files.readAllBytes(Path.of("/proc/loadavg"))).trim());
        try (ContainerHarness harness = new ContainerHarness()) {
            if (SECTIONS.contains("latency")) {
                decisionLatency(harness, false);
                decisionLatency(harness, true);
            }
            if (SECTIONS.contains("first")) {
                firstTouch(harness);
            }
            if (SECTIONS.contains("loops")) {
                loops(harness);
            }
        }
        Files.write(ContainerHarness.WORK.getParent().resolve("protection-bench-" + RESPONDER + ".txt"), lines);
    }

    private void line(String s) {
        System.out.println(s);
        lines.add(s);
    }

    private ProtectionEngine engine(boolean ignoreMarks) {
        EngineSettings d = EngineSettings.defaults(Optional.empty());
        EngineSettings s = new EngineSettings(true, d.hashDeadlineMillis(), d.maxHashBytes(), d.hashThreads(),
            d.hashQueue(), d.maxCacheEntries(), d.maxImageFiles(), d.maxImageBytes(), 1000, 1000.0, 1000, 2000, 3000,
            Optional.empty(), List.of(), true, d.nsenter(), ignoreMarks, !"java".equals(RESPONDER), 16,
            Integer.getInteger("bench.rtPriority", 10));
        return new ProtectionEngine(s, new RootfsWalkWhitelist(100_000, 1L << 30), events::add, (w, m) -> { });
    }

    private static void protect(ContainerHarness h, ProtectionEngine e) {
        ProtectionRules rules = new ProtectionRules(ProtectionMode.ENFORCE, Set.of(), List.of(),
            List.of("/tmp", "/var/tmp", "/run"), List.of());
        h.guard(new ContainerHarness.Guard() {
            @Override
            public void allowed(GateDecision decision, ContainerState state) throws GuardException {
                if (e != null) {
                    e.protect(decision, state, rules);
                }
            }

            @Override
            public void stopped(ContainerState state) {
                if (e != null) {
                    e.release(state.id(), "poststop");
                }
            }
        });
    }

    private static String runIn(ContainerHarness h, String id, String command) throws Exception {
        Path bundle = h.bundle(id, command);
        ContainerHarness.Result r = ContainerHarness.run(id, bundle, Duration.ofMinutes(5));
        if (r.exitCode() != 0) {
            throw new AssertionError(id + " failed: " + r.output());
        }
        return r.output().trim();
    }

    /** A thread that allocates as fast as it can and keeps some of it, so that collections come back to back. */
    private static Thread gcPressure(boolean[] stop) {
        Thread t = new Thread(() -> {
            byte[][] keep = new byte[512][];
            long i = 0;
            while (!stop[0]) {
                keep[(int) (i++ % keep.length)] = new byte[32 * 1024];
            }
        }, "gc-pressure");
        t.setDaemon(true);
        return t;
    }

    private void decisionLatency(ContainerHarness h, boolean pressure) throws Exception {
        line("");
        line("## decision latency, cache hit, every open asks (ignore marks off)" + (pressure ? ", under GC pressure" : ""));
        line("open() in the container, microseconds: p50 p99 p99.9 max n");
        boolean[] stop = {false};
        Thread gc = gcPressure(stop);
        long gcBefore = gcCount();
        if (pressure) {
            gc.start();
        }
        try {
            for (int round = 0; round < ROUNDS; round++) {
                protect(h, null);
                String base = runIn(h, "bench-lat-u" + round, "/usr/bin/ctprobe openlat /etc/protected.conf " + OPENS);
                try (ProtectionEngine e = engine(false)) {
                    protect(h, e);
                    String id = "bench-lat-p" + round;
                    String prot = runIn(h, id, "/usr/bin/ctprobe openlat /etc/protected.conf " + OPENS);
                    line("round " + round + ": unprotected " + base + " | protected " + prot);
                }
            }
        } finally {
            stop[0] = true;
            gc.join(5000);
        }
        line("responder histogram, read to answer (last round): see protected figures above; GCs during the runs: "
            + (gcCount() - gcBefore));
        try (ProtectionEngine e = engine(false)) {
            protect(h, e);
            if (pressure) {
                stop[0] = false;
                Thread again = gcPressure(stop);
                again.start();
                try {
                    responderFigures(h, e, "bench-lat-r");
                } finally {
                    stop[0] = true;
                    again.join(5000);
                }
            } else {
                responderFigures(h, e, "bench-lat-r");
            }
        }
    }

    private void responderFigures(ContainerHarness h, ProtectionEngine e, String id) throws Exception {
        // keep the container alive until its histogram is read: the engine drops it when it exits
        Path bundle = h.bundle(id, "/usr/bin/ctprobe openlat /etc/protected.conf " + OPENS + "; touch /tmp/done; sleep 30");
        Process p = ContainerHarness.start(id, bundle);
        try {
            Path done = bundle.resolve("rootfs/tmp/done");
            long end = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
            while (!Files.exists(done) && System.nanoTime() < end) {
                Thread.sleep(20);
            }
            ProtectedContainer c = e.containers().get(id);
            LatencyHistogram l = c.latencySnapshot();
            line("responder read-to-answer, microseconds: p50 " + l.percentileMicros(0.5) + " p99 "
                + l.percentileMicros(0.99) + " p99.9 " + l.percentileMicros(0.999) + " max "
                + l.percentileMicros(1.0) + " n " + l.count());
        } finally {
            ContainerHarness.exec(Duration.ofSeconds(30), "runc", "delete", "-f", id);
            p.destroyForcibly();
        }
    }

    private static long gcCount() {
        return java.lang.management.ManagementFactory.getGarbageCollectorMXBeans().stream()
            .mapToLong(b -> Math.max(0, b.getCollectionCount())).sum();
    }

    private void firstTouch(ContainerHarness h) throws Exception {
        line("");
        line("## first touch: files created on the host after the start, opened once each (content worker)");
        line("open() in the container, microseconds: p50 p99 p99.9 max n");
        int n = 2000;
        for (int round = 0; round < ROUNDS; round++) {
            for (boolean protectedRun : new boolean[] {false, true}) {
                try (ProtectionEngine e = protectedRun ? engine(true) : null) {
                    protect(h, e);
                    String id = "bench-first-" + (protectedRun ? "p" : "u") + round;
                    Path bundle = h.bundle(id, "while [ ! -e /tmp/go ]; do sleep 0.05; done; "
                        + "/usr/bin/ctprobe openlat /tmp/lat " + n);
                    Process p = ContainerHarness.start(id, bundle);
                    try {
                        Path lat = bundle.resolve("rootfs/tmp/lat");
                        Files.createDirectories(lat);
                        for (int i = 0; i < n; i++) {
                            Files.write(lat.resolve("f" + i), new byte[] {'x'});
                        }
                        Files.createFile(bundle.resolve("rootfs/tmp/go"));
                        if (!p.waitFor(3, TimeUnit.MINUTES)) {
                            throw new AssertionError(id + " did not finish");
                        }
                        line("round " + round + (protectedRun ? " protected   " : " unprotected ")
                            + new String(p.getInputStream().readAllBytes()).trim());
                    } finally {
                        ContainerHarness.exec(Duration.ofSeconds(30), "runc", "delete", "-f", id);
                    }
                }
            }
        }
    }

    private void loops(ContainerHarness h) throws Exception {
        line("");
        line("## loops with the shipped settings (ignore marks on), interleaved; wall nanoseconds inside the container");
        long[][] exec = new long[2][ROUNDS];
        long[][] open = new long[2][ROUNDS];
        for (int round = 0; round < ROUNDS; round++) {
            // ABBA: the order flips every round, so that drift on a shared machine does not favour one side
            for (int k = 0; k < 2; k++) {
                int prot = round % 2 == 0 ? k : 1 - k;
                try (ProtectionEngine e = prot == 1 ? engine(true) : null) {
                    protect(h, e);
                    String out = runIn(h, "bench-loop-" + prot + "-" + round,
                        "/usr/bin/ctprobe execloop " + EXECS + " /bin/true; /usr/bin/ctprobe openloop /etc/protected.conf "
                            + LOOP_OPENS);
                    String[] f = out.split("\\s+");
                    exec[prot][round] = Long.parseLong(f[0]);
                    open[prot][round] = Long.parseLong(f[1]);
                    if (e != null) {
                        line("round " + round + ": permission events that reached the responder: " + e.releasedEvents());
                    }
                }
            }
            line("round " + round + ": exec " + EXECS + "x unprotected " + exec[0][round] / 1_000_000 + " ms, protected "
                + exec[1][round] / 1_000_000 + " ms; open " + LOOP_OPENS + "x unprotected " + open[0][round] / 1_000_000
                + " ms, protected " + open[1][round] / 1_000_000 + " ms");
        }
        line(String.format("median ratio protected/unprotected: exec %.3f, open %.3f; best-of ratio: exec %.3f, open %.3f",
            (double) median(exec[1]) / median(exec[0]), (double) median(open[1]) / median(open[0]),
            (double) min(exec[1]) / min(exec[0]), (double) min(open[1]) / min(open[0])));
    }

    private static long min(long[] v) {
        return Arrays.stream(v).min().orElseThrow();
    }

    private static long median(long[] v) {
        long[] s = v.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }
}
