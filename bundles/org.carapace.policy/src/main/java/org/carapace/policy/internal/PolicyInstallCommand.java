package org.carapace.policy.internal;

import java.io.IOException;
import java.util.Base64;
import java.util.Map;
import org.carapace.api.admin.AdminCommand;
import org.carapace.api.admin.AdminException;
import org.carapace.api.policy.PolicyService;
import org.carapace.api.trust.TrustException;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * {@code policy.install}: arguments {@code {"envelope": base64 of the envelope file}}; answers what changed, or
 * {@code CHECK_FAILED} with {@code "<REASON>: <message>"} when the document is refused (the policy in force stays).
 */
@Component(service = AdminCommand.class, property = {
    AdminCommand.COMMAND_NAME + "=policy.install",
    AdminCommand.COMMAND_DESCRIPTION + "=verify a signed policy envelope and make it the version in force of its stream"})
public final class PolicyInstallCommand implements AdminCommand {

    private final PolicyService policy;

    @Activate
    public PolicyInstallCommand(@Reference PolicyService policy) {
        this.policy = policy;
    }

    @Override
    public Map<String, Object> execute(Map<String, Object> arguments) throws AdminException {
        byte[] envelope = envelopeArgument(arguments);
        try {
            return StatusMaps.change(policy.install(envelope));
        } catch (TrustException e) {
            throw new AdminException(AdminException.Code.CHECK_FAILED, e.reason() + ": " + e.getMessage(), e);
        } catch (IOException e) {
            throw new AdminException(AdminException.Code.INTERNAL, "STORAGE: the policy could not be stored: " + e.getMessage(), e);
        }
    }

    static byte[] envelopeArgument(Map<String, Object> arguments) throws AdminException {
        Object value = arguments.get("envelope");
        if (!(value instanceof String text)) {
            throw new AdminException(AdminException.Code.BAD_REQUEST, "argument \"envelope\" (base64 of the envelope file) is required");
        }
        try {
            return Base64.getDecoder().decode(text);
        } catch (IllegalArgumentException e) {
            throw new AdminException(AdminException.Code.BAD_REQUEST, "argument \"envelope\" is not base64: " + e.getMessage());
        }
    }
}
