package org.carapace.cli.secoc;

import java.util.HexFormat;
import java.util.Locale;
import org.carapace.api.secoc.FreshnessType;
import org.carapace.api.secoc.MacAlgorithm;
import org.carapace.api.secoc.SecOcParameters;
import org.carapace.api.secoc.SecOcProfile;
import org.carapace.cli.CliException;
import picocli.CommandLine.Option;

/** The options that fix a Secured I-PDU layout and key, shared by {@code secoc protect} and {@code secoc verify}. */
final class LayoutOptions {

    @Option(names = "--profile", paramLabel = "N", description = "SecOC profile preset: 1, 2 or 3 (free lengths without).")
    String profile;

    @Option(names = "--key", paramLabel = "HEX", required = true, description = "The key in hex (16 bytes for AES-128 CMAC).")
    String key;

    @Option(names = "--data-id", paramLabel = "ID", required = true, description = "Data ID, decimal or 0x-hex (0..65535).")
    String dataId;

    @Option(names = "--algorithm", paramLabel = "ALG", description = "cmac (AES-128 CMAC, default) or hmac-sha256.")
    String algorithm;

    @Option(names = "--header-length", paramLabel = "BYTES", description = "Authentic-PDU length header, 0..4 (default 0).")
    Integer headerLength;

    @Option(names = "--fv-length", paramLabel = "BITS", description = "Complete freshness value length in bits.")
    Integer fvLength;

    @Option(names = "--fv-tx-length", paramLabel = "BITS", description = "Transmitted (least significant) freshness bits.")
    Integer fvTxLength;

    @Option(names = "--mac-length", paramLabel = "BITS", description = "Transmitted (most significant) MAC bits.")
    Integer macLength;

    @Option(names = "--attempts", paramLabel = "N", description = "Verify attempts (freshness candidates), default 1.")
    Integer attempts;

    @Option(names = "--freshness", paramLabel = "TYPE", description = "counter, jaspar or none (default: the profile's, else counter).")
    String freshness;

    @Option(names = "--jaspar-layout", paramLabel = "T,R,M,F",
        description = "JASPAR trip, reset, message counter and reset flag bits (default 16,20,26,2).")
    String jasparLayout;

    SecOcProfile profile() throws CliException {
        if (profile == null) {
            return null;
        }
        try {
            return SecOcProfile.parse(profile);
        } catch (IllegalArgumentException e) {
            throw CliException.usage(e.getMessage());
        }
    }

    /** The layout; {@code fvBytes} (the --fv or --last-fv length) decides profile 1's FV length if not given. */
    SecOcParameters parameters(int fvBytes) throws CliException {
        SecOcProfile p = profile();
        MacAlgorithm alg = algorithm == null ? MacAlgorithm.AES_128_CMAC : switch (algorithm.toLowerCase(Locale.ROOT)) {
            case "cmac", "aes-128-cmac", "aes_128_cmac" -> MacAlgorithm.AES_128_CMAC;
            case "hmac-sha256", "hmac-sha-256", "hmac_sha_256" -> MacAlgorithm.HMAC_SHA_256;
            default -> throw CliException.usage("--algorithm must be cmac or hmac-sha256, not '" + algorithm + "'");
        };
        int length;
        if (fvLength != null) {
            length = fvLength;
        } else if (p != null && p.fixesFreshnessLength()) {
            length = p.parameters().freshnessLength();
        } else if (fvBytes >= 0) {
            length = 8 * fvBytes;
        } else {
            throw CliException.usage("give --fv-length (the profile does not fix the freshness value length)");
        }
        Integer tx = fvTxLength != null ? fvTxLength : p != null ? Integer.valueOf(p.freshnessTxLength()) : null;
        Integer mac = macLength != null ? macLength : p != null ? Integer.valueOf(p.macLength()) : null;
        if (tx == null || mac == null) {
            throw CliException.usage("without --profile give --fv-tx-length and --mac-length");
        }
        try {
            return new SecOcParameters(headerLength == null ? 0 : headerLength, length, tx, mac, alg, attempts == null ? 1 : attempts);
        } catch (IllegalArgumentException e) {
            throw CliException.usage(e.getMessage());
        }
    }

    FreshnessType freshnessType(SecOcParameters parameters) throws CliException {
        if (freshness != null) {
            try {
                return FreshnessType.valueOf(freshness.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw CliException.usage("--freshness must be counter, jaspar or none, not '" + freshness + "'");
            }
        }
        SecOcProfile p = profile();
        if (p != null) {
            return p.freshnessType();
        }
        return parameters.freshnessLength() == 0 ? FreshnessType.NONE : FreshnessType.COUNTER;
    }

    int[] jaspar() throws CliException {
        String value = jasparLayout == null ? "16,20,26,2" : jasparLayout;
        String[] parts = value.split(",");
        if (parts.length != 4) {
            throw CliException.usage("--jaspar-layout needs four bit counts T,R,M,F, not '" + value + "'");
        }
        int[] out = new int[4];
        for (int i = 0; i < 4; i++) {
            out[i] = parseInt("--jaspar-layout", parts[i].trim());
        }
        return out;
    }

    byte[] key() throws CliException {
        return hex("--key", key);
    }

    int dataId() throws CliException {
        int id = parseInt("--data-id", dataId);
        if (id < 0 || id > 0xFFFF) {
            throw CliException.usage("--data-id must be 0..65535, was " + dataId);
        }
        return id;
    }

    static int parseInt(String option, String value) throws CliException {
        try {
            return Integer.decode(value.trim());
        } catch (NumberFormatException e) {
            throw CliException.usage(option + " must be a number, not '" + value + "'");
        }
    }

    static byte[] hex(String option, String value) throws CliException {
        try {
            return HexFormat.of().parseHex(value.replace(" ", "").replace(":", ""));
        } catch (IllegalArgumentException e) {
            throw CliException.usage(option + " is not hex: " + e.getMessage());
        }
    }
}
