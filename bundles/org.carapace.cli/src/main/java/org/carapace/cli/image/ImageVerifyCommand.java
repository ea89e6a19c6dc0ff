package org.carapace.cli.image;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.carapace.api.image.BlobCheck;
import org.carapace.api.image.BlobVerificationException;
import org.carapace.api.image.BlobVerificationReport;
import org.carapace.api.image.ImageException;
import org.carapace.cli.CliException;
import org.carapace.cli.Output;
import org.carapace.imagehash.internal.ImageHashEngine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code carapace image verify SOURCE}: every blob against the descriptor that names it. */
@Command(name = "verify", mixinStandardHelpOptions = true,
    description = {"Check every blob of an OCI layout, OCI archive or docker-archive: each descriptor's digest (sha256, "
        + "sha512) and size, and each layer's uncompressed digest against the config's rootfs.diff_ids. Without a "
        + "reference, every image of the source.", "Exit 1 on any mismatch or missing blob, listing each one."})
final class ImageVerifyCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    Output output;

    @Mixin
    ImageCli image;

    @Parameters(index = "0", paramLabel = "SOURCE", description = "oci:DIR[:REF], oci-archive:FILE[:REF] or docker-archive:FILE[:REF].")
    String source;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        BlobVerificationReport report;
        try (ImageHashEngine engine = image.engine()) {
            report = engine.verifyBlobs(ImageCli.source(source));
        } catch (BlobVerificationException e) {
            report = e.report();
        } catch (ImageException e) {
            throw ImageCli.failure(e);
        }
        if (output.json()) {
            Map<String, Object> result = new LinkedHashMap<>();
            result.put("source", report.source());
            result.put("ok", report.ok());
            List<Map<String, Object>> checks = new ArrayList<>();
            for (BlobCheck check : report.checks()) {
                Map<String, Object> item = new LinkedHashMap<>();
                item.put("kind", check.kind().name());
                item.put("referrer", check.referrer());
                item.put("blob", check.blob());
                item.put("digest", check.expected().toString());
                item.put("size", check.expectedSize());
                item.put("status", check.status().name());
                item.put("actualSize", check.actualSize().isPresent() ? check.actualSize().getAsLong() : null);
                item.put("actualDigest", check.actual().map(Object::toString).orElse(null));
                checks.add(item);
            }
            result.put("checks", checks);
            Output.printJson(out, result);
        } else {
            for (BlobCheck check : report.checks()) {
                out.println((check.ok() ? "ok    " : "FAIL  ") + check.describe());
            }
            out.printf("%s: %d checks, %d failed%n", report.source(), report.checks().size(), report.failures().size());
            out.flush();
        }
        if (!report.ok()) {
            return CliException.CHECK_FAILED;
        }
        return 0;
    }
}
