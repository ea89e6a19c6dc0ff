package org.carapace.policy.internal;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.Map;
import org.carapace.api.admin.AdminCommand;
import org.carapace.api.admin.AdminException;
import org.carapace.api.trust.TrustException;
import org.carapace.api.trust.TrustRoot;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/** The trust root's admin commands: {@code trust.status} (also Gogo {@code carapace:trust}) and {@code trust.install}. */
final class TrustCommands {

    private TrustCommands() {
    }

    static Map<String, Object> status(TrustComponent trust) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("anchor", trust.settings().anchor().toString());
        out.put("anchorPinned", trust.settings().anchorSha256().isPresent());
        out.put("directory", trust.settings().directory().toString());
        out.put("allowBootstrap", trust.settings().allowBootstrap());
        out.put("root", trust.root().map(StatusMaps::root).orElse(null));
        out.put("problems", new ArrayList<>(trust.problems()));
        return out;
    }

    /** {@code trust.status}: where the root comes from, the root in force (roles, thresholds, key ids), problems. */
    @Component(service = {AdminCommand.class, Status.class}, property = {
        AdminCommand.COMMAND_NAME + "=trust.status",
        AdminCommand.COMMAND_DESCRIPTION + "=the trust root in force: version, roles, thresholds, key ids",
        "osgi.command.scope=carapace",
        "osgi.command.function=trust"})
    public static final class Status implements AdminCommand {
        private final TrustComponent trust;

        @Activate
        public Status(@Reference TrustComponent trust) {
            this.trust = trust;
        }

        @Override
        public Map<String, Object> execute(Map<String, Object> arguments) {
            return status(trust);
        }

        /** Gogo: {@code carapace:trust}. */
        public String trust() {
            Map<String, Object> status = execute(Map.of());
            StringBuilder text = new StringBuilder();
            boolean pinned = Boolean.TRUE.equals(status.get("anchorPinned"));
            text.append("anchor     ").append(status.get("anchor")).append(pinned ? " (pinned)" : "").append('\n');
            text.append("directory  ").append(status.get("directory")).append('\n');
            text.append("root       ").append(status.get("root") == null ? "NONE" : status.get("root")).append('\n');
            for (Object problem : (Iterable<?>) status.get("problems")) {
                text.append("PROBLEM: ").append(problem).append('\n');
            }
            return text.toString();
        }
    }

    /**
     * {@code trust.install}: arguments {@code {"envelope": base64}}: a rotation to the next root (signed by the old and
     * the new root thresholds), or where allowed the first root. {@code CHECK_FAILED} with the reason on refusal.
     */
    @Component(service = AdminCommand.class, property = {
        AdminCommand.COMMAND_NAME + "=trust.install",
        AdminCommand.COMMAND_DESCRIPTION + "=install the next trust root (rotation), or the first one where bootstrapping is allowed"})
    public static final class Install implements AdminCommand {
        private final TrustComponent trust;

        @Activate
        public Install(@Reference TrustComponent trust) {
            this.trust = trust;
        }

        @Override
        public Map<String, Object> execute(Map<String, Object> arguments) throws AdminException {
            byte[] envelope = PolicyInstallCommand.envelopeArgument(arguments);
            try {
                TrustRoot root = trust.install(envelope);
                return StatusMaps.root(root);
            } catch (TrustException e) {
                throw new AdminException(AdminException.Code.CHECK_FAILED, e.reason() + ": " + e.getMessage(), e);
            } catch (IOException e) {
                throw new AdminException(AdminException.Code.INTERNAL, "STORAGE: the root could not be stored: " + e.getMessage(), e);
            }
        }
    }
}
