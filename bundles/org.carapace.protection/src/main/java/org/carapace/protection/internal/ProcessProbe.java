package org.carapace.protection.internal;

/**
 * What the engine asks the kernel about the process behind an event, all from procfs (memory, never disk).
 * Implementations are thread-safe.
 */
interface ProcessProbe {

    /** Whether the process's pending system call opens for writing. */
    enum WriteIntent {
        READ, WRITE, UNKNOWN
    }

    /** From {@code /proc/<pid>/syscall} (the process is blocked in the open that raised the event). */
    WriteIntent writeIntent(int pid);

    /** The inode of {@code /proc/<pid>/ns/mnt}, or -1 when the process is gone. */
    long mountNamespace(int pid);

    /** The content key of the process's executable ({@code /proc/<pid>/exe}), or {@code null} when gone. */
    FileKey executable(int pid);

    /** The process's executable path as the kernel prints it, or {@code "?"}. */
    String executablePath(int pid);

    /** The path of an open file descriptor of this process (for fanotify event fds), or {@code "?"}. */
    String fdPath(int fd);
}
