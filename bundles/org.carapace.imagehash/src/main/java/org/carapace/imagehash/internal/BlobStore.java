package org.carapace.imagehash.internal;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Files of an image by their path inside the image (an OCI layout's {@code index.json}, {@code blobs/sha256/...},
 * a docker-archive's {@code manifest.json} and layer tars): a directory on disk or a tar archive.
 */
interface BlobStore extends Closeable {

    /** The size of the file, or -1 when it does not exist. */
    long size(String path) throws IOException;

    /** Opens the file for reading. Thread-safe: several files may be read at once. */
    InputStream open(String path) throws IOException;

    @Override
    default void close() throws IOException {
    }

    /** The files of a directory (an OCI layout). Symbolic links inside it are not followed. */
    static BlobStore directory(Path root) {
        return new BlobStore() {
            @Override
            public long size(String path) throws IOException {
                Path file = resolve(path);
                if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
                    return -1;
                }
                return Files.size(file);
            }

            @Override
            public InputStream open(String path) throws IOException {
                Path file = resolve(path);
                if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
                    throw new NoSuchFileException(file.toString());
                }
                FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
                return new RegionInputStream(channel, 0, channel.size(), true);
            }

            private Path resolve(String path) throws IOException {
                // paths come from digests and fixed names; refuse anything that could leave the layout
                if (path.startsWith("/") || path.contains("..") || path.contains("\0")) {
                    throw new NoSuchFileException(path);
                }
                return root.resolve(path);
            }
        };
    }
}
