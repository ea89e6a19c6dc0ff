package org.carapace.cli.policy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.carapace.api.io.StrictJson;
import org.carapace.api.policy.FileDigest;
import org.carapace.api.trust.TrustException;
import org.carapace.cli.CliException;


/**
 * Reads an exec whitelist file: {@code {"files": [{"path": "/usr/bin/nav", "sha256": "<hex>"}, ...]}}, the list form
 * an image's per-file manifest reduces to.
 */
final class ExecList {

    private ExecList() {
    }

    static List<FileDigest> read(Path file) throws CliException {
        var json = new StrictJson(CliFiles.MAX_FILE, 8);
        try {
            var top = json.parseObject(CliFiles.read(file, "exec list"), "exec list");
            var files = top.get("files");
            if (files == null || !files.isArray() || top.size() != 1) {
                throw CliException.usage(file + ": expected {\"files\": [{\"path\": ..., \"sha256\": ...}]}");
            }
            List<FileDigest> out = new ArrayList<>();
            for (var entry : files) {
                if (!entry.isObject() || entry.size() != 2 || !entry.path("path").isTextual() || !entry.path("sha256").isTextual()) {
                    throw CliException.usage(file + ": every entry is {\"path\": ..., \"sha256\": ...}, found " + entry);
                }
                out.add(new FileDigest(entry.get("path").textValue(), entry.get("sha256").textValue()));
            }
            return out;
        } catch (TrustException e) {
            throw CliException.usage(file + ": " + e.getMessage());
        } catch (IllegalArgumentException e) {
            throw CliException.usage(file + ": " + e.getMessage());
        }
    }
}
