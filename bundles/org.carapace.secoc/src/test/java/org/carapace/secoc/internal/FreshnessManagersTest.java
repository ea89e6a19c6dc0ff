package org.carapace.secoc.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicLong;
import org.carapace.api.secoc.FreshnessUnavailableException;
import org.carapace.api.secoc.MacAlgorithm;
import org.carapace.api.secoc.SecOcParameters;
import org.carapace.api.secoc.SecOcProfile;
import org.carapace.api.secoc.VerificationResult;
import org.carapace.api.secoc.VerifiedPdu;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Counter reconstruction, reservations, JASPAR and time-stamp freshness. */
class FreshnessManagersTest {

    @TempDir
    Path dir;

    final long[] out = new long[1];

    /** The counter rule of REFERENCES/SWS, value by value. */
    @Test
    void counterReconstructionFollowsTheRule() {
        CounterFreshness c = Fixtures.counter(dir, "c", 16, 16);
        assertEquals(VerificationResult.SUCCESS, c.rxAccept(0x12f0));
        assertEquals(VerificationResult.SUCCESS, c.rxCandidate(0xf5, 8, 0, out));
        assertEquals(0x12f5, out[0], "received LSBs greater: same MSBs");
        assertEquals(VerificationResult.SUCCESS, c.rxCandidate(0x03, 8, 0, out));
        assertEquals(0x1303, out[0], "received LSBs smaller: MSBs + 1");
        assertEquals(VerificationResult.SUCCESS, c.rxCandidate(0xf0, 8, 0, out));
        assertEquals(0x13f0, out[0], "equal LSBs: MSBs + 1");
        assertEquals(VerificationResult.SUCCESS, c.rxCandidate(0x03, 8, 2, out));
        assertEquals(0x1503, out[0], "attempt 2 adds 2 x 256");
        assertEquals(VerificationResult.SUCCESS, c.rxCandidate(0x12f1, 16, 0, out));
        assertEquals(0x12f1, out[0], "complete value taken as it is");
        assertEquals(VerificationResult.FRESHNESS_FAILURE, c.rxCandidate(0x12f0, 16, 0, out), "not greater");
        assertEquals(VerificationResult.FRESHNESS_FAILURE, c.rxCandidate(0x12f1, 16, 1, out), "one candidate only");
        assertEquals(VerificationResult.SUCCESS, c.rxAccept(0xfff0));
        assertEquals(VerificationResult.FRESHNESS_FAILURE, c.rxCandidate(0x01, 8, 0, out), "past the 16-bit counter");
        assertEquals(VerificationResult.FRESHNESS_FAILURE, c.rxAccept(0xfff0), "accept is strictly increasing too");
    }

    @Test
    void sixtyFourBitCounterComparesUnsigned() {
        CounterFreshness c = Fixtures.counter(dir, "c64", 64, 16);
        assertEquals(VerificationResult.SUCCESS, c.rxAccept(0x7fff_ffff_ffff_fffeL));
        assertEquals(VerificationResult.SUCCESS, c.rxCandidate(0x01, 4, 0, out));
        assertEquals(0x8000_0000_0000_0001L, out[0], "LSBs 1 < e: MSBs + 1, into the upper half of the unsigned range");
        assertEquals(VerificationResult.SUCCESS, c.rxAccept(out[0]));
        assertEquals(VerificationResult.FRESHNESS_FAILURE, c.rxCandidate(0x7fff_ffff_ffff_fff1L, 64, 0, out));
    }

    @Test
    void reservationRestartSkipsAtMostABlockAndCorruptStateFailsClosed() throws Exception {
        Path file = dir.resolve("r.fv");
        Reservation r = new Reservation(new ReservationFile(file), 100, CounterFreshness.ceiling(32), Runnable::run);
        for (long v = 1; v <= 250; v++) {
            assertTrue(r.cover(v));
        }
        long onDisk = new ReservationFile(file).read().getAsLong();
        assertTrue(onDisk > 250 && onDisk <= 250 + 100 + 1, "limit " + onDisk);
        assertTrue(new ReservationFile(file).read().isPresent());
        assertEquals(onDisk, new Reservation(new ReservationFile(file), 100, CounterFreshness.ceiling(32), Runnable::run).restored());
        byte[] bytes = Files.readAllBytes(file);
        bytes[10] ^= 1;
        Files.write(file, bytes);
        assertThrows(ReservationFile.CorruptStateException.class, () -> new ReservationFile(file).read());
        Files.write(file, new byte[3]);
        assertThrows(ReservationFile.CorruptStateException.class, () -> new ReservationFile(file).read());
        assertFalse(r.cover(CounterFreshness.ceiling(32)), "nothing beyond the ceiling");
    }

