package org.carapace.secoc.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.carapace.api.secoc.AuthenticationBuildException;
import org.carapace.api.secoc.FreshnessException;
import org.carapace.api.secoc.FreshnessType;
import org.carapace.api.secoc.MacAlgorithm;
import org.carapace.api.secoc.MacSession;
import org.carapace.api.secoc.MacVerificationException;
import org.carapace.api.secoc.MalformedPduException;
import org.carapace.api.secoc.SecOcParameters;
import org.carapace.api.secoc.SecOcProfile;
import org.carapace.api.secoc.VerificationResult;
import org.carapace.api.secoc.VerifiedPdu;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Sender and receiver channels with counter freshness: the adversarial fixtures of the SecOC receive path. */
class SecOcChannelTest {

    static final String KEY = Fixtures.RFC4493_KEY;
    static final String OTHER_KEY = "000102030405060708090a0b0c0d0e0f";

    @TempDir
    Path dir;

    final Fixtures.CountingSink senderSink = new Fixtures.CountingSink();
    final Fixtures.CountingSink receiverSink = new Fixtures.CountingSink();

    SecOcChannel sender(SecOcParameters p) {
        return Fixtures.channel("ecu-a", 0x0123, p, Fixtures.counter(dir, "a", p.freshnessLength(), 16), KEY, senderSink);
    }

    SecOcChannel receiver(SecOcParameters p) {
        return Fixtures.channel("ecu-b", 0x0123, p, Fixtures.counter(dir, "b", p.freshnessLength(), 16), KEY, receiverSink);
    }

    static VerificationResult verify(SecOcChannel channel, byte[] pdu) {
        return channel.verify(pdu, 0, pdu.length, new VerifiedPdu());
    }

    @Test
    void protectedPdusVerifyAndCarryTheAuthenticPdu() throws Exception {
        SecOcParameters p = SecOcProfile.PROFILE_1.parameters(32);
        SecOcChannel a = sender(p);
        SecOcChannel b = receiver(p);
        for (int i = 1; i <= 600; i++) {
            byte[] payload = {(byte) i, 2, 3, 4, 5, 6, 7, 8};
            byte[] pdu = a.protect(payload);
            assertEquals(8 + 4, pdu.length);
            VerifiedPdu result = new VerifiedPdu();
            assertEquals(VerificationResult.SUCCESS, b.verify(pdu, 0, pdu.length, result));
            assertEquals(i, result.freshnessValue(), "the counter starts at 1 and counts per PDU");
            assertArrayEquals(payload, result.copyAuthentic(pdu));
        }
        assertEquals(600, b.statistics().verified());
        assertEquals(600, a.statistics().protectedPdus());
    }

    /** secoc/replayed-freshness: the same PDU a second time is dropped. */
    @Test
    void replayedPduIsDropped() throws Exception {
        SecOcParameters p = SecOcProfile.PROFILE_1.parameters(32);
        SecOcChannel a = sender(p);
        SecOcChannel b = receiver(p);
        byte[] pdu = a.protect(new byte[8]);
        assertEquals(VerificationResult.SUCCESS, verify(b, pdu));
        // 8-bit truncated FV: the replay rebuilds to the next epoch (FV + 256) and its MAC cannot match
        assertEquals(VerificationResult.VERIFICATION_FAILURE, verify(b, pdu));
        assertEquals(1, receiverSink.verification);
        assertEquals(1, b.statistics().macFailures());
    }

    /** secoc/replayed-freshness with the complete FV on the wire: refused as a freshness failure before any MAC. */
    @Test
    void replayWithCompleteFreshnessIsAFreshnessFailure() throws Exception {
        SecOcParameters p = new SecOcParameters(0, 32, 32, 64, MacAlgorithm.AES_128_CMAC, 1);
        SecOcChannel a = sender(p);
        SecOcChannel b = receiver(p);
        byte[] first = a.protect(new byte[8]);
        byte[] second = a.protect(new byte[8]);
        assertEquals(VerificationResult.SUCCESS, verify(b, first));
        assertEquals(VerificationResult.SUCCESS, verify(b, second));
        assertEquals(VerificationResult.FRESHNESS_FAILURE, verify(b, first));
        assertEquals(VerificationResult.FRESHNESS_FAILURE, verify(b, second));
        assertEquals(2, receiverSink.freshness);
        FreshnessException e = assertThrows(FreshnessException.class, () -> b.open(second));
        assertEquals(2, e.lastAccepted());
        assertEquals(VerificationResult.FRESHNESS_FAILURE, e.result());
    }

