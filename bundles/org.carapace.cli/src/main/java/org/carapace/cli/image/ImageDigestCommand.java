package org.carapace.cli.image;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.carapace.api.image.HashOptions;
import org.carapace.api.image.HashProgress;
import org.carapace.api.image.ImageException;
import org.carapace.api.image.ImageHashResult;
import org.carapace.cli.CliException;
import org.carapace.cli.Output;
import org.carapace.cli.RuntimeConnection;
import org.carapace.imagehash.internal.CanonicalEncoding;
import org.carapace.imagehash.internal.ImageHashEngine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code carapace image digest SOURCE}: rootfs digest, manifest digest, file and byte counts. */
@Command(name = "digest", mixinStandardHelpOptions = true,
    description = {"Print the canonical rootfs digest of an image, its manifest digest where it has one, and its file and "
        + "byte counts. Layered sources are verified against their descriptors while they are read.",
        "Exit 1 when a blob does not match or the image holds unsafe entries; 2 for unreadable input."})
final class ImageDigestCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    Output output;

    @Mixin
    ImageCli image;

    @Mixin
    RuntimeConnection runtime;

    @Parameters(index = "0", paramLabel = "SOURCE", description = "The image: oci:DIR[:REF], oci-archive:FILE[:REF], "
        + "docker-archive:FILE[:REF], dir:ROOTFS or bundle:OCI_BUNDLE_DIR.")
    String source;

    @Option(names = "--manifest", paramLabel = "FILE", description = "Also write the per-file manifest as JSON to FILE ('-' for stdout).")
    String manifestFile;

    @Option(names = "--list", description = "Print the canonical listing the digest is computed over.")
    boolean list;

    @Option(names = "--strict", description = "With --runtime: ignore the runtime's file digest cache and read every file.")
    boolean strict;

    @Option(names = "--runtime", description = "Ask the running runtime to compute it (its image service, with its warm cache).")
    boolean useRuntime;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        HashOptions options = image.options();
        if (useRuntime) {
            Map<String, Object> arguments = new LinkedHashMap<>();
            arguments.put("source", ImageCli.absolute(ImageCli.source(source)).spec());
            arguments.put("exclusions", options.exclusions());
            arguments.put("strict", strict);
            Map<String, Object> result = runtime.call("image.digest", arguments);
            print(out, result);
            return 0;
        }
        try (ImageHashEngine engine = image.engine()) {
            HashProgress progress = ImageCli.progress(!output.json(), err);
            ImageHashResult result;
            try {
                result = engine.hash(ImageCli.source(source), options, progress);
            } catch (ImageException e) {
                throw ImageCli.failure(e);
            } finally {
                ImageCli.clearProgress(progress, err);
            }
            if (manifestFile != null) {
                writeManifest(engine, result, out);
            }
            if (list) {
                out.print(CanonicalEncoding.listing(result.manifest().xattrNames(), result.manifest().entries()));
            }
            print(out, org.carapace.imagehash.internal.ImageDigestCommand.summary(result, null));
        }
        return 0;
    }

    private void print(PrintWriter out, Map<String, Object> result) {
        if (output.json()) {
            Output.printJson(out, result);
            return;
        }
        out.printf("rootfs digest    %s%n", result.get("rootfsDigest"));
        if (result.get("manifestDigest") != null) {
            out.printf("manifest digest  %s%n", result.get("manifestDigest"));
        }
        if (result.get("configDigest") != null) {
            out.printf("config digest    %s%n", result.get("configDigest"));
        }
        out.printf(Locale.ROOT, "%s files, %s bytes (%s entries, %s layers), %.1f ms%n", result.get("files"), result.get("bytes"),
            result.get("entries"), result.get("layers"), ((Number) result.get("elapsedMillis")).doubleValue());
        out.flush();
    }

    private void writeManifest(ImageHashEngine engine, ImageHashResult result, PrintWriter out) throws CliException {
        try {
            if (manifestFile.equals("-")) {
                out.flush();
                engine.writeManifest(result.manifest(), new NonClosing(System.out));
                System.out.flush();
            } else {
                Path target = Path.of(manifestFile);
                Path temporary = target.resolveSibling(target.getFileName() + ".tmp");
                try (OutputStream file = Files.newOutputStream(temporary)) {
                    engine.writeManifest(result.manifest(), file);
                }
                Files.move(temporary, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            }
        } catch (IOException e) {
            throw CliException.usage("cannot write " + manifestFile + ": " + e.getMessage());
        }
    }

    /** stdout must stay open after the manifest is written. */
    private static final class NonClosing extends java.io.FilterOutputStream {
        NonClosing(OutputStream out) {
            super(out);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
        }

        @Override
        public void close() throws IOException {
            flush();
        }
    }

}
