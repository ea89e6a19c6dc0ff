package org.carapace.protection.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * One line of {@code /proc/<pid>/mountinfo} (proc(5)): the mount id, the mount point as the process sees it
 * (relative to its root), the per-mount options and the file system type.
 */
record MountInfo(int id, int parentId, String mountPoint, Set<String> mountOptions, String fsType) {

    /** File systems whose files are never executed or protected: marking them would only cost events. */
    static final Set<String> PSEUDO = Set.of("proc", "sysfs", "cgroup", "cgroup2", "devpts", "mqueue", "securityfs",
        "debugfs", "tracefs", "bpf", "pstore", "configfs", "fusectl", "binfmt_misc", "autofs", "nsfs", "efivarfs",
        "hugetlbfs", "selinuxfs", "rpc_pipefs");

    boolean readOnly() {
        return mountOptions.contains("ro");
    }

    boolean noExec() {
        return mountOptions.contains("noexec");
    }

    boolean pseudo() {
        return PSEUDO.contains(fsType);
    }

    /** Whether this mount is {@code root} or below it ({@code root} as the process sees it). */
    boolean isAtOrBelow(String root) {
        if ("/".equals(root)) {
            return true;
        }
        return mountPoint.equals(root) || mountPoint.startsWith(root + "/");
    }

    static List<MountInfo> read(long pid) throws IOException {
        return parse(Files.readAllLines(Path.of("/proc/" + pid + "/mountinfo"), StandardCharsets.UTF_8));
    }

    static List<MountInfo> parse(List<String> lines) throws IOException {
        List<MountInfo> mounts = new ArrayList<>(lines.size());
        for (String line : lines) {
            if (line.isBlank()) {
                continue;
            }
            // 36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
            String[] f = line.split(" ");
            int dash = -1;
            for (int i = 6; i < f.length; i++) {
                if ("-".equals(f[i])) {
                    dash = i;
                    break;
                }
            }
            if (f.length < 7 || dash < 0 || dash + 1 >= f.length) {
                throw new IOException("unparsable mountinfo line: " + line);
            }
            try {
                mounts.add(new MountInfo(Integer.parseInt(f[0]), Integer.parseInt(f[1]), unescape(f[4]),
                    Set.of(f[5].split(",")), f[dash + 1]));
            } catch (NumberFormatException e) {
                throw new IOException("unparsable mountinfo line: " + line, e);
            }
        }
        return mounts;
    }

    /** mountinfo escapes space, tab, newline and backslash as three octal digits. */
    static String unescape(String s) {
        if (s.indexOf('\\') < 0) {
            return s;
        }
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && isOctal(s, i + 1)) {
                b.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    private static boolean isOctal(String s, int from) {
        if (from + 3 > s.length()) {
            return false;
        }
        for (int i = from; i < from + 3; i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '7') {
                return false;
            }
        }
        return true;
    }
}
