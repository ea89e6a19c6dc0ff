package org.carapace.cli.secoc;

import java.io.PrintWriter;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.carapace.api.secoc.SecOcParameters;
import org.carapace.cli.CliException;
import org.carapace.cli.Output;
import org.carapace.secoc.internal.SecOcTool;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code carapace secoc protect}: prints the Secured I-PDU of a payload in hex. */
@Command(name = "protect", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Build the Secured I-PDU [header] | payload | FV LSBs | MAC MSBs and print it in hex.",
        "Example: carapace secoc protect --profile 1 --key 2b7e151628aed2a6abf7158809cf4f3c --data-id 0x0123 "
            + "--fv 00000102 --payload 0011223344556677"})
final class SecOcProtectCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    Output output;

    @Mixin
    LayoutOptions layout;

    @Option(names = "--fv", paramLabel = "HEX", required = true,
        description = "The complete freshness value, MSB-aligned, ceil(length/8) bytes (profile 2: empty string).")
    String fv;

    @Option(names = "--payload", paramLabel = "HEX", required = true, description = "The authentic PDU in hex.")
    String payload;

    @Override
    public Integer call() throws Exception {
        byte[] fvBytes = LayoutOptions.hex("--fv", fv);
        SecOcParameters parameters = layout.parameters(fvBytes.length);
        long freshness;
        try {
            freshness = SecOcTool.freshnessValue(fvBytes, parameters.freshnessLength());
        } catch (IllegalArgumentException e) {
            throw CliException.usage("--fv: " + e.getMessage());
        }
        byte[] pdu;
        try {
            pdu = SecOcTool.protect(parameters, layout.key(), layout.dataId(), freshness, LayoutOptions.hex("--payload", payload));
        } catch (IllegalArgumentException e) {
            throw CliException.usage(e.getMessage());
        }
        PrintWriter out = spec.commandLine().getOut();
        String hex = HexFormat.of().formatHex(pdu);
        if (output.json()) {
            Map<String, Object> result = new LinkedHashMap<>();
            result.put("pdu", hex);
            result.put("dataId", layout.dataId());
            result.put("freshnessValue", HexFormat.of().formatHex(fvBytes));
            result.put("layout", parameters.toString());
            Output.printJson(out, result);
        } else {
            out.println(hex);
            out.flush();
        }
        return 0;
    }
}