    /** secoc/reordered-out-of-window: an older PDU arriving after a newer one is dropped. */
    @Test
    void reorderedOlderPduIsDropped() throws Exception {
        SecOcParameters p = SecOcProfile.PROFILE_1.parameters(32);
        SecOcChannel a = sender(p);
        SecOcChannel b = receiver(p);
        byte[] one = a.protect(new byte[] {1});
        byte[] two = a.protect(new byte[] {2});
        byte[] three = a.protect(new byte[] {3});
        assertEquals(VerificationResult.SUCCESS, verify(b, one));
        assertEquals(VerificationResult.SUCCESS, verify(b, three));
        assertEquals(VerificationResult.VERIFICATION_FAILURE, verify(b, two));
        assertEquals(3, b.freshnessManager().lastAccepted());
    }

    /** A counter window refuses the reordered PDU as a freshness failure, without computing a MAC. */
    @Test
    void counterWindowTurnsOldPdusIntoFreshnessFailures() throws Exception {
        SecOcParameters p = SecOcProfile.PROFILE_1.parameters(32);
        SecOcChannel a = sender(p);
        CounterFreshness windowed = new CounterFreshness(32, 16, Fixtures.reservation(dir.resolve("w-tx"), 16, 32),
            Fixtures.reservation(dir.resolve("w-rx"), 16, 32));
        SecOcChannel b = Fixtures.channel("ecu-b", 0x0123, p, windowed, KEY, receiverSink);
        byte[] one = a.protect(new byte[] {1});
        byte[] two = a.protect(new byte[] {2});
        assertEquals(VerificationResult.SUCCESS, verify(b, two));
        assertEquals(VerificationResult.FRESHNESS_FAILURE, verify(b, one), "rebuilt as 257: 255 above the last, window 16");
        assertEquals(VerificationResult.FRESHNESS_FAILURE, verify(b, two), "replay: 256 above the last");
        assertEquals(2, receiverSink.freshness);
    }

    /** Truncated FV wrap-around: the 8 LSBs go 0xff -> 0x00 and the receiver carries into the MSBs. */
    @Test
    void truncatedFreshnessWrapsAroundIntoTheNextEpoch() throws Exception {
        SecOcParameters p = SecOcProfile.PROFILE_1.parameters(16);
        SecOcChannel a = sender(p);
        SecOcChannel b = receiver(p);
        List<Long> accepted = new ArrayList<>();
        for (int i = 0; i < 520; i++) {
            byte[] pdu = a.protect(new byte[] {(byte) i});
            VerifiedPdu result = new VerifiedPdu();
            assertEquals(VerificationResult.SUCCESS, b.verify(pdu, 0, pdu.length, result), "PDU " + i);
            accepted.add(result.freshnessValue());
        }
        assertEquals(255L, accepted.get(254));
        assertEquals(256L, accepted.get(255), "LSBs 00 after ff: MSBs + 1");
        assertEquals(512L, accepted.get(511));
    }

    /** Lost PDUs: with more than 2^8 lost, only a further verify attempt finds the right epoch. */
    @Test
    void verifyAttemptsRecoverFromMoreLostPdusThanTheTruncatedBitsCover() throws Exception {
        SecOcParameters one = SecOcProfile.PROFILE_1.parameters(32);
        SecOcParameters three = one.withVerifyAttempts(3);
        SecOcChannel a = sender(three);
        SecOcChannel strict = receiver(one);
        SecOcChannel lenient = Fixtures.channel("ecu-c", 0x0123, three, Fixtures.counter(dir, "c", 32, 16), KEY, receiverSink);
        byte[] first = a.protect(new byte[1]);
        assertEquals(VerificationResult.SUCCESS, verify(strict, first));
        assertEquals(VerificationResult.SUCCESS, verify(lenient, first));
        for (int i = 0; i < 300; i++) {
            a.protect(new byte[1]); // lost on the bus
        }
        byte[] later = a.protect(new byte[1]); // FV 302: LSBs 0x2e, rebuilt first as 0x2e (46), then 302
        assertEquals(VerificationResult.VERIFICATION_FAILURE, verify(strict, later));
        assertEquals(VerificationResult.SUCCESS, verify(lenient, later));
        assertEquals(302, lenient.freshnessManager().lastAccepted());
    }

