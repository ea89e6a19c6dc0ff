package org.carapace.cli.secoc;

import java.io.PrintWriter;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.carapace.api.secoc.FreshnessType;
import org.carapace.api.secoc.SecOcParameters;
import org.carapace.cli.CliException;
import org.carapace.cli.Output;
import org.carapace.secoc.internal.SecOcTool;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code carapace secoc verify}: prints the verification result code and the reconstructed freshness value of a
 * Secured I-PDU; exit 1 when it does not verify.
 */
@Command(name = "verify", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Verify a Secured I-PDU against the last accepted freshness value: prints the SecOC result code",
        "(SecOC_VerificationResultType) and the reconstructed freshness value. Exit 1 if it does not verify.",
        "Example: carapace secoc verify --profile 1 --key 2b7e151628aed2a6abf7158809cf4f3c --data-id 0x0123 "
            + "--last-fv 00000101 --pdu 00112233445566770283e9a8"})
final class SecOcVerifyCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    Output output;

    @Mixin
    LayoutOptions layout;

    @Option(names = "--pdu", paramLabel = "HEX", required = true, description = "The Secured I-PDU in hex.")
    String pdu;

    @Option(names = "--last-fv", paramLabel = "HEX", defaultValue = "",
        description = "The last accepted complete freshness value, MSB-aligned (default: none accepted yet).")
    String lastFv;

    @Override
    public Integer call() throws Exception {
        byte[] last = LayoutOptions.hex("--last-fv", lastFv);
        SecOcParameters parameters = layout.parameters(last.length == 0 ? -1 : last.length);
        FreshnessType type = layout.freshnessType(parameters);
        long lastValue;
        try {
            lastValue = last.length == 0 ? 0 : SecOcTool.freshnessValue(last, parameters.freshnessLength());
        } catch (IllegalArgumentException e) {
            throw CliException.usage("--last-fv: " + e.getMessage());
        }
        SecOcTool.Verification v;
        try {
            v = SecOcTool.verify(parameters, layout.key(), layout.dataId(), type, lastValue,
                type == FreshnessType.JASPAR ? layout.jaspar() : null, LayoutOptions.hex("--pdu", pdu));
        } catch (IllegalArgumentException e) {
            throw CliException.usage(e.getMessage());
        }
        PrintWriter out = spec.commandLine().getOut();
        String fv = v.result().isSuccess()
            ? HexFormat.of().formatHex(SecOcTool.freshnessBytes(v.freshnessValue(), parameters.freshnessLength())) : "";
        if (output.json()) {
            Map<String, Object> result = new LinkedHashMap<>();
            result.put("result", v.result().name());
            result.put("code", v.result().code());
            result.put("freshnessValue", fv);
            result.put("payload", HexFormat.of().formatHex(v.authentic()));
            result.put("detail", v.detail());
            Output.printJson(out, result);
        } else if (v.result().isSuccess()) {
            out.printf("%s (%d) freshness %s payload %s%n", v.result().name(), v.result().code(), fv,
                HexFormat.of().formatHex(v.authentic()));
        } else {
            out.printf("%s (%d): %s%n", v.result().name(), v.result().code(), v.detail());
        }
        out.flush();
        return v.result().isSuccess() ? 0 : CliException.CHECK_FAILED;
    }
}
