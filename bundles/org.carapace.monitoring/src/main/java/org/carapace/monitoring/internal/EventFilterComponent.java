package org.carapace.monitoring.internal;

import org.carapace.api.events.SecurityEventType;
import org.carapace.api.events.Severity;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.metatype.annotations.Designate;

/**
 * One configured filter rule ({@code org.carapace.monitoring.filter~<name>} factory configurations). An invalid
 * configuration fails activation with a message naming the value, so the rule is not used and the problem shows
 * in {@code carapace status}. The monitoring service picks up every rule registered.
 */
@Component(configurationPid = EventFilterConfiguration.FACTORY_PID, configurationPolicy = ConfigurationPolicy.REQUIRE,
    service = EventFilterComponent.class)
@Designate(ocd = EventFilterConfiguration.class, factory = true)
public final class EventFilterComponent {

    private final FilterRule rule;

    @Activate
    public EventFilterComponent(EventFilterConfiguration config) {
        this.rule = parse(config.eventType(), config.reportingMode(), config.severity(), config.forwardEveryNth(),
            config.aggregationWindowMillis(), config.threshold());
    }

    static FilterRule parse(String type, String mode, String severity, int everyNth, long window, int threshold) {
        SecurityEventType eventType;
        try {
            eventType = SecurityEventType.valueOf(type == null ? "" : type.trim());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("eventType '" + type + "' is not a security event type", e);
        }
        ReportingMode reportingMode;
        try {
            reportingMode = ReportingMode.valueOf(mode.trim());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(type + ": reportingMode '" + mode + "' is not one of OFF, BRIEF, DETAILED, "
                + "BRIEF_BYPASSING_FILTERS, DETAILED_BYPASSING_FILTERS", e);
        }
        Severity level = null;
        if (severity != null && !severity.isBlank()) {
            try {
                level = Severity.valueOf(severity.trim());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(type + ": severity '" + severity
                    + "' is not one of INFO, LOW, MEDIUM, HIGH, CRITICAL", e);
            }
        }
        return new FilterRule(eventType, reportingMode, level, everyNth, window, threshold);
    }

    FilterRule rule() {
        return rule;
    }
}
