package org.carapace.api.io;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.ThreadLocalRandom;
import org.carapace.api.trust.DocumentTooLargeException;

/**
 * Crash-safe file writes: a temporary file in the target's directory, written and fsync'ed, renamed over the
 * target, then the directory fsync'ed so the rename itself is durable (POSIX rename(2) is atomic within a file
 * system). A reader sees the old file or the new one, never a mix, also after a power cut.
 */
public final class AtomicFiles {

    /** Prefix of temporary files; anything with it left over from a crash is deleted by {@link #cleanTemporaries}. */
    public static final String TEMP_PREFIX = ".tmp-";

    private AtomicFiles() {
    }

    /** Creates a directory (and parents) readable by the owner only, and makes its creation durable. */
    public static Path privateDirectory(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir);
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
            if (dir.getParent() != null) {
                fsyncDirectory(dir.getParent());
            }
        }
        return dir;
    }

    /** Replaces {@code target} with {@code data} atomically and durably; the file is mode 0600. */
    public static void write(Path target, byte[] data) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        Path temp = null;
        for (int attempt = 0; temp == null; attempt++) {
            String suffix = Long.toHexString(ThreadLocalRandom.current().nextLong());
            Path candidate = dir.resolve(TEMP_PREFIX + target.getFileName() + "-" + suffix);
            try {
                Files.createFile(candidate, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
                temp = candidate;
            } catch (FileAlreadyExistsException e) {
                if (attempt > 8) {
                    throw e;
                }
            }
        }
        try {
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer buffer = ByteBuffer.wrap(data);
                while (buffer.hasRemaining()) {
                    channel.write(buffer);
                }
                channel.force(true);
            }
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            temp = null;
            fsyncDirectory(dir);
        } finally {
            if (temp != null) {
                Files.deleteIfExists(temp);
            }
        }
    }

    /** Deletes a file if present and makes the deletion durable. */
    public static void delete(Path file) throws IOException {
        if (Files.deleteIfExists(file)) {
            fsyncDirectory(file.toAbsolutePath().getParent());
        }
    }

    /** fsync(2) of a directory: makes creations, renames and deletions in it durable. */
    public static void fsyncDirectory(Path dir) throws IOException {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }

    /** Deletes temporary files a crash left behind in a directory. */
    public static void cleanTemporaries(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (var files = Files.list(dir)) {
            for (Path file : (Iterable<Path>) files::iterator) {
                if (file.getFileName().toString().startsWith(TEMP_PREFIX)) {
                    Files.deleteIfExists(file);
                }
            }
        }
    }

    /**
     * Reads a whole file, refusing one larger than {@code maxBytes} without reading past the limit (a huge file
     * costs no memory).
     *
     * @throws NoSuchFileException when it does not exist
     * @throws DocumentTooLargeException when it is larger than the limit
     */
    public static byte[] read(Path file, long maxBytes, String document) throws IOException, DocumentTooLargeException {
        try (InputStream in = Files.newInputStream(file)) {
            byte[] data = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 16, maxBytes + 1));
            if (data.length > maxBytes) {
                long size = Files.size(file);
                throw new DocumentTooLargeException(document, Math.max(size, data.length), maxBytes);
            }
            return data;
        }
    }
}
