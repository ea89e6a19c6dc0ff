package org.carapace.protection.internal;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import org.carapace.api.protection.Association;
import org.carapace.api.protection.ProgramIdentity;
import org.carapace.api.protection.ProtectionMode;
import org.carapace.api.protection.ProtectionRules;

/**
 * The rules from the component's configuration, used for every container when no
 * {@link org.carapace.api.protection.ProtectionRulesProvider} (the policy store) is registered.
 *
 * <p>An association is written {@code FILE=PROGRAM[@sha256:HEX][,PROGRAM[@sha256:HEX]...]}, e.g.
 * {@code /etc/app/key=/usr/bin/app}.
 */
final class ConfiguredRules {

    private ConfiguredRules() {
    }

    static ProtectionRules parse(String mode, String[] extraExecDigests, String[] protectedPaths, String[] writablePaths,
                                 String[] associations) {
        ProtectionMode m;
        try {
            m = ProtectionMode.valueOf(mode.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("mode must be enforce or audit, was '" + mode + "'", e);
        }
        List<Association> assoc = new ArrayList<>();
        for (String a : nonNull(associations)) {
            int eq = a.indexOf('=');
            if (eq <= 0 || eq == a.length() - 1) {
                throw new IllegalArgumentException("association must read FILE=PROGRAM[@sha256:HEX][,...], was '" + a + "'");
            }
            List<ProgramIdentity> programs = new ArrayList<>();
            for (String p : a.substring(eq + 1).split(",")) {
                int at = p.indexOf('@');
                programs.add(at < 0 ? new ProgramIdentity(p.trim(), Optional.empty())
                    : new ProgramIdentity(p.substring(0, at).trim(), Optional.of(p.substring(at + 1).trim())));
            }
            assoc.add(new Association(a.substring(0, eq).trim(), programs));
        }
        return new ProtectionRules(m, Set.of(trimmed(extraExecDigests)), Arrays.asList(trimmed(protectedPaths)),
            Arrays.asList(trimmed(writablePaths)), assoc);
    }

    private static String[] nonNull(String[] values) {
        return values == null ? new String[0] : values;
    }

    private static String[] trimmed(String[] values) {
        return Arrays.stream(nonNull(values)).map(String::trim).filter(s -> !s.isEmpty()).toArray(String[]::new);
    }
}
