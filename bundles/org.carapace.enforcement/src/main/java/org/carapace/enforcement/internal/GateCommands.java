package org.carapace.enforcement.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import org.carapace.api.admin.AdminCommand;
import org.carapace.api.admin.AdminException;
import org.carapace.api.image.ImageException;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/** Admin commands of the gate: {@code gate.status} and {@code gate.manifest.add}. */
final class GateCommands {

    private GateCommands() {
    }

    /** {@code gate.status}: manifests held, policy generation, decisions so far. */
    @Component(service = AdminCommand.class, property = {
        AdminCommand.COMMAND_NAME + "=gate.status",
        AdminCommand.COMMAND_DESCRIPTION + "=the container gate: manifests held, policy in force, recent decisions"})
    public static final class Status implements AdminCommand {
        private final ContainerGateComponent gate;
        private final DecisionLog log;

        @Activate
        public Status(@Reference ContainerGateComponent gate, @Reference DecisionLog log) {
            this.gate = gate;
            this.log = log;
        }

        @Override
        public Map<String, Object> execute(Map<String, Object> arguments) throws AdminException {
            try {
                Map<String, Object> result = new LinkedHashMap<>(gate.status());
                result.putAll(log.snapshot());
                return result;
            } catch (IOException e) {
                throw new AdminException(AdminException.Code.INTERNAL, "cannot read the manifest directory: " + e.getMessage());
            }
        }
    }

    /** {@code gate.manifest.add {"manifest": "<base64 of the manifest JSON>"}}: keeps a whitelisted image's manifest. */
    @Component(service = AdminCommand.class, property = {
        AdminCommand.COMMAND_NAME + "=gate.manifest.add",
        AdminCommand.COMMAND_DESCRIPTION + "=store an image manifest (self-certifying: its entries hash to its digest)"})
    public static final class AddManifest implements AdminCommand {
        private final ContainerGateComponent gate;

        @Activate
        public AddManifest(@Reference ContainerGateComponent gate) {
            this.gate = gate;
        }

        @Override
        public Map<String, Object> execute(Map<String, Object> arguments) throws AdminException {
            Object encoded = arguments.get("manifest");
            if (!(encoded instanceof String)) {
                throw new AdminException(AdminException.Code.BAD_REQUEST, "\"manifest\" (base64 of the manifest JSON) is required");
            }
            byte[] json;
            try {
                json = Base64.getDecoder().decode(((String) encoded).getBytes(StandardCharsets.US_ASCII));
            } catch (IllegalArgumentException e) {
                throw new AdminException(AdminException.Code.BAD_REQUEST, "\"manifest\" is not base64: " + e.getMessage());
            }
            try {
                return Map.of("rootfsDigest", gate.addManifest(json));
            } catch (ImageException e) {
                throw new AdminException(AdminException.Code.CHECK_FAILED, "not a valid manifest: " + e.getMessage());
            } catch (IOException e) {
                throw new AdminException(AdminException.Code.INTERNAL, "cannot store the manifest: " + e.getMessage());
            }
        }
    }
}