    @Test
    void unwritableStateMakesTheSenderFailClosed() throws Exception {
        Path blocked = dir.resolve("blocked");
        CounterFreshness c = new CounterFreshness(32, 0, Fixtures.reservation(blocked.resolve("tx.fv"), 16, 32),
            Fixtures.reservation(dir.resolve("rx.fv"), 16, 32));
        Files.writeString(blocked, "a file where the state directory should be"); // the disk went bad after start
        FreshnessUnavailableException e = assertThrows(FreshnessUnavailableException.class, c::nextTxFreshness);
        assertTrue(e.getMessage().contains("durably"), e.getMessage());
    }

    // ---- JASPAR ----

    static final JasparLayout LAYOUT = JasparLayout.DEFAULT;

    JasparDomain master() throws Exception {
        return JasparDomain.master("body", LAYOUT, new ReservationFile(dir.resolve("trip.fv")));
    }

    @Test
    void jasparMasterRaisesThePersistedTripCounterAtEachStartAndCountsResetCycles() throws Exception {
        assertEquals(LAYOUT.tripReset(1, 1), master().tripReset());
        JasparDomain second = master();
        assertEquals(LAYOUT.tripReset(2, 1), second.tripReset());
        assertEquals(LAYOUT.tripReset(2, 2), second.advanceReset());
        assertThrows(IllegalStateException.class, () -> JasparDomain.slave("s", LAYOUT).advanceReset());
    }

    @Test
    void jasparOverflowRules() throws Exception {
        JasparLayout small = new JasparLayout(2, 2, 3, 1);
        ReservationFile trip = new ReservationFile(dir.resolve("small-trip.fv"));
        trip.write(3); // trip counter at its maximum (2 bits)
        JasparDomain restarted = JasparDomain.master("small", small, new ReservationFile(dir.resolve("small-trip.fv")));
        assertEquals(small.tripReset(1, 1), restarted.tripReset(), "trip at max: trip and reset restart");
        restarted.advanceReset();
        restarted.advanceReset();
        assertEquals(small.tripReset(1, 3), restarted.advanceReset(), "reset at max: held");
        assertEquals(small.tripReset(1, 3), restarted.advanceReset());
        // message counter at max: held, so the sender stops instead of reusing a value
        JasparFreshness sender = new JasparFreshness(restarted, Fixtures.reservation(dir.resolve("s-tx"), 4, small.length()),
            Fixtures.reservation(dir.resolve("s-rx"), 4, small.length()));
        for (int i = 0; i <= small.messageMax(); i++) {
            sender.nextTxFreshness();
        }
        FreshnessUnavailableException e = assertThrows(FreshnessUnavailableException.class, sender::nextTxFreshness);
        assertTrue(e.getMessage().contains("held"), e.getMessage());
        // a slave takes a restarted trip only from the maximum
        JasparDomain slave = JasparDomain.slave("small", small);
        assertTrue(slave.synchronise(small.tripReset(3, 2)));
        assertFalse(slave.acceptable(small.tripReset(2, 3)), "going back is refused");
        assertTrue(slave.synchronise(small.tripReset(1, 1)), "trip restart from the maximum");
        assertFalse(slave.acceptable(small.tripReset(0, 1)), "trip 0 is never valid");
    }

