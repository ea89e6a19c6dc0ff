package org.carapace.protection.internal;

import java.util.Optional;
import org.carapace.api.events.SecurityEventType;
import org.carapace.api.protection.ProtectionMode;
import org.carapace.protection.internal.ProcessProbe.WriteIntent;

/**
 * The rules, as a pure function of what is known: the container, the event, the file's facts and what procfs says
 * about the process. No I/O except the procfs reads of {@link ProcessProbe} for files that carry a per-process rule.
 */
final class Decider {

    static final long EXEC = Linux.FAN_OPEN_EXEC_PERM;
    static final long OPEN = Linux.FAN_OPEN_PERM;

    private Decider() {
    }

    static Verdict decide(ProtectedContainer c, long mask, FileKey key, FileFacts facts, int pid, ProcessProbe probe) {
        InodeKey inode = key.inode();
        if ((mask & EXEC) != 0) {
            if (facts.trusted()) {
                long ignore = c.stable(inode) ? EXEC | (hasOpenRules(c, inode) ? 0 : OPEN) : 0;
                return Verdict.allow(ignore);
            }
            return violation(c, SecurityEventType.EXEC_DENIED, "exec-whitelist", facts.digest().isPresent()
                ? "executable content not in the image or the policy" : "executable content could not be established");
        }
        AssociationRule association = c.associations.get(inode);
        if (association != null) {
            FileKey exeKey = probe.executable(pid);
            FileFacts exe = exeKey == null ? null : c.facts.get(exeKey);
            Optional<String> exePath = exe == null ? Optional.empty() : exe.imagePath();
            Optional<String> exeDigest = exe == null ? Optional.empty() : exe.digest();
            if (!association.allows(exePath, exeDigest)) {
                return violation(c, SecurityEventType.ASSOCIATED_OPEN_DENIED, "associated-execution",
                    association.file() + " may be opened only by " + association.programs().stream()
                        .map(AssociationRule.Program::path).toList() + ", not by "
                        + exePath.orElse("a program outside the image"));
            }
        }
        if (c.inspectsWrites(inode)) {
            WriteIntent intent = probe.writeIntent(pid);
            if (intent == WriteIntent.WRITE) {
                return violation(c, SecurityEventType.WRITE_DENIED, "file-protection", "opened for writing");
            }
            if (intent == WriteIntent.UNKNOWN && c.mode() == ProtectionMode.ENFORCE) {
                return violation(c, SecurityEventType.WRITE_DENIED, "file-protection",
                    "opened by a system call whose access mode cannot be read");
            }
        }
        if (facts.kind() == FileFacts.Kind.ELF && !facts.trusted() && probe.writeIntent(pid) != WriteIntent.WRITE) {
            // an untrusted ELF object opened for reading outside execve: the dynamic loader mapping a library, or
            // ld.so running a program (opening it for writing loads nothing)
            return violation(c, SecurityEventType.EXEC_DENIED, "library", "ELF object not in the image or the policy");
        }
        if (association != null || c.inspectsWrites(inode)) {
            return Verdict.ALLOW;
        }
        return Verdict.allow(OPEN | (facts.trusted() && c.stable(inode) ? EXEC : 0));
    }

    /**
     * The verdict bits the native fast path may apply alone for this content: exactly the cases {@link #decide}
     * allows without looking at the process. Everything else (0 bits) is forwarded to Java.
     */
    static int nativeVerdict(ProtectedContainer c, FileKey key, FileFacts facts) {
        InodeKey inode = key.inode();
        boolean stable = c.stable(inode);
        boolean openRules = hasOpenRules(c, inode);
        int v = 0;
        if (facts.trusted()) {
            v |= NativeResponder.V_EXEC_OK;
            if (stable) {
                v |= NativeResponder.V_EXEC_IGNORE_EXEC | (openRules ? 0 : NativeResponder.V_EXEC_IGNORE_OPEN);
            }
        }
        if (!openRules && !(facts.kind() == FileFacts.Kind.ELF && !facts.trusted())) {
            v |= NativeResponder.V_OPEN_OK | NativeResponder.V_OPEN_IGNORE_OPEN;
            if (facts.trusted() && stable) {
                v |= NativeResponder.V_OPEN_IGNORE_EXEC;
            }
        }
        return v;
    }

    private static boolean hasOpenRules(ProtectedContainer c, InodeKey inode) {
        return c.associations.containsKey(inode) || c.inspectsWrites(inode);
    }

    /** A broken rule: refused in enforce mode, allowed (and still reported) in audit mode. */
    static Verdict violation(ProtectedContainer c, SecurityEventType type, String rule, String reason) {
        return new Verdict(c.mode() == ProtectionMode.AUDIT, 0, type, rule, reason);
    }
}
