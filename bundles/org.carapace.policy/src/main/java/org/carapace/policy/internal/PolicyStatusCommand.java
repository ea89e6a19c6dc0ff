package org.carapace.policy.internal;

import java.util.Map;
import org.carapace.api.admin.AdminCommand;
import org.carapace.api.policy.PolicyService;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * {@code policy.status}: state, versions, counters, images count, per-stream state, last refusal; with arguments
 * {@code {"details": true}} also every image, revocation and exemption in force. Also the Gogo command
 * {@code carapace:policy} (dev profile).
 */
@Component(service = {AdminCommand.class, PolicyStatusCommand.class}, property = {
    AdminCommand.COMMAND_NAME + "=policy.status",
    AdminCommand.COMMAND_DESCRIPTION + "=versions, images, streams and last refusal of the policy store",
    "osgi.command.scope=carapace",
    "osgi.command.function=policy"})
public final class PolicyStatusCommand implements AdminCommand {

    private final PolicyService policy;

    @Activate
    public PolicyStatusCommand(@Reference PolicyService policy) {
        this.policy = policy;
    }

    @Override
    public Map<String, Object> execute(Map<String, Object> arguments) {
        return StatusMaps.policy(policy.status(), Boolean.TRUE.equals(arguments.get("details")));
    }

    /** Gogo: {@code carapace:policy} with every image. */
    public String policy() {
        return StatusMaps.policyText(execute(Map.of("details", true)));
    }
}
