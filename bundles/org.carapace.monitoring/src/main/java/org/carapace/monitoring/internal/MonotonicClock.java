package org.carapace.monitoring.internal;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/**
 * A {@link Clock} that never steps: milliseconds of {@code System.nanoTime}. Filter windows and limit intervals run
 * on it, so an NTP correction of the wall clock neither stretches nor cuts them. Its instants are not wall-clock time.
 */
final class MonotonicClock extends Clock {

    static final MonotonicClock INSTANCE = new MonotonicClock();

    private MonotonicClock() {
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        return this;
    }

    @Override
    public long millis() {
        return System.nanoTime() / 1_000_000;
    }

    @Override
    public Instant instant() {
        return Instant.ofEpochMilli(millis());
    }
}
