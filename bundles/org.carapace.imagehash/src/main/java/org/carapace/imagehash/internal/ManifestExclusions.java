package org.carapace.imagehash.internal;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.carapace.api.image.FileEntry;
import org.carapace.api.image.FileManifest;
import org.carapace.api.image.FileType;
import org.carapace.api.image.ImagePaths;

/** Applies exclusions to a finished manifest, with the same result as hashing with them. */
final class ManifestExclusions {

    private ManifestExclusions() {
    }

    static FileManifest exclude(FileManifest manifest, List<String> exclusions) {
        Map<String, FileEntry> byPath = new HashMap<>();
        for (FileEntry entry : manifest.entries()) {
            byPath.put(entry.path(), entry);
        }
        SymlinkResolver.Lookup lookup = new SymlinkResolver.Lookup() {
            @Override
            public SymlinkResolver.Kind kind(String path) {
                FileEntry entry = byPath.get(path);
                if (entry == null) {
                    return SymlinkResolver.Kind.MISSING;
                }
                return entry.type() == FileType.DIRECTORY ? SymlinkResolver.Kind.DIRECTORY
                    : entry.type() == FileType.SYMLINK ? SymlinkResolver.Kind.SYMLINK : SymlinkResolver.Kind.OTHER;
            }

            @Override
            public String readlink(String path) {
                return byPath.get(path).symlinkTarget().orElseThrow();
            }
        };
        Set<String> excluded = new LinkedHashSet<>();
        List<String> normalised = exclusions.stream().map(ImagePaths::normalize).toList();
        for (String path : normalised) {
            excluded.add(path);
            try {
                excluded.add(SymlinkResolver.resolve(path, lookup, normalised));
            } catch (Exception e) {
                throw new IllegalStateException("in-memory lookup cannot fail", e);
            }
        }
        List<FileEntry> kept = new ArrayList<>();
        for (FileEntry entry : manifest.entries()) {
            boolean out = false;
            for (String path : excluded) {
                if (ImagePaths.isSameOrBelow(entry.path(), path)) {
                    out = true;
                    break;
                }
            }
            if (!out) {
                kept.add(entry);
            }
        }
        // hard-link groups are named by their smallest remaining path
        Map<String, Integer> groupSize = new HashMap<>();
        for (FileEntry entry : kept) {
            groupSize.merge(entry.hardlinkTo().orElse(entry.path()), 1, Integer::sum);
        }
        Map<String, String> firstOfGroup = new HashMap<>();
        List<FileEntry> result = new ArrayList<>(kept.size());
        for (FileEntry entry : kept) {
            String group = entry.hardlinkTo().orElse(entry.path());
            Optional<String> hardlinkTo = Optional.empty();
            if (groupSize.get(group) > 1) {
                hardlinkTo = Optional.ofNullable(firstOfGroup.putIfAbsent(group, entry.path()));
            }
            result.add(new FileEntry(entry.path(), entry.type(), entry.mode(), entry.uid(), entry.gid(), entry.size(),
                entry.contentDigest(), entry.symlinkTarget(), hardlinkTo, entry.deviceMajor(), entry.deviceMinor(),
                entry.xattrs()));
        }
        return CanonicalEncoding.manifest(manifest.xattrNames(), result);
    }
}