    /** secoc/single-bit-flip: every single-bit change anywhere in a PDU fails, for several layouts. */
    @Test
    void everySingleBitFlipFailsVerification() throws Exception {
        SecOcParameters[] layouts = {
            SecOcProfile.PROFILE_1.parameters(32),
            SecOcProfile.PROFILE_2.parameters(),
            new SecOcParameters(2, 32, 6, 29, MacAlgorithm.AES_128_CMAC, 2),
            new SecOcParameters(1, 64, 64, 128, MacAlgorithm.HMAC_SHA_256, 1)};
        int flips = 0;
        for (SecOcParameters p : layouts) {
            for (int payloadLength : new int[] {0, 1, 8, 13}) {
                String tag = p + "/" + payloadLength;
                Path sub = dir.resolve("flip-" + flips);
                String key = p.algorithm() == MacAlgorithm.HMAC_SHA_256 ? KEY + OTHER_KEY : KEY;
                SecOcChannel a = Fixtures.channel("a", 0x0042, p, counterOrNone(p, sub, "a"), key, FailureSink.IGNORE);
                byte[] payload = new byte[payloadLength];
                for (int i = 0; i < payloadLength; i++) {
                    payload[i] = (byte) (31 * i + 7);
                }
                a.protect(payload); // FV 1 consumed so the receiver's state is not at the initial value
                byte[] pdu = a.protect(payload);
                for (int bit = 0; bit < 8 * pdu.length; bit++) {
                    SecOcChannel b = Fixtures.channel("b", 0x0042, p, receiverAt(p, sub, "b" + bit), key, FailureSink.IGNORE);
                    byte[] flipped = pdu.clone();
                    flipped[bit / 8] ^= (byte) (0x80 >>> (bit % 8));
                    VerificationResult r = verify(b, flipped);
                    assertTrue(r != VerificationResult.SUCCESS, tag + " bit " + bit + " flipped still verified");
                    assertEquals(VerificationResult.SUCCESS, verify(b, pdu), tag + ": the intact PDU verifies after the flip");
                    flips++;
                }
            }
        }
        assertTrue(flips > 1000, "flipped " + flips + " bits");
    }

    private static org.carapace.api.secoc.FreshnessManager counterOrNone(SecOcParameters p, Path dir, String name) {
        return p.freshnessLength() == 0 ? new NoFreshness() : Fixtures.counter(dir, name, p.freshnessLength(), 16);
    }

    /** A receiver that accepted FV 1 (profile 2 has none). */
    private static org.carapace.api.secoc.FreshnessManager receiverAt(SecOcParameters p, Path dir, String name) {
        if (p.freshnessLength() == 0) {
            return new NoFreshness();
        }
        CounterFreshness c = Fixtures.counter(dir, name, p.freshnessLength(), 16);
        assertEquals(VerificationResult.SUCCESS, c.rxAccept(1));
        return c;
    }

    @Test
    void profile2AcceptsAReplayByDesign() throws Exception {
        SecOcParameters p = SecOcProfile.PROFILE_2.parameters();
        SecOcChannel a = Fixtures.channel("a", 1, p, new NoFreshness(), KEY, FailureSink.IGNORE);
        SecOcChannel b = Fixtures.channel("b", 1, p, new NoFreshness(), KEY, FailureSink.IGNORE);
        byte[] pdu = a.protect(new byte[] {9});
        assertEquals(VerificationResult.SUCCESS, verify(b, pdu));
        assertEquals(VerificationResult.SUCCESS, verify(b, pdu), "profile 2 carries no freshness: replays verify");
    }

    /** secoc/wrong-data-id: the Data ID is part of the MAC, so a PDU moved to another ID fails. */
    @Test
    void pduOfAnotherDataIdFails() throws Exception {
        SecOcParameters p = SecOcProfile.PROFILE_1.parameters(32);
        SecOcChannel a = sender(p);
        SecOcChannel other = Fixtures.channel("b", 0x0124, p, Fixtures.counter(dir, "x", 32, 16), KEY, receiverSink);
        assertEquals(VerificationResult.VERIFICATION_FAILURE, verify(other, a.protect(new byte[8])));
    }

    /** secoc/forged-mac: a PDU from a sender with another key fails; the exception names the attempts. */
    @Test
    void forgedPduWithAnotherKeyFails() throws Exception {
        SecOcParameters p = SecOcProfile.PROFILE_1.parameters(32).withVerifyAttempts(2);
        SecOcChannel forger = Fixtures.channel("f", 0x0123, p, Fixtures.counter(dir, "f", 32, 16), OTHER_KEY, FailureSink.IGNORE);
        SecOcChannel b = receiver(p);
        MacVerificationException e = assertThrows(MacVerificationException.class, () -> b.open(forger.protect(new byte[8])));
        assertEquals(2, e.attempts());
        assertEquals(0x0123, e.dataId());
    }

