package org.carapace.monitoring.internal;

import java.util.Arrays;
import java.util.Objects;

/**
 * One event as the journal keeps it: its sequence number, the wall-clock time it was journalled, the category that
 * names its MQTT topic, and the authenticated event (a {@link SealedEvent}).
 */
record JournalRecord(long sequence, long wallMillis, String category, byte[] payload) {

    JournalRecord {
        if (sequence < 1) {
            throw new IllegalArgumentException("sequence must be at least 1, was " + sequence);
        }
        Objects.requireNonNull(category, "category");
        if (category.isEmpty() || category.length() > 255) {
            throw new IllegalArgumentException("category must be 1 to 255 characters");
        }
        Objects.requireNonNull(payload, "payload");
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof JournalRecord r && r.sequence == sequence && r.wallMillis == wallMillis
            && r.category.equals(category) && Arrays.equals(r.payload, payload);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(sequence) * 31 + Arrays.hashCode(payload);
    }

    @Override
    public String toString() {
        return "JournalRecord[" + sequence + ", " + category + ", " + payload.length + " bytes]";
    }
}
