package org.carapace.api.policy;

import java.util.regex.Pattern;

/** Validation shared by the model's compact constructors; messages name the offending value. */
final class Checks {

    static final Pattern SHA256_DIGEST = Pattern.compile("sha256:[0-9a-f]{64}");
    static final Pattern SHA256_HEX = Pattern.compile("[0-9a-f]{64}");
    /** Image and exemption names: image-reference-like, no spaces or control characters. */
    static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._/:@+-]{0,254}");
    /** Additional-policy stream names. */
    static final Pattern STREAM = Pattern.compile("[a-z0-9][a-z0-9._-]{0,63}");
    /** Device ids, as the platform accepts them. */
    static final Pattern DEVICE_ID = Pattern.compile("[A-Za-z0-9._-]{1,64}");
    static final int MAX_PATH = 4096;

    private Checks() {
    }

    static String digest(String field, String value) {
        if (value == null || !SHA256_DIGEST.matcher(value).matches()) {
            throw new IllegalArgumentException(field + " must be 'sha256:' and 64 lowercase hex characters, was " + quote(value));
        }
        return value;
    }

    static String sha256Hex(String field, String value) {
        if (value == null || !SHA256_HEX.matcher(value).matches()) {
            throw new IllegalArgumentException(field + " must be 64 lowercase hex characters, was " + quote(value));
        }
        return value;
    }

    static String name(String field, String value) {
        if (value == null || !NAME.matcher(value).matches()) {
            throw new IllegalArgumentException(field + " must match " + NAME.pattern() + ", was " + quote(value));
        }
        return value;
    }

    /**
     * An absolute, normalised path inside a container: starts with '/', no empty, '.' or '..' components, no
     * trailing '/' (except the root itself), no NUL, at most 4096 characters.
     */
    static String path(String field, String value) {
        if (value == null || value.isEmpty() || value.charAt(0) != '/' || value.length() > MAX_PATH
            || value.indexOf('\0') >= 0 || (value.length() > 1 && value.endsWith("/"))) {
            throw new IllegalArgumentException(field + " must be an absolute normalised path, was " + quote(value));
        }
        if (value.length() > 1) {
            for (String component : value.substring(1).split("/", -1)) {
                if (component.isEmpty() || component.equals(".") || component.equals("..")) {
                    throw new IllegalArgumentException(field + " must be an absolute normalised path, was " + quote(value));
                }
            }
        }
        return value;
    }

    /** Whether {@code path} is {@code prefix} or lies below it, compared by whole components. */
    static boolean covers(String prefix, String path) {
        if (prefix.equals("/")) {
            return true;
        }
        return path.equals(prefix) || (path.startsWith(prefix) && path.charAt(prefix.length()) == '/');
    }

    static String quote(String value) {
        if (value == null) {
            return "null";
        }
        return "'" + (value.length() <= 80 ? value : value.substring(0, 77) + "...") + "'";
    }
}
