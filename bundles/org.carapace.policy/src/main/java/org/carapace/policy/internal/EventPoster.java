package org.carapace.policy.internal;

import java.util.Map;
import org.carapace.api.events.SecurityEvent;
import org.carapace.api.events.SecurityEventType;
import org.osgi.service.event.Event;
import org.osgi.service.event.EventAdmin;

/** Posts this bundle's security events on EventAdmin (asynchronously). */
final class EventPoster implements SecurityReporter {

    static final String SENSOR = "org.carapace.policy";

    private final EventAdmin eventAdmin;
    private final java.time.Clock clock;

    EventPoster(EventAdmin eventAdmin, java.time.Clock clock) {
        this.eventAdmin = eventAdmin;
        this.clock = clock;
    }

    @Override
    public void report(SecurityEventType type, String message, Map<String, Object> context) {
        SecurityEvent event = SecurityEvent.of(type, SENSOR, message, context);
        eventAdmin.postEvent(new Event(event.topic(), event.toProperties(clock.millis())));
    }
}
