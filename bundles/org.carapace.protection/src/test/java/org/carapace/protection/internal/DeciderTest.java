package org.carapace.protection.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.carapace.api.events.SecurityEventType;
import org.carapace.api.protection.ProtectionMode;
import org.carapace.api.protection.ProtectionRules;
import org.junit.jupiter.api.Test;

/** The rules as a function, with a scripted process probe (no kernel). */
class DeciderTest {

    private static final String IMAGE = "sha256:" + "11".repeat(32);
    private static final String OTHER = "sha256:" + "22".repeat(32);
    private static final FileKey BIN = new FileKey(1, 10, 5, 0);
    private static final FileKey SECRET = new FileKey(1, 20, 5, 0);
    private static final FileKey READER = new FileKey(1, 30, 5, 0);
    private static final FileKey DROPPED = new FileKey(1, 40, 5, 0);

    private static final class Probe implements ProcessProbe {
        WriteIntent intent = WriteIntent.READ;
        FileKey exe = BIN;

        @Override
        public WriteIntent writeIntent(int pid) {
            return intent;
        }

        @Override
        public long mountNamespace(int pid) {
            return 7;
        }

        @Override
        public FileKey executable(int pid) {
            return exe;
        }

        @Override
        public String executablePath(int pid) {
            return "?";
        }

        @Override
        public String fdPath(int fd) {
            return "?";
        }
    }

    private static ProtectedContainer container(ProtectionMode mode, boolean readOnly) {
        ProtectionRules rules = new ProtectionRules(mode, Set.of(), List.of(), List.of("/tmp"), List.of());
        ProtectedContainer c = new ProtectedContainer("c", 1, 7, Path.of("/b"), Path.of("/b/rootfs"), Optional.empty(),
            Optional.empty(), rules, Map.of("/bin/sh", IMAGE), Set.of(IMAGE),
            Set.of(BIN.inode(), SECRET.inode(), READER.inode()),
            Map.of(SECRET.inode(), new AssociationRule("/etc/secret",
                List.of(new AssociationRule.Program("/usr/bin/reader", OTHER)))), readOnly);
        c.facts.put(BIN, c.trustFacts(FileFacts.Kind.UNREAD, Optional.of(IMAGE), Optional.of("/bin/sh")));
        c.facts.put(READER, new FileFacts(FileFacts.Kind.ELF, Optional.of(OTHER), true, Optional.of("/usr/bin/reader")));
        return c;
    }

    private static FileFacts untrustedElf() {
        return new FileFacts(FileFacts.Kind.ELF, Optional.of(OTHER), false, Optional.empty());
    }

    @Test
    void trustedImageExecIsLeftToTheKernelOnlyWhenReadOnly() {
        Probe p = new Probe();
        Verdict ro = Decider.decide(container(ProtectionMode.ENFORCE, true), Decider.EXEC, BIN, container(
            ProtectionMode.ENFORCE, true).facts.get(BIN), 9, p);
        assertTrue(ro.allow());
        assertEquals(Decider.EXEC | Decider.OPEN, ro.ignoreMask());
        ProtectedContainer audit = container(ProtectionMode.AUDIT, false);
        Verdict rw = Decider.decide(audit, Decider.EXEC, BIN, audit.facts.get(BIN), 9, p);
        assertTrue(rw.allow());
        assertEquals(0, rw.ignoreMask(), "writable content is checked at every exec");
    }

    @Test
    void droppedBinaryDeniedInEnforceAllowedAndReportedInAudit() {
        Probe p = new Probe();
        Verdict enforce = Decider.decide(container(ProtectionMode.ENFORCE, true), Decider.EXEC, DROPPED, untrustedElf(), 9,
            p);
        assertFalse(enforce.allow());
        assertEquals(SecurityEventType.EXEC_DENIED, enforce.violation());
        Verdict audit = Decider.decide(container(ProtectionMode.AUDIT, false), Decider.EXEC, DROPPED, untrustedElf(), 9, p);
        assertTrue(audit.allow());
        assertEquals(SecurityEventType.EXEC_DENIED, audit.violation());
    }

    @Test
    void untrustedElfMayBeWrittenButNotLoaded() {
        Probe p = new Probe();
        ProtectedContainer c = container(ProtectionMode.ENFORCE, true);
        assertEquals("library", Decider.decide(c, Decider.OPEN, DROPPED, untrustedElf(), 9, p).rule());
        p.intent = ProcessProbe.WriteIntent.WRITE;
        assertNull(Decider.decide(c, Decider.OPEN, DROPPED, untrustedElf(), 9, p).violation());
    }

    @Test
    void associatedFileOpensOnlyForTheNamedProgram() {
        Probe p = new Probe();
        ProtectedContainer c = container(ProtectionMode.ENFORCE, true);
        FileFacts secret = new FileFacts(FileFacts.Kind.DATA, Optional.empty(), false, Optional.of("/etc/secret"));
        Verdict byShell = Decider.decide(c, Decider.OPEN, SECRET, secret, 9, p);
        assertEquals(SecurityEventType.ASSOCIATED_OPEN_DENIED, byShell.violation());
        p.exe = READER;
        Verdict byReader = Decider.decide(c, Decider.OPEN, SECRET, secret, 9, p);
        assertTrue(byReader.allow());
        assertEquals(0, byReader.ignoreMask(), "an associated file is asked about at every open");
        assertEquals(0, Decider.nativeVerdict(c, SECRET, secret), "the native path forwards associated files");
    }

    @Test
    void writesAreInspectedOnlyWhereNoReadOnlyMountRefusesThem() {
        Probe p = new Probe();
        p.intent = ProcessProbe.WriteIntent.WRITE;
        ProtectedContainer audit = container(ProtectionMode.AUDIT, false);
        Verdict v = Decider.decide(audit, Decider.OPEN, READER, audit.facts.get(READER), 9, p);
        assertEquals(SecurityEventType.WRITE_DENIED, v.violation());
        assertTrue(v.allow());
        ProtectedContainer enforce = container(ProtectionMode.ENFORCE, true);
        assertNull(Decider.decide(enforce, Decider.OPEN, READER, enforce.facts.get(READER), 9, p).violation());
        ProtectedContainer enforceNoLayer = container(ProtectionMode.ENFORCE, false);
        p.intent = ProcessProbe.WriteIntent.UNKNOWN;
        Verdict unknown = Decider.decide(enforceNoLayer, Decider.OPEN, READER, enforceNoLayer.facts.get(READER), 9, p);
        assertFalse(unknown.allow(), "fail closed when the access mode cannot be read");
    }
}
