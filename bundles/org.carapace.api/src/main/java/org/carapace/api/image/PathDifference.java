package org.carapace.api.image;

import java.util.List;
import java.util.Optional;

/**
 * How one path differs between an expected and an actual manifest.
 *
 * @param path     the canonical path
 * @param kind     added, removed or changed
 * @param fields   for {@link Kind#CHANGED}: the fields that differ, from {@code type, mode, uid, gid, size,
 *                 content, target, hardlink, device, xattr:<name>}; empty otherwise
 * @param expected the expected entry, absent when the path was added
 * @param actual   the actual entry, absent when the path was removed
 */
public record PathDifference(String path, Kind kind, List<String> fields, Optional<FileEntry> expected,
                             Optional<FileEntry> actual) {

    /** What happened to a path. */
    public enum Kind { ADDED, REMOVED, CHANGED }

    public PathDifference {
        if (path == null || kind == null) {
            throw new IllegalArgumentException("path and kind are required");
        }
        fields = List.copyOf(fields);
        expected = expected == null ? Optional.empty() : expected;
        actual = actual == null ? Optional.empty() : actual;
        if (expected.isPresent() == (kind == Kind.ADDED) || actual.isPresent() == (kind == Kind.REMOVED)) {
            throw new IllegalArgumentException(path + ": entries do not fit kind " + kind);
        }
    }

    /** One line for people, e.g. {@code /etc/passwd: changed content, mode (0644 -> 0666)}. */
    public String describe() {
        switch (kind) {
            case ADDED:
                return path + ": added (" + actual.get().type().token() + ")";
            case REMOVED:
                return path + ": removed (" + expected.get().type().token() + ")";
            default:
                StringBuilder text = new StringBuilder(path).append(": changed");
                FileEntry e = expected.get();
                FileEntry a = actual.get();
                String separator = " ";
                for (String field : fields) {
                    text.append(separator).append(field);
                    separator = ", ";
                    switch (field) {
                        case "type" -> text.append(" (").append(e.type().token()).append(" -> ").append(a.type().token()).append(')');
                        case "mode" -> text.append(" (").append(e.modeOctal()).append(" -> ").append(a.modeOctal()).append(')');
                        case "uid" -> text.append(" (").append(e.uid()).append(" -> ").append(a.uid()).append(')');
                        case "gid" -> text.append(" (").append(e.gid()).append(" -> ").append(a.gid()).append(')');
                        case "size" -> text.append(" (").append(e.size()).append(" -> ").append(a.size()).append(')');
                        case "target" -> text.append(" (").append(e.symlinkTarget().orElse("")).append(" -> ")
                            .append(a.symlinkTarget().orElse("")).append(')');
                        default -> { }
                    }
                }
                return text.toString();
        }
    }
}
