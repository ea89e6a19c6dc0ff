package org.carapace.cli.secoc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.carapace.cli.Main;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The CLI reproduces the known-answer vectors of docs/secoc.md (the same as SecOcVectorsTest in the bundle). */
class SecOcCommandTest {

    static final String KEY = "2b7e151628aed2a6abf7158809cf4f3c";

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        return Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "profile 1       | --profile 1 --data-id 0x0123 --fv 00000102 --payload 0011223344556677 | 001122334455667702" + "83e9a8",
        "profile 2       | --profile 2 --data-id 0x0123 --fv '' --payload 0011223344556677         | 00112233445566773b0fa5",
        "profile 3       | --profile 3 --data-id 0x0456 --fv 0003000050000029 --payload 0011223344556677 | 00112233445566779e9e0a8c",
        "odd lengths     | --header-length 1 --fv-length 10 --fv-tx-length 3 --mac-length 13 --data-id 0x0789 --fv 3580 "
            + "--payload a1b2c3 | 03a1b2c3d4de"})
    void protectPrintsTheKnownAnswerPdu(String name, String options, String pdu) {
        String[] args = ("secoc protect --key " + KEY + " " + options.trim()).split("\\s+");
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("''")) {
                args[i] = "";
            }
        }
        assertEquals(0, run(args), err.toString());
        assertEquals(pdu.trim(), out.toString().trim());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "profile 1 | --profile 1 --data-id 0x0123 --last-fv 00000101 --pdu 00112233445566770283e9a8 | 00000102",
        "profile 1, LSBs wrapped | --profile 1 --data-id 0x0123 --last-fv 000001ff --pdu 00112233445566770283e9a8 | -",
        "profile 3 | --profile 3 --data-id 0x0456 --last-fv 0003000050000025 --pdu 00112233445566779e9e0a8c | 0003000050000029",
        "odd lengths | --header-length 1 --fv-length 10 --fv-tx-length 3 --mac-length 13 --data-id 0x0789 --last-fv 3400 "
            + "--pdu 03a1b2c3d4de | 3580"})
    void verifyPrintsResultAndReconstructedFreshness(String name, String options, String fv) {
        int code = run(("secoc verify --key " + KEY + " " + options.trim()).split("\\s+"));
        if (fv.trim().equals("-")) {
            // last accepted 0x1ff: LSBs 02 < ff, so the candidate is 0x202 and the MAC (made with 0x102) fails
            assertEquals(1, code, out.toString());
            assertTrue(out.toString().startsWith("VERIFICATION_FAILURE (1)"), out.toString());
        } else {
            assertEquals(0, code, out + " " + err);
            assertTrue(out.toString().startsWith("SUCCESS (0) freshness " + fv.trim() + " payload "), out.toString());
        }
    }

    @Test
    void replayedFreshnessIsAFreshnessFailureWithExitOne() {
        // the complete 32-bit FV on the wire: last accepted 0x102 makes the same PDU a replay
        assertEquals(0, run("secoc", "protect", "--key", KEY, "--data-id", "7", "--fv-length", "32", "--fv-tx-length", "32",
            "--mac-length", "64", "--fv", "00000102", "--payload", "cafe"));
        String pdu = out.toString().trim();
        out.getBuffer().setLength(0);
        assertEquals(1, run("secoc", "verify", "--key", KEY, "--data-id", "7", "--fv-length", "32", "--fv-tx-length", "32",
            "--mac-length", "64", "--last-fv", "00000102", "--pdu", pdu));
        assertTrue(out.toString().startsWith("FRESHNESS_FAILURE (2)"), out.toString());
        out.getBuffer().setLength(0);
        assertEquals(0, run("secoc", "verify", "--json", "--key", KEY, "--data-id", "7", "--fv-length", "32", "--fv-tx-length", "32",
            "--mac-length", "64", "--last-fv", "00000101", "--pdu", pdu));
        assertTrue(out.toString().contains("\"code\" : 0") && out.toString().contains("\"payload\" : \"cafe\""), out.toString());
    }

    @Test
    void badInputIsAUsageErrorTwo() {
        assertEquals(2, run("secoc", "protect", "--profile", "9", "--key", KEY, "--data-id", "1", "--fv", "00", "--payload", "00"));
        assertTrue(err.toString().contains("unknown SecOC profile"), err.toString());
        assertEquals(2, run("secoc", "protect", "--profile", "1", "--key", "zz", "--data-id", "1", "--fv", "00", "--payload", "00"));
        assertEquals(2, run("secoc", "protect", "--profile", "1", "--key", KEY, "--data-id", "70000", "--fv", "00", "--payload", "00"));
        assertEquals(2, run("secoc", "protect", "--fv-length", "10", "--fv-tx-length", "3", "--mac-length", "13", "--key", KEY,
            "--data-id", "1", "--fv", "3581", "--payload", "00"));
        assertTrue(err.toString().contains("MSB-aligned"), err.toString());
    }

    @Test
    void helpListsProtectAndVerify() {
        assertEquals(0, run("secoc", "--help"));
        assertTrue(out.toString().contains("protect") && out.toString().contains("verify"), out.toString());
    }
}
