package org.carapace.monitoring.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.carapace.api.events.SecurityEventType;
import org.carapace.api.events.Severity;
import org.junit.jupiter.api.Test;

class FilterChainTest {

    private final MutableClock clock = new MutableClock(Instant.parse("2026-05-01T10:00:00Z"));

    private Occurrence occurrence(SecurityEventType type, int count) {
        return new Occurrence(type, "test", "m", count, Map.of("k", "v"), false, clock.instant(), 0);
    }

    private FilterChain chain(FilterRule... rules) {
        FilterChain chain = new FilterChain(clock, DeviceLimits.none());
        Map<SecurityEventType, FilterRule> map = new java.util.EnumMap<>(SecurityEventType.class);
        for (FilterRule rule : rules) {
            map.put(rule.type(), rule);
        }
        chain.setRules(map);
        return chain;
    }

    private static long counter(FilterChain chain, SecurityEventType type, String name) {
        return chain.counters().get(type.name()).get(name);
    }

    @Test
    void unconfiguredTypesPassUnchanged() {
        FilterChain chain = chain();
        List<FilterChain.Forward> out = chain.accept(occurrence(SecurityEventType.GATE_REFUSED, 2));
        assertEquals(1, out.size());
        assertEquals(2, out.get(0).occurrence().count());
        assertEquals(Severity.HIGH, out.get(0).rule().effectiveSeverity());
        assertFalse(out.get(0).brief());
    }

    @Test
    void reportingModeOffDropsAndCounts() {
        FilterChain chain = chain(new FilterRule(SecurityEventType.GATE_ALLOWED, ReportingMode.OFF, null, 1, 0, 0));
        for (int i = 0; i < 3; i++) {
            assertTrue(chain.accept(occurrence(SecurityEventType.GATE_ALLOWED, 1)).isEmpty());
        }
        assertEquals(3, counter(chain, SecurityEventType.GATE_ALLOWED, "droppedOff"));
        assertEquals(3, counter(chain, SecurityEventType.GATE_ALLOWED, "received"));
    }

    @Test
    void forwardEveryNthForwardsTheFirstThenEveryNth() {
        FilterChain chain = chain(new FilterRule(SecurityEventType.GATE_ALLOWED, ReportingMode.DETAILED, null, 3, 0, 0));
        List<Integer> forwarded = new ArrayList<>();
        for (int i = 1; i <= 7; i++) {
            if (!chain.accept(occurrence(SecurityEventType.GATE_ALLOWED, 1)).isEmpty()) {
                forwarded.add(i);
            }
        }
        assertEquals(List.of(1, 4, 7), forwarded);
        assertEquals(4, counter(chain, SecurityEventType.GATE_ALLOWED, "droppedEveryNth"));
    }

    @Test
    void aggregationSumsCountsOverTheWindow() {
        FilterChain chain = chain(new FilterRule(SecurityEventType.EXEC_DENIED, ReportingMode.DETAILED, Severity.CRITICAL, 1, 1000, 0));
        int[] counts = {1, 2, 1, 1, 1};
        for (int count : counts) {
            assertTrue(chain.accept(occurrence(SecurityEventType.EXEC_DENIED, count)).isEmpty());
            clock.advanceMillis(100);
        }
        clock.advanceMillis(499); // 999 ms after the first
        assertTrue(chain.expire().isEmpty());
        clock.advanceMillis(1);
        List<FilterChain.Forward> out = chain.expire();
        assertEquals(1, out.size());
        assertEquals(6, out.get(0).occurrence().count());
        assertEquals(5, out.get(0).merged());
        assertEquals(Severity.CRITICAL, out.get(0).rule().effectiveSeverity());
        assertEquals(4, counter(chain, SecurityEventType.EXEC_DENIED, "aggregated"));
        assertTrue(chain.expire().isEmpty(), "a window is reported once");
    }

    @Test
    void eventAfterTheWindowClosesItAndOpensANewOne() {
        FilterChain chain = chain(new FilterRule(SecurityEventType.EXEC_DENIED, ReportingMode.DETAILED, null, 1, 1000, 0));
        chain.accept(occurrence(SecurityEventType.EXEC_DENIED, 4));
        clock.advanceMillis(1500);
        List<FilterChain.Forward> out = chain.accept(occurrence(SecurityEventType.EXEC_DENIED, 1));
        assertEquals(1, out.size());
        assertEquals(4, out.get(0).occurrence().count());
        clock.advanceMillis(1000);
        assertEquals(1, chain.expire().get(0).occurrence().count());
    }

    @Test
    void thresholdDropsWindowsBelowItAndForwardsTheRest() {
        FilterChain chain = chain(new FilterRule(SecurityEventType.SECOC_VERIFICATION_FAILED, ReportingMode.DETAILED, null, 1, 1000, 10));
        for (int i = 0; i < 3; i++) {
            chain.accept(occurrence(SecurityEventType.SECOC_VERIFICATION_FAILED, 1));
        }
        clock.advanceMillis(1000);
        assertTrue(chain.expire().isEmpty());
        assertEquals(3, counter(chain, SecurityEventType.SECOC_VERIFICATION_FAILED, "droppedThreshold"));
        for (int i = 0; i < 12; i++) {
            chain.accept(occurrence(SecurityEventType.SECOC_VERIFICATION_FAILED, 1));
        }
        clock.advanceMillis(1000);
        List<FilterChain.Forward> out = chain.expire();
        assertEquals(1, out.size());
        assertEquals(12, out.get(0).occurrence().count());
    }

