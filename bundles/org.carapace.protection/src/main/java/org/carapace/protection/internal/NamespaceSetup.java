package org.carapace.protection.internal;

import com.sun.jna.Memory;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.carapace.api.enforcement.GuardException;

/**
 * What the engine does inside a container's mount namespace: the read-only layer (enforce mode) and the fanotify
 * marks on the container's mounts.
 *
 * <p>At OCI {@code createRuntime} the container's mounts exist under the rootfs path in its new mount namespace and
 * {@code pivot_root} has not happened yet (runtime-spec config.md, "createRuntime Hooks"; runc runs these hooks
 * precisely so that they can change mounts). Mounts changed or marked now move with the rootfs at
 * {@code pivot_root}: marks belong to the mount, not to its path.
 */
final class NamespaceSetup {

    private NamespaceSetup() {
    }

    /** The mount point prefix of the container's root as the init process sees it: the rootfs path, or "/". */
    static String rootInNamespace(List<MountInfo> mounts, String rootfsHostPath) throws GuardException {
        for (MountInfo m : mounts) {
            if (m.mountPoint().equals(rootfsHostPath)) {
                return rootfsHostPath;
            }
        }
        // after pivot_root (a re-attach), the process's root is the container's root mount
        for (MountInfo m : mounts) {
            if ("/".equals(m.mountPoint())) {
                return "/";
            }
        }
        throw new GuardException("the container's mount namespace has no mount at " + rootfsHostPath);
    }

    /**
     * Makes the container's root mount read-only, keeping each writable path writable through a bind mount of its
     * own, and binds every extra protected path read-only (also inside writable paths). Runs on a throw-away thread
     * that leaves the JVM's shared file-system context ({@code unshare(CLONE_FS)}) and enters the container's mount
     * namespace ({@code setns}); the thread ends afterwards, so no other thread ever sees that namespace.
     *
     * @return what was done, one line per mount, for the log
     */
    static List<String> applyReadOnlyLayer(long pid, String root, List<String> writablePaths,
                                           List<String> protectedPaths, List<MountInfo> mounts, long timeoutMillis)
        throws GuardException {
        AtomicReference<Object> result = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                result.set(inNamespace(pid, root, writablePaths, protectedPaths, mounts));
            } catch (GuardException | RuntimeException e) {
                result.set(e);
            }
        }, "carapace-protection-mntns");
        t.setDaemon(true);
        t.start();
        try {
            t.join(timeoutMillis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new GuardException("interrupted while setting up read-only mounts");
        }
        Object r = result.get();
        if (r == null) {
            throw new GuardException("read-only mounts not set up within " + timeoutMillis + " ms");
        }
        if (r instanceof GuardException) {
            throw (GuardException) r;
        }
        if (r instanceof RuntimeException) {
            throw new GuardException("read-only mounts failed: " + r, (RuntimeException) r);
        }
        @SuppressWarnings("unchecked")
        List<String> done = (List<String>) r;
        return done;
    }

    private static List<String> inNamespace(long pid, String root, List<String> writablePaths,
                                            List<String> protectedPaths, List<MountInfo> mounts) throws GuardException {
        if (Linux.unshare(Linux.CLONE_FS) != 0) {
            throw new GuardException("unshare(CLONE_FS): " + Linux.strerror(Linux.errno()));
        }
        int ns = Linux.open("/proc/" + pid + "/ns/mnt", Linux.O_RDONLY | Linux.O_CLOEXEC);
        if (ns < 0) {
            throw new GuardException("cannot open the mount namespace of pid " + pid + ": " + Linux.strerror(Linux.errno()));
        }
        try {
            if (Linux.setns(ns, Linux.CLONE_NEWNS) != 0) {
                throw new GuardException("setns(mnt) of pid " + pid + ": " + Linux.strerror(Linux.errno()));
            }
        } finally {
            Linux.close(ns);
        }
        String prefix = "/".equals(root) ? "" : root;
        List<String> done = new ArrayList<>();
        Memory stat = new Memory(Linux.STATX_SIZE);
        for (String w : writablePaths) {
            String p = prefix + w;
            if (Linux.statx(Linux.AT_FDCWD, p, Linux.AT_SYMLINK_NOFOLLOW, Linux.STATX_BASIC_STATS, stat) != 0) {
                done.add("writable " + w + ": absent in the image, stays read-only");
                continue;
            }
            if (isMountPoint(mounts, p)) {
                done.add("writable " + w + ": its own mount already");
                continue;
            }
            bind(p);
            done.add("writable " + w + ": bind mount");
        }
        readOnly(root);
        done.add("root " + root + ": read-only");
        for (String protectedPath : protectedPaths) {
            String p = prefix + protectedPath;
            if (Linux.statx(Linux.AT_FDCWD, p, Linux.AT_SYMLINK_NOFOLLOW, Linux.STATX_BASIC_STATS, stat) != 0) {
                done.add("protected " + protectedPath + ": absent");
                continue;
            }
            bind(p);
            readOnly(p);
            done.add("protected " + protectedPath + ": read-only bind mount");
        }
        return done;
    }

    private static boolean isMountPoint(List<MountInfo> mounts, String path) {
        for (MountInfo m : mounts) {
            if (m.mountPoint().equals(path)) {
                return true;
            }
        }
        return false;
    }

    private static void bind(String path) throws GuardException {
        if (Linux.mount(path, path, null, Linux.MS_BIND | Linux.MS_REC, null) != 0) {
            throw new GuardException("bind mount of " + path + ": " + Linux.strerror(Linux.errno()));
        }
    }

    private static void readOnly(String path) throws GuardException {
        if (Linux.mountSetattr(path, Linux.MOUNT_ATTR_RDONLY) != 0) {
            throw new GuardException("read-only mount of " + path + ": " + Linux.strerror(Linux.errno()));
        }
    }

    /**
     * Marks every mount of the container (at or below its root, not a pseudo file system, not yet marked) for
     * open and exec permission events, through {@code /proc/<pid>/root}.
     *
     * @return the mounts newly marked
     */
    static List<MountInfo> markMounts(ProtectedContainer c, long pid, String root) throws GuardException {
        List<MountInfo> mounts;
        try {
            mounts = MountInfo.read(pid);
        } catch (IOException e) {
            throw new GuardException("cannot read the mounts of pid " + pid + ": " + e.getMessage(), e);
        }
        List<MountInfo> marked = new ArrayList<>();
        for (MountInfo m : mounts) {
            if (!m.isAtOrBelow(root) || m.pseudo() || c.markedMounts.contains(m.id())) {
                continue;
            }
            String path = "/proc/" + pid + "/root" + ("/".equals(m.mountPoint()) ? "/" : m.mountPoint());
            if (Linux.fanotify_mark(c.groupFd, Linux.FAN_MARK_ADD | Linux.FAN_MARK_MOUNT,
                Linux.FAN_OPEN_PERM | Linux.FAN_OPEN_EXEC_PERM, Linux.AT_FDCWD, path) != 0) {
                int errno = Linux.errno();
                if (errno == Linux.ENOENT) {
                    continue; // unmounted meanwhile
                }
                throw new GuardException("cannot mark the mount " + m.mountPoint() + " (" + m.fsType() + "): "
                    + Linux.strerror(errno));
            }
            c.markedMounts.add(m.id());
            marked.add(m);
        }
        return marked;
    }
}
