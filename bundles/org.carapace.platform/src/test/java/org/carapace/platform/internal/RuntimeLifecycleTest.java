package org.carapace.platform.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RuntimeLifecycleTest {

    @TempDir
    Path run;

    private final List<String> warnings = new ArrayList<>();

    private RuntimeLifecycle lifecycle() {
        return new RuntimeLifecycle(run, ServiceNotifier.fromEnvironment(Map.of(), 1), warnings::add);
    }

    @Test
    void aFirstStartIsNoRestartAndLeavesAMarkerThatACleanStopRemoves() throws Exception {
        RuntimeLifecycle lifecycle = lifecycle();

        assertEquals(Optional.empty(), lifecycle.takeOver(Map.of(), 4242, 1_000));
        String marker = Files.readString(run.resolve(RuntimeLifecycle.MARKER), StandardCharsets.UTF_8);
        assertTrue(marker.startsWith("{\"pid\":4242,\"startedAt\":\""), marker);

        lifecycle.stoppedCleanly();
        assertFalse(Files.exists(run.resolve(RuntimeLifecycle.MARKER)));
        assertEquals(Optional.empty(), lifecycle().takeOver(Map.of(), 4243, 2_000));
        assertEquals(List.of(), warnings);
    }

    @Test
    void aMarkerLeftBehindIsAnUncleanStopNamingThePreviousRuntime() throws Exception {
        lifecycle().takeOver(Map.of(), 4242, 1_000); // then killed: no clean stop

        RuntimeLifecycle.UncleanStop stop = lifecycle().takeOver(Map.of(), 4243, 2_000).orElseThrow();

        assertEquals("the previous runtime (pid 4242) ended without a clean stop", stop.reason());
        assertEquals(Optional.of(4242L), stop.previousPid());
        assertTrue(stop.previousStartedAt().isPresent());
        assertEquals(Optional.empty(), stop.downMillis());
        assertTrue(Files.readString(run.resolve(RuntimeLifecycle.MARKER)).startsWith("{\"pid\":4243,"), "the new run's marker");
    }

    @Test
    void theSupervisorsReasonAndDowntimeWinAndAreKeptPrintable() throws Exception {
        lifecycle().takeOver(Map.of(), 4242, 1_000);

        RuntimeLifecycle.UncleanStop stop = lifecycle().takeOver(Map.of("CARAPACE_RESTART_REASON", "the runtime was killed\nFAKE LINE",
            "CARAPACE_RESTART_COUNT", "3", "CARAPACE_DOWN_SINCE_MS", "1500"), 4243, 4_000).orElseThrow();

        assertEquals("the runtime was killed?FAKE LINE", stop.reason());
        assertEquals(Optional.of(3), stop.restarts());
        assertEquals(Optional.of(2_500L), stop.downMillis());
        assertEquals(Map.of("reason", "the runtime was killed?FAKE LINE", "restarts", 3, "downMillis", 2_500L, "previousPid", 4242L,
            "previousStartedAt", stop.previousStartedAt().orElseThrow()), stop.context());
    }

    @Test
    void aGarbledMarkerIsStillAnUncleanStop() throws Exception {
        Files.writeString(run.resolve(RuntimeLifecycle.MARKER), "not json");

        RuntimeLifecycle.UncleanStop stop = lifecycle().takeOver(Map.of(), 7, 1).orElseThrow();

        assertEquals("the previous runtime ended without a clean stop", stop.reason());
        assertEquals(Optional.empty(), stop.previousPid());
    }

    @Test
    void theNotificationVariablesAreCheckedNotGuessed() {
        assertFalse(ServiceNotifier.fromEnvironment(Map.of(), 1).enabled());
        ServiceNotifier watched = ServiceNotifier.fromEnvironment(Map.of("NOTIFY_SOCKET", "/run/x/notify.sock", "WATCHDOG_USEC",
            "3000000"), 1);
        assertTrue(watched.enabled());
        assertEquals(3000, watched.watchdogMillis());
        assertEquals(0, ServiceNotifier.fromEnvironment(Map.of("NOTIFY_SOCKET", "@abstract", "WATCHDOG_USEC", "3000000",
            "WATCHDOG_PID", "99"), 1).watchdogMillis(), "another process's watchdog");
        assertThrows(IllegalArgumentException.class, () -> ServiceNotifier.fromEnvironment(Map.of("NOTIFY_SOCKET", "relative"), 1));
        assertThrows(IllegalArgumentException.class, () -> ServiceNotifier.fromEnvironment(Map.of("NOTIFY_SOCKET", "/x",
            "WATCHDOG_USEC", "soon"), 1));
        assertThrows(IllegalArgumentException.class, () -> ServiceNotifier.fromEnvironment(Map.of("NOTIFY_SOCKET", "/x",
            "WATCHDOG_USEC", "0"), 1));
    }
}
