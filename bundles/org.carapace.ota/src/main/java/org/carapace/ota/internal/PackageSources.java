package org.carapace.ota.internal;

import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.carapace.api.ota.OtaException;
import org.carapace.api.ota.OtaException.Reason;

/**
 * Where a command may point the device: an allow-list of location prefixes from the configuration
 * ({@code commandSources}), so that even an authenticated back end (or a stolen device key) cannot make the device
 * fetch from anywhere else. Empty: every command is refused.
 *
 * <p>A prefix is {@code https://host[:port]/path/} or {@code http://host[:port]/path/}. A location matches when its
 * scheme, host (case-insensitive; an IPv6 literal in its canonical form) and effective port equal the prefix's and its
 * path lies under the prefix's path. It may carry a query (pre-signed URLs) but no user info and no fragment, and its
 * path is held to a form every server reads the same way: only unreserved characters, {@code /} and the sub-delimiters
 * other than {@code ;} (RFC 3986 §2.2, §2.3; a {@code ;} starts path parameters, which some servers strip before
 * mapping the path, e.g. {@code /ota/..;/elsewhere/}); percent-escapes only of unreserved characters (RFC 3986 §2.3
 * lets a server decode them), which are decoded before the comparison, so {@code %2e%2e} is a {@code ..}, and every
 * other escape ({@code %25}, {@code %2f}, {@code %c0%af}, {@code %00}, ...) is refused; no {@code ..} or {@code .}
 * segment, no {@code //}. Matching is structural, never on the string: {@code https://a.example@evil/} does not match
 * {@code https://a.example/}.
 *
 * <p>{@code file:} locations are not supported: a path cannot be checked and then opened without a race through its
 * parent directories, and a package on local storage needs no command (it is dropped into the inbox).
 */
final class PackageSources {

    /** One allowed prefix; {@code path} is decoded (unreserved escapes only) and ends with {@code /}. */
    record Source(String scheme, String host, int port, String path) {
        @Override
        public String toString() {
            return scheme + "://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port + path;
        }
    }

    private static final String UNRESERVED = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~";
    /** RFC 3986 pchar without percent-escapes and without ';'. */
    private static final String PATH_CHARS = UNRESERVED + "/!$&'()*+,=:@";

    private final List<Source> sources;

    private PackageSources(List<Source> sources) {
        this.sources = List.copyOf(sources);
    }

    /**
     * Parses the configured prefixes; entries may also hold several prefixes separated by commas (a placeholder of
     * the profile's configuration is one string). Blank entries are ignored.
     *
     * @throws IllegalArgumentException naming the prefix that is not one
     */
    static PackageSources parse(String[] configured) {
        List<Source> sources = new ArrayList<>();
        for (String entry : configured == null ? new String[0] : configured) {
            for (String prefix : entry.split(",")) {
                if (!prefix.isBlank()) {
                    sources.add(source(prefix.strip()));
                }
            }
        }
        return new PackageSources(sources);
    }

    private static Source source(String prefix) {
        URI uri;
        try {
            uri = new URI(prefix);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("commandSources: '" + prefix + "' is not a URI: " + e.getMessage(), e);
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (scheme.equals("file")) {
            throw new IllegalArgumentException("commandSources: '" + prefix + "': file: sources are not supported (a package on "
                + "local storage goes into the inbox)");
        }
        if (!scheme.equals("https") && !scheme.equals("http")) {
            throw new IllegalArgumentException("commandSources: '" + prefix + "' must be https:// or http://");
        }
        if (uri.isOpaque() || uri.getRawQuery() != null || uri.getRawFragment() != null || uri.getRawUserInfo() != null) {
            throw new IllegalArgumentException("commandSources: '" + prefix + "' must be scheme://host[:port]/path/ without a query, "
                + "a fragment or user info");
        }
        String raw = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
        String path = plainPath(raw);
        if (path == null) {
            throw new IllegalArgumentException("commandSources: '" + prefix + "' has a path with '..', '.', '//', ';', a backslash, "
                + "a character outside RFC 3986's unreserved and sub-delimiters, or an escape of a reserved character");
        }
        if (!path.endsWith("/")) {
            path = path + "/"; // so /ota never admits /ota-evil
        }
        String host = host(uri);
        if (host == null) {
            throw new IllegalArgumentException("commandSources: '" + prefix + "' has no usable host");
        }
        int port = port(scheme, uri.getPort());
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("commandSources: '" + prefix + "' has the port " + port + ", not 1 to 65535");
        }
        return new Source(scheme, host, port, path);
    }

