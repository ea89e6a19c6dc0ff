package org.carapace.secoc.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.OptionalLong;
import java.util.zip.CRC32C;

/**
 * The write-ahead record of one freshness counter: a 24-byte file holding one unsigned 64-bit limit.
 *
 * <p>Format, big-endian: magic {@code "CSFV"}, format version 1 (4 bytes), the limit (8 bytes), the number of
 * writes so far (4 bytes), CRC-32C of the preceding 20 bytes (4 bytes). A write goes to {@code <file>.tmp}, is
 * forced to disk, renamed over the file atomically and the directory is forced too, so after a crash (power loss
 * or {@code kill -9}) the file holds either the old or the new record, never a torn one. Writes only ever raise
 * the limit.
 */
final class ReservationFile {

    static final int MAGIC = 0x43534656; // "CSFV"
    static final int VERSION = 1;
    static final int SIZE = 24;

    private final Path file;
    private final Path temporary;
    private long written;
    private int writes;
    private boolean any;

    ReservationFile(Path file) {
        this.file = file.toAbsolutePath();
        this.temporary = this.file.resolveSibling(this.file.getFileName() + ".tmp");
    }

    Path path() {
        return file;
    }

    /**
     * Reads the record.
     *
     * @return the limit, or empty if there is no file yet
     * @throws CorruptStateException if the file exists but is not a valid record (fail closed: a channel with
     *                               unreadable freshness state does not start)
     */
    synchronized OptionalLong read() throws IOException, CorruptStateException {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return OptionalLong.empty();
        }
        if (bytes.length != SIZE) {
            throw new CorruptStateException(file, "has " + bytes.length + " bytes, not " + SIZE);
        }
        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        int magic = buffer.getInt();
        int version = buffer.getInt();
        long limit = buffer.getLong();
        int count = buffer.getInt();
        int crc = buffer.getInt();
        CRC32C check = new CRC32C();
        check.update(bytes, 0, 20);
        if (magic != MAGIC || version != VERSION) {
            throw new CorruptStateException(file, "is not a freshness record (magic/version)");
        }
        if ((int) check.getValue() != crc) {
            throw new CorruptStateException(file, "fails its CRC-32C check");
        }
        written = limit;
        writes = count;
        any = true;
        return OptionalLong.of(limit);
    }

    /**
     * Makes {@code limit} durable. Does nothing if an equal or higher limit was written already (a late
     * asynchronous write never lowers the record).
     */
    synchronized void write(long limit) throws IOException {
        if (any && Long.compareUnsigned(limit, written) <= 0) {
            return;
        }
        ByteBuffer buffer = ByteBuffer.allocate(SIZE);
        buffer.putInt(MAGIC).putInt(VERSION).putLong(limit).putInt(writes + 1);
        CRC32C crc = new CRC32C();
        crc.update(buffer.array(), 0, 20);
        buffer.putInt((int) crc.getValue());
        buffer.flip();
        Files.createDirectories(file.getParent());
        Files.deleteIfExists(temporary);
        try (FileChannel channel = FileChannel.open(temporary, java.util.Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))) {
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
            channel.force(true);
        }
        Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        DevKeyProvisioner.fsyncDirectory(file.getParent());
        written = limit;
        writes++;
        any = true;
    }

    /** Number of writes recorded in the file (for diagnostics and tests). */
    synchronized int writes() {
        return writes;
    }

    /** The freshness state file exists but cannot be trusted. */
    static final class CorruptStateException extends Exception {
        private static final long serialVersionUID = 1L;

        CorruptStateException(Path file, String problem) {
            super("freshness state " + file + " " + problem + ": refusing to guess (restore it or remove it deliberately)");
        }
    }
}
