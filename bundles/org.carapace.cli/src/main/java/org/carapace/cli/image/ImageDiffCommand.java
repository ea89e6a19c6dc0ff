package org.carapace.cli.image;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.carapace.api.image.FileEntry;
import org.carapace.api.image.FileManifest;
import org.carapace.api.image.ImageException;
import org.carapace.api.image.ManifestDiff;
import org.carapace.api.image.PathDifference;
import org.carapace.cli.CliException;
import org.carapace.cli.Output;
import org.carapace.imagehash.internal.ImageHashEngine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code carapace image diff EXPECTED ACTUAL}: the paths that differ and how. */
@Command(name = "diff", mixinStandardHelpOptions = true,
    description = {"Compare two images path by path. EXPECTED and ACTUAL are image sources or manifest JSON files "
        + "written by 'carapace image digest --manifest'.", "Exit 1 when they differ."})
final class ImageDiffCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    Output output;

    @Mixin
    ImageCli image;

    @Parameters(index = "0", paramLabel = "EXPECTED", description = "Image source or manifest JSON file.")
    String expected;

    @Parameters(index = "1", paramLabel = "ACTUAL", description = "Image source or manifest JSON file.")
    String actual;

    @Option(names = "--limit", paramLabel = "N", description = "Show at most N differences (default: all).")
    int limit = Integer.MAX_VALUE;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        ManifestDiff diff;
        FileManifest left;
        FileManifest right;
        try (ImageHashEngine engine = image.engine()) {
            left = manifest(engine, expected);
            right = manifest(engine, actual);
            List<String> exclusions = image.options().exclusions();
            if (!exclusions.isEmpty()) {
                // manifests read from files get the same exclusions the hashed sources got
                left = engine.exclude(left, exclusions);
                right = engine.exclude(right, exclusions);
            }
            diff = engine.diff(left, right);
        }
        List<PathDifference> shown = diff.first(Math.max(0, limit));
        if (output.json()) {
            Map<String, Object> result = new LinkedHashMap<>();
            result.put("equal", diff.isEmpty());
            result.put("expectedDigest", left.rootfsDigest().toString());
            result.put("actualDigest", right.rootfsDigest().toString());
            result.put("xattrNamesDiffer", diff.xattrNamesDiffer());
            result.put("differenceCount", diff.differences().size());
            List<Map<String, Object>> items = new ArrayList<>();
            for (PathDifference d : shown) {
                Map<String, Object> item = new LinkedHashMap<>();
                item.put("path", d.path());
                item.put("kind", d.kind().name());
                item.put("fields", d.fields());
                item.put("expected", d.expected().map(ImageDiffCommand::entry).orElse(null));
                item.put("actual", d.actual().map(ImageDiffCommand::entry).orElse(null));
                items.add(item);
            }
            result.put("differences", items);
            Output.printJson(out, result);
        } else {
            out.printf("expected %s%nactual   %s%n", left.rootfsDigest(), right.rootfsDigest());
            if (diff.xattrNamesDiffer()) {
                out.printf("covered xattrs differ: %s vs %s%n", left.xattrNames(), right.xattrNames());
            }
            for (PathDifference d : shown) {
                out.println("  " + d.describe());
            }
            if (shown.size() < diff.differences().size()) {
                out.printf("  ... %d more%n", diff.differences().size() - shown.size());
            }
            out.println(diff.isEmpty() ? "identical" : diff.differences().size() + " path(s) differ");
            out.flush();
        }
        return diff.isEmpty() ? 0 : CliException.CHECK_FAILED;
    }

    private FileManifest manifest(ImageHashEngine engine, String argument) throws CliException {
        if (ImageCli.isManifestFile(argument)) {
            return ImageCli.readManifest(engine, argument);
        }
        try {
            return engine.hash(ImageCli.source(argument), image.options()).manifest();
        } catch (ImageException e) {
            throw ImageCli.failure(e);
        }
    }

    static Map<String, Object> entry(FileEntry e) {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("type", e.type().token());
        map.put("mode", e.modeOctal());
        map.put("uid", e.uid());
        map.put("gid", e.gid());
        e.contentDigest().ifPresent(d -> {
            map.put("size", e.size());
            map.put("digest", d.toString());
        });
        e.symlinkTarget().ifPresent(t -> map.put("target", t));
        e.hardlinkTo().ifPresent(h -> map.put("hardlinkTo", h));
        if (e.type().isDevice()) {
            map.put("devMajor", e.deviceMajor());
            map.put("devMinor", e.deviceMinor());
        }
        if (!e.xattrs().isEmpty()) {
            Map<String, String> xattrs = new LinkedHashMap<>();
            e.xattrs().forEach(x -> xattrs.put(x.name(), x.hex()));
            map.put("xattrs", xattrs);
        }
        return map;
    }
}
