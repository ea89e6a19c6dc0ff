package org.carapace.api.monitoring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.carapace.api.monitoring.SequenceTracker.Gap;
import org.carapace.api.monitoring.SequenceTracker.Verdict;
import org.junit.jupiter.api.Test;

class SequenceTrackerTest {

    private static byte[] tag(long n) {
        return new byte[] {(byte) (n >>> 24), (byte) (n >>> 16), (byte) (n >>> 8), (byte) n, 1, 2, 3, 4};
    }

    @Test
    void inOrderStreamHasNoGaps() {
        SequenceTracker tracker = new SequenceTracker(16);
        assertEquals(Verdict.FIRST, tracker.observe("car", 5, tag(5)).verdict());
        for (long s = 6; s < 50; s++) {
            assertEquals(Verdict.IN_ORDER, tracker.observe("car", s, tag(s)).verdict());
        }
        assertEquals(49, tracker.highest("car"));
        assertTrue(tracker.openGaps().isEmpty());
    }

    @Test
    void qosOneRedeliveryIsADuplicate() {
        SequenceTracker tracker = new SequenceTracker(16);
        tracker.observe("car", 1, tag(1));
        tracker.observe("car", 2, tag(2));
        SequenceTracker.Observation again = tracker.observe("car", 1, tag(1));
        assertEquals(Verdict.DUPLICATE, again.verdict());
        assertFalse(again.verdict().accepted());
    }

    @Test
    void reusedSequenceWithOtherContentIsAConflict() {
        // attack/bug: two different authenticated events claim the same sequence number
        SequenceTracker tracker = new SequenceTracker(16);
        tracker.observe("car", 1, tag(1));
        assertEquals(Verdict.CONFLICT, tracker.observe("car", 1, tag(99)).verdict());
    }

    @Test
    void gapIsReportedAndLateArrivalsFillIt() {
        SequenceTracker tracker = new SequenceTracker(64);
        tracker.observe("car", 1, tag(1));
        SequenceTracker.Observation jump = tracker.observe("car", 10, tag(10));
        assertEquals(Verdict.AFTER_GAP, jump.verdict());
        assertEquals(2, jump.gapFrom());
        assertEquals(9, jump.gapTo());
        assertEquals(List.of(new Gap("car", 2, 9)), tracker.openGaps());
        assertEquals(Verdict.LATE, tracker.observe("car", 5, tag(5)).verdict());
        assertEquals(List.of(new Gap("car", 2, 4), new Gap("car", 6, 9)), tracker.openGaps());
        assertEquals(Verdict.DUPLICATE, tracker.observe("car", 5, tag(5)).verdict());
    }

    @Test
    void replayBeyondTheWindowIsStale() {
        // attack: an old, genuinely authenticated event replayed long after the window moved on
        SequenceTracker tracker = new SequenceTracker(8);
        for (long s = 1; s <= 20; s++) {
            tracker.observe("car", s, tag(s));
        }
        assertEquals(Verdict.STALE, tracker.observe("car", 3, tag(3)).verdict());
        assertEquals(Verdict.DUPLICATE, tracker.observe("car", 13, tag(13)).verdict());
    }

    @Test
    void devicesAreIndependent() {
        SequenceTracker tracker = new SequenceTracker(8);
        tracker.observe("a", 1, tag(1));
        assertEquals(Verdict.FIRST, tracker.observe("b", 1, tag(1)).verdict());
        assertEquals(Verdict.IN_ORDER, tracker.observe("a", 2, tag(2)).verdict());
    }

    @Test
    void restoredStateContinuesWithoutFalseGapsOrRepeats() {
        SequenceTracker before = new SequenceTracker(16);
        before.observe("car", 1, tag(1));
        before.observe("car", 4, tag(4));
        SequenceTracker after = new SequenceTracker(16);
        after.restore(before.snapshot());
        assertEquals(List.of(new Gap("car", 2, 3)), after.openGaps());
        assertEquals(Verdict.DUPLICATE, after.observe("car", 4, tag(4)).verdict());
        assertEquals(Verdict.LATE, after.observe("car", 2, tag(2)).verdict());
        assertEquals(Verdict.IN_ORDER, after.observe("car", 5, tag(5)).verdict());
    }

    @Test
    void gapListIsBounded() {
        SequenceTracker tracker = new SequenceTracker(4);
        long s = 1;
        tracker.observe("car", s, tag(s));
        for (int i = 0; i < SequenceTracker.MAX_GAPS_PER_DEVICE + 10; i++) {
            s += 2;
            tracker.observe("car", s, tag(s));
        }
        assertEquals(SequenceTracker.MAX_GAPS_PER_DEVICE, tracker.openGaps().size());
        assertEquals(10, tracker.forgottenGaps());
    }
}
