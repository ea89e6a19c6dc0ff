package org.carapace.imagehash.internal;

import java.util.ArrayDeque;
import java.util.Deque;
import org.carapace.api.image.ImagePaths;

/**
 * Resolves a path through an image's own symbolic links, confined to the image's root the way runc confines mount
 * destinations (filepath-securejoin semantics): {@code ..} never climbs above the root, absolute link targets
 * restart at the root, and after 40 links (Linux's MAXSYMLINKS) resolution stops and the rest is taken lexically.
 * Used for exclusions only: hashing itself never follows a link.
 */
final class SymlinkResolver {

    static final int MAX_LINKS = 40;

    /** What a path is, as far as resolution cares. */
    enum Kind { MISSING, DIRECTORY, SYMLINK, OTHER }

    /** Read access to the image being resolved in. Asked only about paths whose parents are directories. */
    interface Lookup {
        Kind kind(String canonicalPath) throws Exception;

        String readlink(String canonicalPath) throws Exception;
    }

    private SymlinkResolver() {
    }

    /** The canonical path {@code path} resolves to. */
    static String resolve(String path, Lookup lookup, java.util.Collection<String> stops) throws Exception {
        Deque<String> remaining = new ArrayDeque<>();
        pushComponents(remaining, path);
        String current = "/";
        int links = 0;
        boolean lexical = false;
        while (!remaining.isEmpty()) {
            String component = remaining.pop();
            if (component.isEmpty() || component.equals(".")) {
                continue;
            }
            if (component.equals("..")) {
                current = ImagePaths.parent(current);
                continue;
            }
            String next = current.equals("/") ? "/" + component : current + "/" + component;
            if (!lexical && below(next, path, stops)) {
                lexical = true;
            }
            if (!lexical) {
                Kind kind = lookup.kind(next);
                if (kind == Kind.SYMLINK && links < MAX_LINKS) {
                    links++;
                    String target = lookup.readlink(next);
                    if (target.startsWith("/")) {
                        current = "/";
                    }
                    pushComponents(remaining, target);
                    continue;
                }
                // below a missing path, a file or an unresolvable link loop, nothing more can be a link
                lexical = kind != Kind.DIRECTORY;
            }
            current = next;
        }
        return current;
    }

    /** Whether {@code path} is at or below one of the stops other than {@code resolving}, the path being resolved. */
    private static boolean below(String path, String resolving, java.util.Collection<String> stops) {
        for (String stop : stops) {
            if (!stop.equals(resolving) && ImagePaths.isSameOrBelow(path, stop)) {
                return true;
            }
        }
        return false;
    }

    private static void pushComponents(Deque<String> stack, String path) {
        String[] components = path.split("/");
        for (int i = components.length - 1; i >= 0; i--) {
            stack.push(components[i]);
        }
    }
}
