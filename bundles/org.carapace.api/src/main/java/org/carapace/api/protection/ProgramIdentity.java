package org.carapace.api.protection;

import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A program named by a rule: the absolute path of its executable inside the container and the SHA-256 digest of
 * the executable's content. Both must match: a copy of the program elsewhere, or a different file at its path, is
 * not the program.
 *
 * @param path absolute path inside the container, e.g. {@code /usr/bin/reader}
 * @param digest {@code sha256:<64 lowercase hex>}; empty to take the digest the image's own file at {@code path}
 *               has when the container starts
 */
public record ProgramIdentity(String path, Optional<String> digest) {

    private static final Pattern DIGEST = Pattern.compile("sha256:[0-9a-f]{64}");

    public ProgramIdentity {
        ProtectionRules.requireContainerPath(path, "program path");
        Objects.requireNonNull(digest, "digest");
        digest.ifPresent(ProgramIdentity::requireDigest);
    }

    /** Checks a digest's form, {@code sha256:<64 lowercase hex>}. */
    static String requireDigest(String digest) {
        if (digest == null || !DIGEST.matcher(digest).matches()) {
            throw new IllegalArgumentException("digest must be sha256:<64 lowercase hex>, was " + digest);
        }
        return digest;
    }
}
