package org.carapace.devtools.internal;

import java.util.LinkedHashMap;
import java.util.Map;
import org.carapace.api.admin.AdminCommand;
import org.carapace.api.admin.AdminException;
import org.carapace.api.events.SecurityEvent;
import org.carapace.api.events.SecurityEventType;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.event.Event;
import org.osgi.service.event.EventAdmin;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * {@code events.emit} (development and tests only; configured in the dev profile): posts synthetic security events
 * through EventAdmin, the path every bundle uses, so the whole chain to the back end can be exercised without a real
 * attack. Each event carries {@code "synthetic": true} in its context and the sensor {@value #SENSOR}.
 */
@Component(configurationPid = SyntheticEventCommand.PID, configurationPolicy = ConfigurationPolicy.REQUIRE,
    service = AdminCommand.class, property = {
        AdminCommand.COMMAND_NAME + "=events.emit",
        AdminCommand.COMMAND_DESCRIPTION + "=post synthetic security events (development profile only)"})
@Designate(ocd = SyntheticEventCommand.Config.class)
public final class SyntheticEventCommand implements AdminCommand {

    static final String PID = "org.carapace.devtools.synthetic";
    static final String SENSOR = "org.carapace.devtools.synthetic";

    @ObjectClassDefinition(name = "Carapace synthetic events",
        description = "Enables the events.emit admin command. Development profiles only.")
    @interface Config {
        @AttributeDefinition(name = "Most events per request")
        int maxEvents() default 100_000;
    }

    private final EventAdmin eventAdmin;
    private final int maxEvents;

    @Activate
    public SyntheticEventCommand(@Reference EventAdmin eventAdmin, Config config) {
        if (config.maxEvents() < 1) {
            throw new IllegalArgumentException("maxEvents must be positive, was " + config.maxEvents());
        }
        this.eventAdmin = eventAdmin;
        this.maxEvents = config.maxEvents();
    }

    @Override
    public Map<String, Object> execute(Map<String, Object> arguments) throws AdminException {
        Object typeName = arguments.getOrDefault("type", SecurityEventType.GATE_ALLOWED.name());
        SecurityEventType type;
        try {
            type = SecurityEventType.valueOf(String.valueOf(typeName));
        } catch (IllegalArgumentException e) {
            throw new AdminException(AdminException.Code.BAD_REQUEST, "unknown event type '" + typeName + "'");
        }
        Object countValue = arguments.getOrDefault("count", 1);
        if (!(countValue instanceof Number) || ((Number) countValue).longValue() < 1 || ((Number) countValue).longValue() > maxEvents) {
            throw new AdminException(AdminException.Code.BAD_REQUEST, "count must be 1 to " + maxEvents + ", was " + countValue);
        }
        int count = ((Number) countValue).intValue();
        String message = String.valueOf(arguments.getOrDefault("message", "synthetic " + type.name() + " event"));
        for (int i = 1; i <= count; i++) {
            Map<String, Object> context = new LinkedHashMap<>();
            context.put("synthetic", true);
            context.put("n", i);
            SecurityEvent event = SecurityEvent.of(type, SENSOR, message, context);
            eventAdmin.postEvent(new Event(type.topic(), event.toProperties(System.currentTimeMillis())));
        }
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("posted", count);
        result.put("type", type.name());
        return result;
    }
}
