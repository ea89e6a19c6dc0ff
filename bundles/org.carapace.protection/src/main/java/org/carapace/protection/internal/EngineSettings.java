package org.carapace.protection.internal;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The engine's limits and switches, validated once.
 *
 * @param readOnlyMounts enforce mode makes the image read-only in the container's mount namespace
 * @param hashDeadlineMillis an unknown file's content must be established within this time, else the default answer
 * @param maxHashBytes larger files are not hashed (so never trusted to run)
 * @param hashThreads content worker threads
 * @param hashQueue content work waiting at most
 * @param maxCacheEntries verdict cache entries per container
 * @param maxImageFiles files the interim rootfs walk hashes at most
 * @param maxImageBytes bytes the interim rootfs walk hashes at most
 * @param eventBurst security events per container and type at once
 * @param eventsPerSecond sustained security events per container and type
 * @param watchdogMillis how often the watchdog looks
 * @param stallMillis a responder silent for longer is reported stalled
 * @param setupTimeoutMillis the mount-namespace work at createRuntime must finish within this time
 * @param stateDir where protection records are kept for a re-attach after a runtime restart; empty for none
 * @param runtimeStateDirs OCI runtime state roots scanned for running containers (e.g. {@code /run/runc})
 * @param memfdNoExec forbid executable memfds in enforce-mode containers ({@code vm.memfd_noexec=2} in their pid
 *                    namespace)
 * @param nsenter the nsenter program used for that
 * @param ignoreMarks leave repeated allowed accesses to the kernel (an ignore mark per inode); off only to measure
 * @param nativeResponder answer cached verdicts from the native thread (Java answers the rest); false: Java answers all
 * @param nativeTableLog2 the native verdict table holds 2^n entries per container (70% used at most)
 * @param realtimePriority SCHED_FIFO priority of the native responder thread, 0 for the ordinary scheduler
 */
record EngineSettings(boolean readOnlyMounts, long hashDeadlineMillis, long maxHashBytes, int hashThreads,
                      int hashQueue, int maxCacheEntries, int maxImageFiles, long maxImageBytes, int eventBurst,
                      double eventsPerSecond, long watchdogMillis, long stallMillis, long setupTimeoutMillis,
                      Optional<Path> stateDir, List<Path> runtimeStateDirs, boolean memfdNoExec, Path nsenter,
                      boolean ignoreMarks, boolean nativeResponder, int nativeTableLog2,
                      int realtimePriority) {

    EngineSettings {
        if (hashDeadlineMillis < 1 || maxHashBytes < 1 || hashThreads < 1 || hashQueue < 1 || maxCacheEntries < 1
            || maxImageFiles < 1 || maxImageBytes < 1 || eventBurst < 1 || eventsPerSecond <= 0
            || watchdogMillis < 10 || stallMillis < 10 || setupTimeoutMillis < 1 || nativeTableLog2 < 4
            || nativeTableLog2 > 26 || realtimePriority < 0 || realtimePriority > 99) {
            throw new IllegalArgumentException("protection limits must be positive (watchdog and stall at least 10 ms, "
                + "native table 2^4..2^26, real-time priority 0..99)");
        }
        runtimeStateDirs = List.copyOf(runtimeStateDirs);
    }

    static EngineSettings defaults(Optional<Path> stateDir) {
        return new EngineSettings(true, 1000, 256L << 20, 2, 1024, 200_000, 200_000, 4L << 30, 20, 5.0, 1000, 2000,
            3000, stateDir, List.of(Path.of("/run/runc")), true, Path.of("/usr/bin/nsenter"), true, true, 16, 10);
    }
}