    /** Profile 3 end to end: master and slave domains, a sync message, data PDUs across reset cycles. */
    @Test
    void jasparProfile3WithSynchronisation() throws Exception {
        JasparDomain master = master();
        JasparDomain slave = JasparDomain.slave("body", LAYOUT);
        SecOcParameters data = SecOcProfile.PROFILE_3.parameters();
        SecOcParameters sync = new SecOcParameters(0, 36, 36, 64, MacAlgorithm.AES_128_CMAC, 1);
        SecOcChannel syncTx = Fixtures.channel("sync-tx", 0x0fff, sync, new JasparSyncFreshness(master), Fixtures.RFC4493_KEY,
            FailureSink.IGNORE);
        Fixtures.CountingSink sink = new Fixtures.CountingSink();
        SecOcChannel syncRx = Fixtures.channel("sync-rx", 0x0fff, sync, new JasparSyncFreshness(slave), Fixtures.RFC4493_KEY, sink);
        SecOcChannel tx = Fixtures.channel("tx", 0x0456, data, jaspar(master, "tx"), Fixtures.RFC4493_KEY, FailureSink.IGNORE);
        SecOcChannel rx = Fixtures.channel("rx", 0x0456, data, jaspar(slave, "rx"), Fixtures.RFC4493_KEY, sink);

        byte[] early = tx.protect(new byte[] {1});
        assertEquals(VerificationResult.FRESHNESS_FAILURE, verify(rx, early), "not synchronised: freshness not available");

        byte[] syncPdu = syncTx.protect(new byte[0]);
        assertEquals(5 + 8, syncPdu.length, "36 FV bits + 64 MAC bits = 13 bytes");
        assertEquals(VerificationResult.SUCCESS, verify(syncRx, syncPdu));
        assertEquals(master.tripReset(), slave.tripReset());
        assertEquals(VerificationResult.SUCCESS, verify(syncRx, syncPdu), "a repeated sync changes nothing");

        for (int i = 0; i < 10; i++) {
            assertEquals(VerificationResult.SUCCESS, verify(rx, tx.protect(new byte[] {(byte) i})), "PDU " + i);
        }
        // the master starts the next reset cycle; the receiver has not seen the sync yet: the reset flag tells it
        master.advanceReset();
        VerifiedPdu result = new VerifiedPdu();
        byte[] next = tx.protect(new byte[] {42});
        assertEquals(VerificationResult.SUCCESS, rx.verify(next, 0, next.length, result));
        assertEquals(LAYOUT.compose(master.tripReset(), 0), result.freshnessValue(), "message counter restarted at 0");
        byte[] replay = next.clone();
        assertEquals(VerificationResult.VERIFICATION_FAILURE, verify(rx, replay), "replay rebuilds to a later value");
        // a forged sync (another key) is refused
        SecOcChannel forger = Fixtures.channel("forger", 0x0fff, sync, new JasparSyncFreshness(master), "00".repeat(16),
            FailureSink.IGNORE);
        master.advanceReset();
        assertEquals(VerificationResult.VERIFICATION_FAILURE, verify(syncRx, forger.protect(new byte[0])));
        // an old sync message replayed is refused as a freshness failure
        assertEquals(VerificationResult.FRESHNESS_FAILURE, verify(syncRx, syncPdu));
    }

    private JasparFreshness jaspar(JasparDomain domain, String name) {
        return new JasparFreshness(domain, Fixtures.reservation(dir.resolve(name + "-tx"), 64 << 2, 64),
            Fixtures.reservation(dir.resolve(name + "-rx"), 64 << 2, 64));
    }

    private static VerificationResult verify(SecOcChannel channel, byte[] pdu) {
        return channel.verify(pdu, 0, pdu.length, new VerifiedPdu());
    }

    // ---- time stamps ----

    @Test
    void timestampsAreAcceptedInsideTheWindowOnlyAndStrictlyIncreasing() throws Exception {
        AtomicLong now = new AtomicLong(1_767_225_600_000L); // 2026-01-01T00:00:00Z
        Clock clock = new Clock() {
            @Override
            public java.time.ZoneId getZone() {
                return ZoneOffset.UTC;
            }

            @Override
            public Clock withZone(java.time.ZoneId zone) {
                return this;
            }

            @Override
            public Instant instant() {
                return Instant.ofEpochMilli(now.get());
            }
        };
        TimestampFreshness sender = new TimestampFreshness(48, clock, 1, 500, Fixtures.reservation(dir.resolve("ts-tx"), 1000, 48),
            Fixtures.reservation(dir.resolve("ts-rx0"), 1000, 48));
        TimestampFreshness receiver = new TimestampFreshness(48, clock, 1, 500, Fixtures.reservation(dir.resolve("ts-tx1"), 1000, 48),
            Fixtures.reservation(dir.resolve("ts-rx"), 1000, 48));
        long a = sender.nextTxFreshness();
        long b = sender.nextTxFreshness();
        assertEquals(now.get(), a);
        assertEquals(a + 1, b, "two PDUs in one tick still get increasing values");
        assertEquals(VerificationResult.SUCCESS, receiver.rxCandidate(b & 0xffff, 16, 0, out));
        assertEquals(b, out[0], "rebuilt from 16 bits near the receiver's time");
        assertEquals(VerificationResult.SUCCESS, receiver.rxAccept(b));
        assertEquals(VerificationResult.FRESHNESS_FAILURE, receiver.rxCandidate(a & 0xffff, 16, 0, out), "older than the last");
        now.addAndGet(10_000);
        long late = b + 1;
        assertEquals(VerificationResult.FRESHNESS_FAILURE, receiver.rxCandidate(late & 0xffff, 16, 0, out), "10 s old: outside 500 ms");
        long fresh = sender.nextTxFreshness();
        assertEquals(VerificationResult.SUCCESS, receiver.rxCandidate(fresh & 0xffff, 16, 0, out));
        assertEquals(fresh, out[0]);
        assertThrows(IllegalArgumentException.class, () -> new TimestampFreshness(32, clock, 1, 500,
            Fixtures.reservation(dir.resolve("x1"), 10, 32), Fixtures.reservation(dir.resolve("x2"), 10, 32)),
            "a 32-bit millisecond time stamp cannot hold the date");
    }
}
