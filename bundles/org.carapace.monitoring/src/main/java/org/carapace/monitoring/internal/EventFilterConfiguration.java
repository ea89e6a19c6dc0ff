package org.carapace.monitoring.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

@ObjectClassDefinition(name = "Carapace event filter",
    description = "Filters of one security event type, applied in the IdsM order: reporting mode, forward-every-Nth, "
        + "aggregation, threshold. One factory configuration per type.")
@interface EventFilterConfiguration {

    String FACTORY_PID = "org.carapace.monitoring.filter";

    @AttributeDefinition(name = "Event type", description = "A SecurityEventType name, e.g. GATE_ALLOWED.")
    String eventType();

    @AttributeDefinition(name = "Reporting mode",
        description = "OFF, BRIEF (no context), DETAILED, BRIEF_BYPASSING_FILTERS or DETAILED_BYPASSING_FILTERS.")
    String reportingMode() default "DETAILED";

    @AttributeDefinition(name = "Severity", description = "INFO, LOW, MEDIUM, HIGH or CRITICAL; empty: the type's default.")
    String severity() default "";

    @AttributeDefinition(name = "Forward every N-th", description = "1: every occurrence; N: the first, then every N-th.")
    int forwardEveryNth() default 1;

    @AttributeDefinition(name = "Aggregation window (ms)", description = "0: off; else one event per window, counts summed.")
    long aggregationWindowMillis() default 0;

    @AttributeDefinition(name = "Threshold", description = "0 or 1: off; else drop a window's event until its count reaches this.")
    int threshold() default 0;
}