    @Test
    void aggregatedCountNeverExceedsTheSixteenBitIdsmCount() {
        FilterChain chain = chain(new FilterRule(SecurityEventType.EXEC_DENIED, ReportingMode.DETAILED, null, 1, 60_000, 0));
        chain.accept(occurrence(SecurityEventType.EXEC_DENIED, 65_000));
        List<FilterChain.Forward> out = chain.accept(occurrence(SecurityEventType.EXEC_DENIED, 1_000));
        assertEquals(1, out.size());
        assertEquals(65_000, out.get(0).occurrence().count());
        assertEquals(1_000, chain.drain().get(0).occurrence().count());
    }

    @Test
    void bypassingModesSkipEveryNthAndAggregation() {
        FilterChain chain = chain(new FilterRule(SecurityEventType.POLICY_LOAD_FAILED, ReportingMode.BRIEF_BYPASSING_FILTERS, null,
            5, 1000, 0));
        for (int i = 0; i < 4; i++) {
            List<FilterChain.Forward> out = chain.accept(occurrence(SecurityEventType.POLICY_LOAD_FAILED, 1));
            assertEquals(1, out.size());
            assertTrue(out.get(0).bypass());
            assertTrue(out.get(0).brief());
        }
    }

    @Test
    void rateLimitDropsAndSummarisesPerInterval() {
        // attack: a flood of events must not become a denial of service of the link
        FilterChain chain = new FilterChain(clock, new DeviceLimits(5, 0, 1000, true));
        int admitted = 0;
        for (int i = 0; i < 8; i++) {
            SecurityEventType type = i < 6 ? SecurityEventType.GATE_ALLOWED : SecurityEventType.GATE_REFUSED;
            FilterChain.Forward forward = chain.accept(occurrence(type, 1)).get(0);
            if (chain.admit(forward, 500)) {
                admitted++;
            }
        }
        assertEquals(5, admitted);
        assertTrue(chain.takeLimitSummaries().isEmpty(), "the interval has not ended");
        clock.advanceMillis(1000);
        List<FilterChain.LimitSummary> summaries = chain.takeLimitSummaries();
        assertEquals(1, summaries.size());
        assertEquals(3, summaries.get(0).rateLimited());
        assertEquals(Map.of("GATE_ALLOWED", 1L, "GATE_REFUSED", 2L), summaries.get(0).byType());
        assertEquals(1, counter(chain, SecurityEventType.GATE_ALLOWED, "droppedRateLimit"));
        assertTrue(chain.admit(chain.accept(occurrence(SecurityEventType.GATE_ALLOWED, 1)).get(0), 500), "a new interval admits again");
    }

    @Test
    void trafficLimitCountsBytes() {
        FilterChain chain = new FilterChain(clock, new DeviceLimits(0, 1000, 1000, true));
        FilterChain.Forward forward = chain.accept(occurrence(SecurityEventType.GATE_ALLOWED, 1)).get(0);
        assertTrue(chain.admit(forward, 400));
        assertTrue(chain.admit(forward, 400));
        assertFalse(chain.admit(forward, 400));
        assertEquals(1, counter(chain, SecurityEventType.GATE_ALLOWED, "droppedTrafficLimit"));
    }

    @Test
    void limitsCanExemptBypassingTypes() {
        FilterChain chain = new FilterChain(clock, new DeviceLimits(1, 0, 1000, false));
        chain.setRules(Map.of(SecurityEventType.POLICY_LOAD_FAILED,
            new FilterRule(SecurityEventType.POLICY_LOAD_FAILED, ReportingMode.DETAILED_BYPASSING_FILTERS, null, 1, 0, 0)));
        for (int i = 0; i < 3; i++) {
            assertTrue(chain.admit(chain.accept(occurrence(SecurityEventType.POLICY_LOAD_FAILED, 1)).get(0), 100));
        }
    }

    @Test
    void invalidRulesAreRefusedWithTheValueNamed() {
        assertThrows(IllegalArgumentException.class,
            () -> new FilterRule(SecurityEventType.GATE_ALLOWED, ReportingMode.DETAILED, null, 1, 0, 5));
        assertThrows(IllegalArgumentException.class,
            () -> new FilterRule(SecurityEventType.GATE_ALLOWED, ReportingMode.DETAILED, null, 0, 0, 0));
        IllegalArgumentException type = assertThrows(IllegalArgumentException.class,
            () -> EventFilterComponent.parse("GATE_ALLOWD", "DETAILED", "", 1, 0, 0));
        assertTrue(type.getMessage().contains("GATE_ALLOWD"), type.getMessage());
        IllegalArgumentException mode = assertThrows(IllegalArgumentException.class,
            () -> EventFilterComponent.parse("GATE_ALLOWED", "VERBOSE", "", 1, 0, 0));
        assertTrue(mode.getMessage().contains("VERBOSE"), mode.getMessage());
        assertEquals(Severity.LOW, EventFilterComponent.parse("GATE_ALLOWED", "BRIEF", "LOW", 2, 10, 0).effectiveSeverity());
    }
}
