package org.carapace.imagehash.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.carapace.api.image.FileEntry;
import org.carapace.api.image.FileManifest;
import org.carapace.api.image.ImagePaths;
import org.carapace.api.image.ManifestDiff;
import org.carapace.api.image.PathDifference;
import org.carapace.api.image.Xattr;

/** Compares two manifests by merging their sorted entry lists. */
final class ManifestDiffer {

    private ManifestDiffer() {
    }

    static ManifestDiff diff(FileManifest expected, FileManifest actual) {
        List<PathDifference> differences = new ArrayList<>();
        List<FileEntry> a = expected.entries();
        List<FileEntry> b = actual.entries();
        int i = 0;
        int j = 0;
        while (i < a.size() || j < b.size()) {
            int order = i >= a.size() ? 1 : j >= b.size() ? -1 : ImagePaths.compare(a.get(i).path(), b.get(j).path());
            if (order < 0) {
                differences.add(new PathDifference(a.get(i).path(), PathDifference.Kind.REMOVED, List.of(),
                    Optional.of(a.get(i)), Optional.empty()));
                i++;
            } else if (order > 0) {
                differences.add(new PathDifference(b.get(j).path(), PathDifference.Kind.ADDED, List.of(),
                    Optional.empty(), Optional.of(b.get(j))));
                j++;
            } else {
                List<String> fields = fields(a.get(i), b.get(j));
                if (!fields.isEmpty()) {
                    differences.add(new PathDifference(a.get(i).path(), PathDifference.Kind.CHANGED, fields,
                        Optional.of(a.get(i)), Optional.of(b.get(j))));
                }
                i++;
                j++;
            }
        }
        return new ManifestDiff(!expected.xattrNames().equals(actual.xattrNames()), differences);
    }

    static List<String> fields(FileEntry e, FileEntry a) {
        List<String> fields = new ArrayList<>();
        if (e.type() != a.type()) {
            fields.add("type");
        }
        if (e.mode() != a.mode()) {
            fields.add("mode");
        }
        if (e.uid() != a.uid()) {
            fields.add("uid");
        }
        if (e.gid() != a.gid()) {
            fields.add("gid");
        }
        if (e.size() != a.size()) {
            fields.add("size");
        }
        if (!e.contentDigest().equals(a.contentDigest())) {
            fields.add("content");
        }
        if (!e.symlinkTarget().equals(a.symlinkTarget())) {
            fields.add("target");
        }
        if (!e.hardlinkTo().equals(a.hardlinkTo())) {
            fields.add("hardlink");
        }
        if (e.deviceMajor() != a.deviceMajor() || e.deviceMinor() != a.deviceMinor()) {
            fields.add("device");
        }
        java.util.TreeSet<String> names = new java.util.TreeSet<>();
        e.xattrs().forEach(x -> names.add(x.name()));
        a.xattrs().forEach(x -> names.add(x.name()));
        for (String name : names) {
            Optional<Xattr> x = e.xattr(name);
            Optional<Xattr> y = a.xattr(name);
            if (!x.equals(y)) {
                fields.add("xattr:" + name);
            }
        }
        return fields;
    }
}