    /** Key rotation: the receiver accepts the previous key as its second key, and reports which one verified. */
    @Test
    void previousKeyIsAcceptedDuringRotation() throws Exception {
        SecOcParameters p = SecOcProfile.PROFILE_1.parameters(32);
        SecOcChannel oldSender = Fixtures.channel("a", 0x0123, p, Fixtures.counter(dir, "a", 32, 16), OTHER_KEY, FailureSink.IGNORE);
        SecOcChannel b = new SecOcChannel("b", 0x0123, p, 64, FreshnessType.COUNTER, Fixtures.counter(dir, "b", 32, 16),
            Fixtures.session(MacAlgorithm.AES_128_CMAC, KEY), new MacSession[] {
                Fixtures.session(MacAlgorithm.AES_128_CMAC, KEY), Fixtures.session(MacAlgorithm.AES_128_CMAC, OTHER_KEY)},
            receiverSink);
        byte[] pdu = oldSender.protect(new byte[8]);
        VerifiedPdu result = new VerifiedPdu();
        assertEquals(VerificationResult.SUCCESS, b.verify(pdu, 0, pdu.length, result));
        assertEquals(1, result.keyIndex());
        b.close();
        byte[] next = oldSender.protect(new byte[8]);
        assertEquals(VerificationResult.VERIFICATION_FAILURE, verify(b, next), "closed sessions verify nothing");
        assertThrows(AuthenticationBuildException.class, () -> b.protect(new byte[1]));
    }

    /** secoc/length-header-mismatch, secoc/nonzero-padding, secoc/truncated-pdu: malformed, typed. */
    @Test
    void malformedPdusAreDroppedWithTheirReason() throws Exception {
        SecOcParameters p = new SecOcParameters(2, 16, 4, 22, MacAlgorithm.AES_128_CMAC, 1);
        SecOcChannel a = Fixtures.channel("a", 7, p, Fixtures.counter(dir, "a", 16, 16), KEY, FailureSink.IGNORE);
        SecOcChannel b = Fixtures.channel("b", 7, p, Fixtures.counter(dir, "b", 16, 16), KEY, receiverSink);
        byte[] pdu = a.protect(new byte[] {1, 2, 3});
        assertEquals(2 + 3 + 4, pdu.length);
        byte[] longer = java.util.Arrays.copyOf(pdu, pdu.length + 1);
        MalformedPduException e = assertThrows(MalformedPduException.class, () -> b.open(longer));
        assertTrue(e.getMessage().contains("length header"), e.getMessage());
        byte[] padded = pdu.clone();
        padded[padded.length - 1] |= 1; // 26 trailer bits in 4 bytes: 6 padding bits
        assertTrue(assertThrows(MalformedPduException.class, () -> b.open(padded)).getMessage().contains("padding"));
        assertThrows(MalformedPduException.class, () -> b.open(new byte[3]));
        assertEquals(VerificationResult.VERIFICATION_FAILURE, b.verify(pdu, 5, pdu.length, new VerifiedPdu()));
        assertEquals(4, receiverSink.malformed);
        assertArrayEquals(new byte[] {1, 2, 3}, b.open(pdu));
    }

    @Test
    void oversizedAuthenticPduIsABuildFailure() {
        SecOcParameters p = SecOcProfile.PROFILE_1.parameters(32);
        SecOcChannel a = sender(p);
        AuthenticationBuildException e = assertThrows(AuthenticationBuildException.class, () -> a.protect(new byte[257]));
        assertTrue(e.getMessage().contains("257"), e.getMessage());
        assertEquals(1, a.statistics().buildFailures());
    }

    @Test
    void exhaustedCounterIsHeldNeverWrapped() throws Exception {
        SecOcParameters p = new SecOcParameters(0, 8, 8, 32, MacAlgorithm.AES_128_CMAC, 1);
        SecOcChannel a = sender(p);
        for (int i = 1; i <= 255; i++) {
            a.protect(new byte[0]);
        }
        AuthenticationBuildException e = assertThrows(AuthenticationBuildException.class, () -> a.protect(new byte[0]));
        assertTrue(e.getMessage().contains("exhausted"), e.getMessage());
    }
}
