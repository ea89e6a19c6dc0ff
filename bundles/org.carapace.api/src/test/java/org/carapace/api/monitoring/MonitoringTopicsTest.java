package org.carapace.api.monitoring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class MonitoringTopicsTest {

    @Test
    void namesTopicsAsDocumented() {
        assertEquals("carapace/v1/car-1/events/gate", MonitoringTopics.events("car-1", "gate"));
        assertEquals("carapace/v1/car-1/status", MonitoringTopics.status("car-1"));
        assertEquals("carapace/v1/+/events/#", MonitoringTopics.eventsFilter("+"));
        assertEquals("$share/soc/carapace/v1/+/events/#", MonitoringTopics.shared("soc", MonitoringTopics.eventsFilter("+")));
    }

    @Test
    void parsesEventAndStatusTopics() {
        assertEquals(new MonitoringTopics.Parsed("car-1", "gate"), MonitoringTopics.parse("carapace/v1/car-1/events/gate"));
        assertTrue(MonitoringTopics.parse("carapace/v1/car-1/status").isStatus());
        assertThrows(IllegalArgumentException.class, () -> MonitoringTopics.parse("carapace/v2/car-1/status"));
        assertThrows(IllegalArgumentException.class, () -> MonitoringTopics.parse("carapace/v1/car-1/events/gate/x"));
    }

    @Test
    void wildcardsAndSeparatorsInNamesAreRefused() {
        // attack: a device id with MQTT wildcards or separators would subscribe or publish beyond its own subtree
        assertThrows(IllegalArgumentException.class, () -> MonitoringTopics.events("car/+", "gate"));
        assertThrows(IllegalArgumentException.class, () -> MonitoringTopics.events("#", "gate"));
        assertThrows(IllegalArgumentException.class, () -> MonitoringTopics.shared("a/b", "x"));
        assertThrows(IllegalArgumentException.class, () -> MonitoringTopics.events("car", ""));
    }
}
