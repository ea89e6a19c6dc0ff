package org.carapace.it;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.After;
import org.junit.Test;

/**
 * The runtime under {@code carapace-supervisor} ({@code bin/carapace-runtime --supervise}), for real: killed with
 * SIGKILL it comes back, hung (SIGSTOP: it stops sending its watchdog ping) it is killed and comes back, and each
 * restarted runtime reports the gap as a {@code PLATFORM_RESTARTED} security event naming the cause; SIGTERM to the
 * supervisor stops it cleanly, and the next start is not taken for a restart.
 */
public class RuntimeSupervisorIT extends RealRuntimeTest {

    private static final Pattern PID = Pattern.compile("\\{\"pid\":(\\d+),");

    private RuntimeProcess supervisor;
    private Path run;

    @After
    public void stopTheSupervisorFirst() throws Exception {
        // the base class kills processes with SIGKILL, which would leave the supervised runtime behind
        if (supervisor != null && supervisor.process.isAlive()) {
            List<ProcessHandle> children = new ArrayList<>(supervisor.process.descendants().toList());
            supervisor.process.destroy();
            if (!supervisor.process.waitFor(45, TimeUnit.SECONDS)) {
                children.forEach(ProcessHandle::destroyForcibly);
            }
        }
    }

    private long runtimePid() throws Exception {
        Matcher m = PID.matcher(Files.readString(run.resolve("runtime.json"), StandardCharsets.UTF_8));
        assertTrue(m.find());
        return Long.parseLong(m.group(1));
    }

    private long readyLines() {
        return supervisor.lines.stream().filter(l -> l.contains("Carapace runtime ready")).count();
    }

    @Test
    public void aKilledOrHungRuntimeIsRestartedAndReportsTheGap() throws Exception {
        Path dir = Files.createTempDirectory("carapace-supervisor-it");
        Path data = dir.resolve("data");
        run = dir.resolve("run");
        List<String> command = new ArrayList<>(List.of(RuntimeBundles.home().resolve("bin/carapace-runtime").toString(),
            "--supervise", "--watchdog-sec", "3", "--profile", "dev", "--data-dir", data.toString(), "--run-dir", run.toString(),
            "--device-id", "dev-supervised"));
        command.addAll(RuntimeBundles.devPortArguments());
        supervisor = new RuntimeProcess(command, dir.resolve("runtime.log"), processes);
        RuntimeProcess.await("the first ready line", 60_000, () -> readyLines() >= 1);
        long first = runtimePid();
        RuntimeProcess.await("the supervisor sees READY=1", 10_000,
            () -> supervisor.printed("carapace-supervisor: runtime ready (pid " + first + ")"));
        // the watchdog pings keep a healthy runtime alive well past its 3 s
        Thread.sleep(7_000);
        assertEquals(first, runtimePid());
        assertFalse(RuntimeProcess.journal(data).contains("PLATFORM_RESTARTED"));

        // kill -9: back again, and the new runtime says why it was gone
        assertTrue(ProcessHandle.of(first).orElseThrow().destroyForcibly());
        RuntimeProcess.await("the ready line after kill -9", 60_000, () -> readyLines() >= 2);
        long second = runtimePid();
        assertNotEquals(first, second);
        RuntimeProcess.await("PLATFORM_RESTARTED after kill -9", 15_000,
            () -> journalHas(data, "PLATFORM_RESTARTED", "was killed by signal 9"));
        assertTrue(supervisor.lines.toString(), supervisor.printed("Carapace runtime restarted after an unclean stop (the runtime"
            + " was killed by signal 9"));

        // hung: no more watchdog pings, so the supervisor kills it and starts another
        Process stop = new ProcessBuilder("kill", "-STOP", Long.toString(second)).inheritIO().start();
        assertEquals(0, stop.waitFor());
        RuntimeProcess.await("the ready line after the watchdog", 90_000, () -> readyLines() >= 3);
        long third = runtimePid();
        assertNotEquals(second, third);
        assertTrue(supervisor.printed("carapace-supervisor: watchdog: no WATCHDOG=1 from the runtime for 3 s: killing it (pid "
            + second + ")"));
        RuntimeProcess.await("PLATFORM_RESTARTED after the watchdog", 15_000,
            () -> journalHas(data, "PLATFORM_RESTARTED", "watchdog: no WATCHDOG=1 from the runtime for 3 s"));

        // SIGTERM to the supervisor (kill, not Process.destroy, which also closes the pipe its log goes to): a clean
        // stop, nothing restarted, no marker left
        assertEquals(0, new ProcessBuilder("kill", "-TERM", Long.toString(supervisor.process.pid())).inheritIO().start().waitFor());
        assertTrue("the supervisor stops", supervisor.process.waitFor(45, TimeUnit.SECONDS));
        assertEquals(supervisor.lines.toString(), 0, supervisor.process.exitValue());
        assertFalse(ProcessHandle.of(third).map(ProcessHandle::isAlive).orElse(false));
        assertFalse("a clean stop removes the marker", Files.exists(run.resolve("runtime.json")));
        assertEquals(3, readyLines());
        assertTrue(supervisor.printed("; stopped"));
        assertTrue(supervisor.printed("Carapace runtime stopped cleanly"));
        // the audit line logged while the framework stops reaches the console before the console log stops
        assertTrue(supervisor.lines.toString(), supervisor.printed("Carapace runtime stopping: device="));
    }

    private static boolean journalHas(Path data, String type, String text) {
        try {
            String journal = RuntimeProcess.journal(data);
            int at = journal.indexOf(text);
            return journal.contains("\"type\":\"" + type + "\"") && at >= 0;
        } catch (java.io.IOException e) {
            return false;
        }
    }
}
