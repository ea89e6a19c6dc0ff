package org.carapace.secoc.internal;

import static org.carapace.secoc.internal.Fixtures.hex;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.carapace.api.secoc.MacAlgorithm;
import org.carapace.api.secoc.SecOcParameters;
import org.carapace.api.secoc.SecOcProfile;
import org.carapace.api.secoc.VerificationResult;
import org.carapace.api.secoc.VerifiedPdu;
import org.junit.jupiter.api.Test;

/**
 * Hand-derived SecOC vectors (docs/secoc.md, "Known-answer vectors", shows each step): the RFC 4493 key, fixed
 * Data IDs, payloads and freshness values; the CMACs were computed with an independent implementation
 * ({@code openssl mac -cipher AES-128-CBC ... CMAC}) over the data to authenticate given here.
 */
class SecOcVectorsTest {

    static final String PAYLOAD = "0011223344556677";

    static void check(int dataId, SecOcParameters parameters, long fv, long lastAccepted, String payload, String pdu) throws Exception {
        Fixtures.FixedFreshness freshness = new Fixtures.FixedFreshness(parameters.freshnessLength(), fv, lastAccepted);
        SecOcChannel channel = Fixtures.channel("kat", dataId, parameters, freshness, Fixtures.RFC4493_KEY, FailureSink.IGNORE);
        assertEquals(pdu, hex(channel.protect(hex(payload))));
        VerifiedPdu result = new VerifiedPdu();
        byte[] secured = hex(pdu);
        assertEquals(VerificationResult.SUCCESS, channel.verify(secured, 0, secured.length, result));
        assertEquals(fv, result.freshnessValue());
        assertArrayEquals(hex(payload), result.copyAuthentic(secured));
    }

    /** Profile 1: data to authenticate 0123 | 0011223344556677 | 00000102; CMAC 83e9a86a...; FV LSB 02, MAC 83e9a8. */
    @Test
    void profile1() throws Exception {
        check(0x0123, SecOcProfile.PROFILE_1.parameters(32), 0x102, 0x101, PAYLOAD, "0011223344556677" + "02" + "83e9a8");
    }

    /** Profile 1 on a 64-byte CAN FD payload: CMAC aaf0b560...; trailer 02 aaf0b5. */
    @Test
    void profile1CanFd() throws Exception {
        String payload = "00112233445566778899aabbccddeeff".repeat(4);
        check(0x0123, SecOcProfile.PROFILE_1.parameters(32), 0x102, 0x101, payload, payload + "02aaf0b5");
    }

    /** Profile 2: no freshness value; data to authenticate 0123 | payload; CMAC 3b0fa5f5...; MAC 3b0fa5. */
    @Test
    void profile2() throws Exception {
        check(0x0123, SecOcProfile.PROFILE_2.parameters(), 0, 0, PAYLOAD, "0011223344556677" + "3b0fa5");
    }

    /**
     * Profile 3 (JASPAR, layout 16/20/26/2): trip 3, reset 5, message 10, flag 5 & 3 = 1: FV 0003000050000029;
     * data to authenticate 0456 | payload | 0003000050000029; CMAC e9e0a8c2...; 4 FV bits 1001 then 28 MAC bits
     * e9e0a8c: trailer 9e9e0a8c.
     */
    @Test
    void profile3() throws Exception {
        long fv = JasparLayout.DEFAULT.compose(JasparLayout.DEFAULT.tripReset(3, 5), 10);
        assertEquals(0x0003000050000029L, fv);
        check(0x0456, SecOcProfile.PROFILE_3.parameters(), fv, fv - 4, PAYLOAD, "0011223344556677" + "9e9e0a8c");
    }

    /**
     * Odd lengths: a 1-byte header, a 10-bit FV 0011010110b (MSB-aligned 35 80 in the data to authenticate), 3 FV
     * bits and a 13-bit MAC: data 0789 | a1b2c3 | 3580; CMAC a6f06d36...; trailer 110 | 1010011011110 = d4de.
     */
    @Test
    void oddLengthsWithHeader() throws Exception {
        SecOcParameters parameters = new SecOcParameters(1, 10, 3, 13, MacAlgorithm.AES_128_CMAC, 1);
        check(0x0789, parameters, 0b0011010110, 0b0011010000, "a1b2c3", "03" + "a1b2c3" + "d4de");
    }
}
