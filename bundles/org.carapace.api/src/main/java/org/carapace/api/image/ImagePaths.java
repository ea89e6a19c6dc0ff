package org.carapace.api.image;

import java.util.Comparator;

/**
 * Paths inside an image, in the one canonical form every value of this package uses: absolute ({@code /bin/sh}),
 * {@code /}-separated, without empty, {@code .} or {@code ..} components, without a trailing slash, valid UTF-8
 * without NUL. The root directory itself is {@code /}. Paths are ordered by their UTF-8 bytes, unsigned
 * ({@link #ORDER}), which is also the order of the canonical listing (docs/rootfs-digest.md).
 */
public final class ImagePaths {

    /** Bytewise order of the paths' UTF-8 encodings (for valid UTF-8 this equals code-point order). */
    public static final Comparator<String> ORDER = ImagePaths::compare;

    private ImagePaths() {
    }

    /** Whether {@code path} is in canonical form (the root {@code /} included). */
    public static boolean isCanonical(String path) {
        if (path == null || path.isEmpty() || path.charAt(0) != '/') {
            return false;
        }
        int length = path.length();
        if (length == 1) {
            return true;
        }
        if (path.charAt(length - 1) == '/') {
            return false;
        }
        int componentStart = 1;
        for (int i = 1; i <= length; i++) {
            char c = i < length ? path.charAt(i) : '/';
            if (c == '\0') {
                return false;
            }
            if (c == '/') {
                int componentLength = i - componentStart;
                if (componentLength == 0 || (path.charAt(componentStart) == '.'
                    && (componentLength == 1 || (componentLength == 2 && path.charAt(componentStart + 1) == '.')))) {
                    return false;
                }
                componentStart = i + 1;
            } else if (Character.isSurrogate(c) && hasLoneSurrogate(path)) {
                return false;
            }
        }
        return true;
    }

    /**
     * Brings a user-supplied path (a mount destination, an exclusion) into canonical form lexically: leading and
     * repeated slashes and {@code .} components are dropped; relative paths are taken from the root. Symbolic
     * links are not resolved here.
     *
     * @throws IllegalArgumentException for an empty path, a NUL byte or a {@code ..} component
     */
    public static String normalize(String path) {
        if (path == null || path.isBlank() || path.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("invalid path '" + path + "'");
        }
        StringBuilder out = new StringBuilder();
        for (String component : path.split("/")) {
            if (component.isEmpty() || component.equals(".")) {
                continue;
            }
            if (component.equals("..")) {
                throw new IllegalArgumentException("path '" + path + "' contains '..'");
            }
            out.append('/').append(component);
        }
        String result = out.length() == 0 ? "/" : out.toString();
        if (hasLoneSurrogate(result)) {
            throw new IllegalArgumentException("path '" + path + "' is not valid Unicode");
        }
        return result;
    }

    /** The parent of a canonical path; the parent of a top-level entry is {@code /}. */
    public static String parent(String path) {
        int slash = path.lastIndexOf('/');
        return slash <= 0 ? "/" : path.substring(0, slash);
    }

    /** The last component of a canonical path. */
    public static String name(String path) {
        return path.substring(path.lastIndexOf('/') + 1);
    }

    /** Whether {@code path} equals {@code ancestor} or lies below it. */
    public static boolean isSameOrBelow(String path, String ancestor) {
        if (ancestor.equals("/")) {
            return true;
        }
        return path.equals(ancestor) || (path.startsWith(ancestor) && path.charAt(ancestor.length()) == '/');
    }

    /**
     * Compares by UTF-8 bytes, unsigned, without encoding: UTF-8 byte order is code-point order, which differs from
     * UTF-16 code-unit order only where a surrogate pair meets a character from U+E000 to U+FFFF.
     */
    public static int compare(String a, String b) {
        int n = Math.min(a.length(), b.length());
        for (int i = 0; i < n; i++) {
            char x = a.charAt(i);
            char y = b.charAt(i);
            if (x != y) {
                if (x >= 0xD800 && y >= 0xD800) {
                    x = (char) (x >= 0xE000 ? x - 0x800 : x + 0x2000);
                    y = (char) (y >= 0xE000 ? y - 0x800 : y + 0x2000);
                }
                return x - y;
            }
        }
        return a.length() - b.length();
    }

    private static boolean hasLoneSurrogate(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c)) {
                if (i + 1 >= s.length() || !Character.isLowSurrogate(s.charAt(i + 1))) {
                    return true;
                }
                i++;
            } else if (Character.isLowSurrogate(c)) {
                return true;
            }
        }
        return false;
    }
}
