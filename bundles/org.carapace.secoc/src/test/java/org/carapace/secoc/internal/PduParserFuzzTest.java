package org.carapace.secoc.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.util.Arrays;
import org.carapace.api.secoc.MacAlgorithm;
import org.carapace.api.secoc.SecOcParameters;
import org.carapace.api.secoc.VerificationResult;
import org.carapace.api.secoc.VerifiedPdu;

/**
 * secoc/fuzzed-pdu: arbitrary bytes against arbitrary layouts. The parser and the whole receive path must never throw,
 * never read outside the given slice, never verify a PDU the attacker could not have built (no key), and agree with
 * the codec's own round trip. Runs as a real fuzzing session in the normal build (JAZZER_FUZZ=1, bounded by
 * maxDuration); without it, it replays its seeds.
 */
class PduParserFuzzTest {

    @FuzzTest(maxDuration = "20s")
    void parserAndVerifierNeverMisbehave(FuzzedDataProvider data) throws Exception {
        int header = data.consumeInt(0, 4);
        int fvLength = data.consumeInt(0, 64);
        int fvTx = data.consumeInt(0, fvLength);
        MacAlgorithm algorithm = data.consumeBoolean() ? MacAlgorithm.AES_128_CMAC : MacAlgorithm.HMAC_SHA_256;
        int macLength = data.consumeInt(1, algorithm.macLength());
        int attempts = data.consumeInt(1, 3);
        SecOcParameters p = new SecOcParameters(header, fvLength, fvTx, macLength, algorithm, attempts);
        int maxLength = Math.min(p.maxAuthenticLength(), data.consumeInt(0, 300));
        int dataId = data.consumeInt(0, 0xFFFF);
        int offset = data.consumeInt(0, 8);
        byte[] pdu = data.consumeBytes(512);
        byte[] framed = new byte[offset + pdu.length + 8];
        Arrays.fill(framed, (byte) 0xA5); // guard bytes around the slice
        System.arraycopy(pdu, 0, framed, offset, pdu.length);

        PduCodec codec = new PduCodec(dataId, p, maxLength);
        int parsed = codec.parse(framed, offset, pdu.length);
        if (parsed >= 0) {
            assertEquals(pdu.length, p.securedLength(parsed), "a parsed PDU has exactly the layout's length");
            assertTrue(parsed <= maxLength);
            long truncated = codec.truncatedFreshness(framed, offset, parsed);
            assertTrue(fvTx == 64 || truncated >>> fvTx == 0);
        } else {
            assertTrue(parsed >= PduCodec.TOO_LONG);
        }

        String key = algorithm == MacAlgorithm.AES_128_CMAC ? Fixtures.RFC4493_KEY : Fixtures.RFC4493_KEY.repeat(2);
        org.carapace.api.secoc.FreshnessManager freshness = fvLength == 0 ? new NoFreshness()
            : new CounterFreshness(fvLength, 0, Reservation.inMemory(1, CounterFreshness.ceiling(fvLength)),
                Reservation.inMemory(1, CounterFreshness.ceiling(fvLength)));
        SecOcChannel channel = new SecOcChannel("fuzz", dataId, p, maxLength, org.carapace.api.secoc.FreshnessType.COUNTER, freshness,
            Fixtures.session(algorithm, key), new org.carapace.api.secoc.MacSession[] {Fixtures.session(algorithm, key)},
            FailureSink.IGNORE);
        VerifiedPdu result = new VerifiedPdu();
        VerificationResult r = channel.verify(framed, offset, pdu.length, result);
        byte[] guard = new byte[8];
        Arrays.fill(guard, (byte) 0xA5);
        assertTrue(Arrays.equals(guard, Arrays.copyOfRange(framed, offset + pdu.length, framed.length)), "nothing written past the slice");
        if (r == VerificationResult.SUCCESS) {
            // only possible by chance with a very short MAC: then it must at least be a well-formed PDU
            assertTrue(parsed >= 0 && macLength <= 24, "a " + macLength + "-bit MAC verified for fuzzed bytes");
            assertEquals(parsed, result.authenticLength());
        } else {
            assertEquals(0, result.authenticLength(), "a dropped PDU exposes nothing");
        }

        // round trip: what the codec writes, it parses back, with the same bits
        if (parsed >= 0 && fvLength > 0) {
            byte[] mac = new byte[algorithm.macLength() / 8];
            Arrays.fill(mac, (byte) 0x5A);
            byte[] authentic = Arrays.copyOfRange(framed, codec.authenticOffset(offset), codec.authenticOffset(offset) + parsed);
            long fv = data.consumeLong() & Bits.mask(fvLength);
            byte[] rebuilt = new byte[p.securedLength(parsed)];
            codec.encode(authentic, 0, parsed, fv, mac, rebuilt, 0);
            assertEquals(parsed, codec.parse(rebuilt, 0, rebuilt.length));
            assertEquals(fv & Bits.mask(fvTx), codec.truncatedFreshness(rebuilt, 0, parsed));
            byte[] macBack = new byte[mac.length];
            codec.truncatedMac(rebuilt, 0, parsed, macBack);
            assertTrue(Bits.equalBits(mac, 0, macBack, 0, macLength));
        }
    }
}
