package org.carapace.ota.internal;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
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
 * <p>A prefix is {@code https://host[:port]/path/}, {@code http://host[:port]/path/} or {@code file:/directory/}.
 * A location matches when its scheme, host (case-insensitive) and effective port equal the prefix's and its path,
 * normalised, lies under the prefix's path; it may carry a query (pre-signed URLs) but no user info and no fragment,
 * and its path no {@code ..} segment, backslash or encoded slash, dot or backslash, so a server cannot be asked for a
 * path other than the one compared. Matching is structural, never on the string: {@code https://a.example@evil/} does
 * not match {@code https://a.example/}.
 */
final class PackageSources {

    /** One allowed prefix. */
    record Source(String scheme, String host, int port, String path) {
        @Override
        public String toString() {
            return scheme.equals("file") ? "file:" + path : scheme + "://" + host + ":" + port + path;
        }
    }

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
        if (uri.isOpaque()) {
            // file:relative/ would otherwise become the root directory
            throw new IllegalArgumentException("commandSources: '" + prefix + "' must be hierarchical (scheme://host/path/ or file:/dir/)");
        }
        if (uri.getRawQuery() != null || uri.getRawFragment() != null || uri.getRawUserInfo() != null) {
            throw new IllegalArgumentException("commandSources: '" + prefix + "' may not carry a query, a fragment or user info");
        }
        String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
        if (!path.endsWith("/")) {
            path = path + "/"; // so /ota never admits /ota-evil
        }
        checkPath(path, prefix, true);
        switch (scheme) {
            case "https", "http" -> {
                if (uri.getHost() == null) {
                    throw new IllegalArgumentException("commandSources: '" + prefix + "' has no host");
                }
                return new Source(scheme, uri.getHost().toLowerCase(Locale.ROOT), port(scheme, uri.getPort()), path);
            }
            case "file" -> {
                if (uri.getRawAuthority() != null || !path.startsWith("/")) {
                    throw new IllegalArgumentException("commandSources: '" + prefix + "' must be file:/absolute/directory/");
                }
                return new Source(scheme, "", -1, path);
            }
            default -> throw new IllegalArgumentException("commandSources: '" + prefix + "' must be https://, http:// or file:");
        }
    }

    private static int port(String scheme, int port) {
        return port != -1 ? port : scheme.equals("https") ? 443 : 80;
    }

    private static boolean checkPath(String rawPath, String what, boolean config) {
        String lower = rawPath.toLowerCase(Locale.ROOT);
        boolean bad = lower.contains("%2f") || lower.contains("%2e") || lower.contains("%5c") || rawPath.contains("\\")
            || rawPath.contains("//") || ("/" + rawPath + "/").contains("/../") || ("/" + rawPath + "/").contains("/./");
        if (bad && config) {
            throw new IllegalArgumentException("commandSources: '" + what + "' has a path with '..', '.', '//', a backslash or an "
                + "encoded slash, dot or backslash");
        }
        return !bad;
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
        if (!scheme.equals("https") && !scheme.equals("http") && !scheme.equals("file")) {
            throw new OtaException(Reason.SOURCE_NOT_ALLOWED, "location scheme '" + scheme + "' is not supported (https, http, file)");
        }
        if (uri.isOpaque() || uri.getRawUserInfo() != null || uri.getRawFragment() != null) {
            throw new OtaException(Reason.SOURCE_NOT_ALLOWED, "location may not carry user info or a fragment, and must be hierarchical");
        }
        String path = uri.getRawPath() == null ? "" : uri.getRawPath();
        if (!checkPath(path, location, false) || path.endsWith("/")) {
            throw new OtaException(Reason.SOURCE_NOT_ALLOWED, "location path '" + path + "' is not a plain file path");
        }
        if (scheme.equals("file") && uri.getRawQuery() != null) {
            throw new OtaException(Reason.SOURCE_NOT_ALLOWED, "a file: location has no query");
        }
        String host = uri.getHost() == null ? "" : uri.getHost().toLowerCase(Locale.ROOT);
        int port = scheme.equals("file") ? -1 : port(scheme, uri.getPort());
        if (!scheme.equals("file") && host.isEmpty()) {
            throw new OtaException(Reason.SOURCE_NOT_ALLOWED, "location has no host");
        }
        if (scheme.equals("file") && uri.getRawAuthority() != null) {
            throw new OtaException(Reason.SOURCE_NOT_ALLOWED, "a file: location has no host");
        }
        for (Source source : sources) {
            if (source.scheme().equals(scheme) && source.host().equals(host) && source.port() == port && path.startsWith(source.path())) {
                return uri;
            }
        }
        throw new OtaException(Reason.SOURCE_NOT_ALLOWED, sources.isEmpty()
            ? "no command sources are configured (commandSources): every command location is refused"
            : "location " + scheme + "://" + host + (port < 0 ? "" : ":" + port) + path + " is under none of the configured sources "
                + sources);
    }

    /** The allowed directory a {@code file:} location lies under (for the check of its real path after links). */
    Path fileRoot(URI location) {
        for (Source source : sources) {
            if (source.scheme().equals("file") && location.getRawPath().startsWith(source.path())) {
                return Path.of(source.path());
            }
        }
        throw new IllegalStateException("not an allowed file location: " + location);
    }
}
