package org.carapace.monitoring.internal;

import java.io.IOException;
import java.util.Map;
import org.carapace.api.admin.AdminCommand;
import org.carapace.api.admin.AdminException;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * {@code events.status}: journal depth and position, oldest undelivered event, connection state and last delivery,
 * filter counters. Served on the admin socket ({@code carapace events status}) and as the Gogo command
 * {@code carapace:events} in the dev profile.
 */
@Component(service = {AdminCommand.class, EventsStatusCommand.class}, property = {
    AdminCommand.COMMAND_NAME + "=events.status",
    AdminCommand.COMMAND_DESCRIPTION + "=security event journal, broker connection and filter counters",
    "osgi.command.scope=carapace",
    "osgi.command.function=events"})
public final class EventsStatusCommand implements AdminCommand {

    private final MonitoringService monitoring;

    @Activate
    public EventsStatusCommand(@Reference MonitoringService monitoring) {
        this.monitoring = monitoring;
    }

    @Override
    public Map<String, Object> execute(Map<String, Object> arguments) throws AdminException {
        try {
            return monitoring.status();
        } catch (IOException e) {
            throw new AdminException(AdminException.Code.INTERNAL, "cannot read the event journal: " + e.getMessage(), e);
        }
    }

    /** Gogo: {@code carapace:events}. */
    public String events() throws AdminException {
        return StatusText.render(execute(Map.of()));
    }
}
