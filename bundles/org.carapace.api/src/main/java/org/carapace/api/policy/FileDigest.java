package org.carapace.api.policy;

/**
 * A file inside an image by path and content.
 *
 * @param path absolute, normalised path inside the container
 * @param sha256 SHA-256 of the file's content, 64 lowercase hex characters
 */
public record FileDigest(String path, String sha256) implements Comparable<FileDigest> {

    public FileDigest {
        Checks.path("path", path);
        Checks.sha256Hex("sha256", sha256);
    }

    @Override
    public int compareTo(FileDigest other) {
        int byPath = path.compareTo(other.path);
        return byPath != 0 ? byPath : sha256.compareTo(other.sha256);
    }
}
