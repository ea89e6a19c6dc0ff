package org.carapace.protection.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import org.carapace.api.protection.ProgramIdentity;
import org.carapace.api.protection.ProtectionMode;
import org.carapace.api.protection.ProtectionRules;
import org.junit.jupiter.api.Test;

class ConfiguredRulesTest {

    private static final String DIGEST = "sha256:" + "ab".repeat(32);

    @Test
    void parsesEveryField() {
        ProtectionRules r = ConfiguredRules.parse(" Audit ", new String[] {DIGEST}, new String[] {"/etc/app"},
            new String[] {"/tmp", " "}, new String[] {"/etc/key=/usr/bin/app,/usr/bin/tool@" + DIGEST});
        assertEquals(ProtectionMode.AUDIT, r.mode());
        assertEquals(List.of("/tmp"), r.writablePaths());
        assertEquals(List.of(new ProgramIdentity("/usr/bin/app", Optional.empty()),
            new ProgramIdentity("/usr/bin/tool", Optional.of(DIGEST))), r.associations().get(0).programs());
        assertTrue(r.extraExecDigests().contains(DIGEST));
    }

    @Test
    void refusesWhatWouldWeakenProtectionSilently() {
        String[] none = new String[0];
        assertThrows(IllegalArgumentException.class, () -> ConfiguredRules.parse("permissive", none, none, none, none));
        assertThrows(IllegalArgumentException.class,
            () -> ConfiguredRules.parse("enforce", none, none, new String[] {"/"}, none));
        assertThrows(IllegalArgumentException.class,
            () -> ConfiguredRules.parse("enforce", none, none, new String[] {"/tmp/../etc"}, none));
        assertThrows(IllegalArgumentException.class,
            () -> ConfiguredRules.parse("enforce", none, none, new String[] {"tmp"}, none));
        assertThrows(IllegalArgumentException.class,
            () -> ConfiguredRules.parse("enforce", new String[] {"sha256:short"}, none, none, none));
        assertThrows(IllegalArgumentException.class,
            () -> ConfiguredRules.parse("enforce", none, none, none, new String[] {"/etc/key="}));
    }
}