    private static int port(String scheme, int port) {
        return port != -1 ? port : scheme.equals("https") ? 443 : 80;
    }

    /** The host, lower case; an IPv6 literal in canonical form without brackets; null when there is none or it has a zone. */
    private static String host(URI uri) {
        String host = uri.getHost();
        if (host == null || host.isEmpty()) {
            return null;
        }
        if (host.startsWith("[")) {
            if (host.contains("%")) {
                return null; // a zone id names an interface of this device, not a server
            }
            try {
                // a literal: no name lookup happens
                return InetAddress.getByName(host.substring(1, host.length() - 1)).getHostAddress().toLowerCase(Locale.ROOT);
            } catch (UnknownHostException e) {
                return null;
            }
        }
        return host.toLowerCase(Locale.ROOT);
    }

    /**
     * The path with its escapes of unreserved characters decoded, or null when it is not a plain path: a character
     * outside {@link #PATH_CHARS}, an escape of anything else, a malformed escape, a {@code ..} or {@code .} segment, or
     * an empty segment.
     */
    static String plainPath(String raw) {
        if (!raw.startsWith("/")) {
            return null;
        }
        StringBuilder decoded = new StringBuilder(raw.length());
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c == '%') {
                if (i + 2 >= raw.length()) {
                    return null;
                }
                int value = hex(raw.charAt(i + 1)) << 4 | hex(raw.charAt(i + 2));
                if (value < 0 || UNRESERVED.indexOf(value) < 0) {
                    return null;
                }
                decoded.append((char) value);
                i += 2;
            } else if (PATH_CHARS.indexOf(c) >= 0) {
                decoded.append(c);
            } else {
                return null;
            }
        }
        String path = decoded.toString();
        String wrapped = path.endsWith("/") ? path : path + "/";
        if (wrapped.contains("//") || wrapped.contains("/../") || wrapped.contains("/./")) {
            return null;
        }
        return path;
    }

    private static int hex(char c) {
        int digit = Character.digit(c, 16);
        return digit < 0 || c > 'f' ? -1 << 8 : digit;
    }

    boolean isEmpty() {
        return sources.isEmpty();
    }

    List<Source> sources() {
        return sources;
    }

    /**
     * Checks a command's location against the allow-list.
     *
     * @return the location as a URI, for fetching
     * @throws OtaException {@link Reason#SOURCE_NOT_ALLOWED} naming why
     */
    URI check(String location) throws OtaException {
        URI uri;
        try {
            uri = new URI(location);
        } catch (URISyntaxException e) {
            throw new OtaException(Reason.SOURCE_NOT_ALLOWED, "location is not a URI: " + e.getMessage(), e);
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("https") && !scheme.equals("http")) {
            throw new OtaException(Reason.SOURCE_NOT_ALLOWED, "location scheme '" + scheme + "' is not supported (https, http)");
        }
        if (uri.isOpaque() || uri.getRawUserInfo() != null || uri.getRawFragment() != null) {
            throw new OtaException(Reason.SOURCE_NOT_ALLOWED, "location may not carry user info or a fragment, and must be hierarchical");
        }
        String raw = uri.getRawPath() == null ? "" : uri.getRawPath();
        String path = plainPath(raw);
        if (path == null || path.endsWith("/")) {
            throw new OtaException(Reason.SOURCE_NOT_ALLOWED, "location path '" + raw + "' is not a plain file path (no '..', '.', "
                + "'//', ';', backslash, or escape other than of an unreserved character)");
        }
        String host = host(uri);
        if (host == null) {
            throw new OtaException(Reason.SOURCE_NOT_ALLOWED, "location has no usable host");
        }
        int port = port(scheme, uri.getPort());
        for (Source source : sources) {
            if (source.scheme().equals(scheme) && source.host().equals(host) && source.port() == port && path.startsWith(source.path())) {
                return uri;
            }
        }
        throw new OtaException(Reason.SOURCE_NOT_ALLOWED, sources.isEmpty()
            ? "no command sources are configured (commandSources): every command location is refused"
            : "location " + new Source(scheme, host, port, path) + " is under none of the configured sources " + sources);
    }
}
