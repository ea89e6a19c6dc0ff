package org.carapace.api.events;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SecurityEventTypeTest {

    @Test
    void idsAreUniqueAndInTheIdsmOemRange() {
        Set<Integer> seen = new HashSet<>();
        for (SecurityEventType type : SecurityEventType.values()) {
            assertTrue(type.id() >= 0x8000 && type.id() <= 0xFFFE, type + " id outside the OEM range");
            assertTrue(seen.add(type.id()), type + " reuses an id");
            assertEquals(type, SecurityEventType.byId(type.id()).orElseThrow());
        }
    }

    @Test
    void topicsAreValidEventAdminTopics() {
        for (SecurityEventType type : SecurityEventType.values()) {
            assertTrue(type.topic().matches("[A-Za-z0-9_\\-]+(/[A-Za-z0-9_\\-]+)*"), type.topic());
            assertTrue(type.topic().startsWith(SecurityEvent.TOPIC_ROOT + "/" + type.category() + "/"));
        }
    }

    @Test
    void eventCopiesItsContextAndRefusesAZeroCount() {
        Map<String, Object> context = new java.util.HashMap<>(Map.of("container", "c1"));
        SecurityEvent event = SecurityEvent.of(SecurityEventType.GATE_REFUSED, "org.carapace.enforcement", "refused", context);
        context.put("container", "changed");
        assertEquals("c1", event.context().get("container"));
        assertEquals(0x8002, event.toProperties(5L).get(SecurityEvent.PROP_EVENT_ID));
        assertEquals(5L, event.toProperties(5L).get(SecurityEvent.PROP_TIMESTAMP));
        assertThrows(IllegalArgumentException.class,
            () -> new SecurityEvent(SecurityEventType.GATE_REFUSED, "s", "m", 0, Map.of()));
    }
}
