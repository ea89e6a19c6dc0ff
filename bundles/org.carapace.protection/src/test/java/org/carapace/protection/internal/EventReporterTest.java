package org.carapace.protection.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.carapace.api.events.SecurityEvent;
import org.carapace.api.events.SecurityEventType;
import org.junit.jupiter.api.Test;

class EventReporterTest {

    @Test
    void aFloodOfDenialsBecomesABurstAndOneCountedEvent() throws Exception {
        List<SecurityEvent> events = new CopyOnWriteArrayList<>();
        try (EventReporter reporter = new EventReporter(events::add, 3, 2.0)) {
            for (int i = 0; i < 100; i++) {
                reporter.report(new EventReporter.Report(SecurityEventType.EXEC_DENIED, "c1", "denied " + i,
                    Map.of("path", "/tmp/x")));
            }
            reporter.report(new EventReporter.Report(SecurityEventType.WRITE_DENIED, "c1", "other type", Map.of()));
            long end = System.nanoTime() + 5_000_000_000L;
            while (events.stream().mapToInt(SecurityEvent::count).sum() < 101 && System.nanoTime() < end) {
                Thread.sleep(20);
            }
        }
        List<SecurityEvent> exec = events.stream().filter(e -> e.type() == SecurityEventType.EXEC_DENIED).toList();
        assertEquals(4, exec.size(), exec.toString());
        assertEquals(1, exec.get(0).count());
        assertEquals(97, exec.get(3).count(), "the held-back denials are counted, not lost");
        assertEquals(1, events.stream().filter(e -> e.type() == SecurityEventType.WRITE_DENIED).count());
    }
}
