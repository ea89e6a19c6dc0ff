package org.carapace.monitoring.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * One file of the journal: a 32-byte header, then records with consecutive sequence numbers.
 *
 * <pre>
 * header: magic "CRPQSEG1" (8) | first sequence (8) | format version 1 (4) | reserved (4) | crc32c of the
 *         preceding 24 bytes (4) | reserved (4)
 * record: body length (4) | crc32c of the body (4) | body
 * body:   sequence (8) | wall-clock ms (8) | category length (1) | category (ASCII) | payload
 * </pre>
 * All integers big-endian. The file is named after its first sequence number ({@code %020d.seg}). Not thread-safe:
 * the journal serialises access.
 */
final class JournalSegment implements AutoCloseable {

    static final int HEADER_BYTES = 32;
    static final int RECORD_HEADER_BYTES = 8;
    /** Smallest body: sequence, time, category length and a one-character category. */
    static final int MIN_BODY_BYTES = 8 + 8 + 1 + 1;
    static final String SUFFIX = ".seg";
    private static final byte[] MAGIC = "CRPQSEG1".getBytes(StandardCharsets.US_ASCII);
    private static final int VERSION = 1;
    /** Every this many records the segment remembers a file offset, so a read can start near any sequence. */
    private static final int INDEX_STRIDE = 64;
    private static final int READ_CHUNK = 256 * 1024;

    final Path path;
    final long firstSeq;
    private final FileChannel channel;
    private long size;
    private long nextSeq;
    private long[] index = new long[16];
    /** Reused by {@link #read}: the journal reads under its lock, one thread at a time. */
    private Reader reader;

    private JournalSegment(Path path, long firstSeq, FileChannel channel, long size) {
        this.path = path;
        this.firstSeq = firstSeq;
        this.channel = channel;
        this.size = size;
        this.nextSeq = firstSeq;
    }

    static String fileName(long firstSeq) {
        return String.format("%020d%s", firstSeq, SUFFIX);
    }

    /** Parses a segment file name; -1 when it is not one. */
    static long firstSeqOf(Path file) {
        String name = file.getFileName().toString();
        if (name.length() != 20 + SUFFIX.length() || !name.endsWith(SUFFIX)) {
            return -1;
        }
        try {
            long seq = Long.parseLong(name.substring(0, 20));
            return seq >= 1 ? seq : -1;
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** Creates an empty segment whose header is on disk before this returns. */
    static JournalSegment create(Path dir, long firstSeq) throws IOException {
        Path path = dir.resolve(fileName(firstSeq));
        FileChannel channel = FileChannel.open(path, java.util.Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
            StandardOpenOption.WRITE), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        try {
            ByteBuffer header = ByteBuffer.allocate(HEADER_BYTES);
            header.put(MAGIC).putLong(firstSeq).putInt(VERSION).putInt(0);
            CRC32C crc = new CRC32C();
            crc.update(header.array(), 0, 24);
            header.putInt((int) crc.getValue()).putInt(0).flip();
            while (header.hasRemaining()) {
                channel.write(header, header.position());
            }
            channel.force(true);
            forceDirectory(dir);
            return new JournalSegment(path, firstSeq, channel, HEADER_BYTES);
        } catch (IOException | RuntimeException e) {
            channel.close();
            Files.deleteIfExists(path);
            throw e;
        }
    }

    static void forceDirectory(Path dir) throws IOException {
        try (FileChannel directory = FileChannel.open(dir, StandardOpenOption.READ)) {
            directory.force(true);
        }
    }

    /** What recovery found in one segment file. */
    enum Condition {
        /** Every byte belongs to a valid record. */
        CLEAN,
        /** Bytes after the last valid record were cut off (a torn or damaged tail). */
        TRUNCATED,
        /** The header is invalid: nothing in the file can be trusted. */
        BAD_HEADER
    }

    /**
     * The result of recovering one segment.
     *
     * @param segment the segment holding the valid records, or {@code null} for {@link Condition#BAD_HEADER}
     * @param condition what was found
     * @param cutBytes bytes removed from the end
     */
    record Recovered(JournalSegment segment, Condition condition, long cutBytes) {
    }

    /**
     * Opens an existing segment, keeps the longest valid prefix of records (checked by length bounds, CRC and
     * consecutive sequence numbers) and truncates the file after it.
     */
    static Recovered recover(Path path, long firstSeq, int maxRecordBytes) throws IOException {
        FileChannel channel = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
        try {
            long fileSize = channel.size();
            ByteBuffer header = ByteBuffer.allocate(HEADER_BYTES);
            while (header.hasRemaining() && channel.read(header, header.position()) > 0) {
                // fill the header
            }
            if (header.position() < HEADER_BYTES || !validHeader(header, firstSeq)) {
                channel.close();
                return new Recovered(null, Condition.BAD_HEADER, fileSize);
            }
            JournalSegment segment = new JournalSegment(path, firstSeq, channel, HEADER_BYTES);
            Reader reader = new Reader(channel, fileSize);
            long offset = HEADER_BYTES;
            while (true) {
                long next = reader.validRecordEnd(offset, segment.nextSeq, maxRecordBytes);
                if (next < 0) {
                    break;
                }
                segment.indexRecord(offset);
                segment.nextSeq++;
                offset = next;
            }
            segment.size = offset;
            if (offset < fileSize) {
                channel.truncate(offset);
                channel.force(true);
                return new Recovered(segment, Condition.TRUNCATED, fileSize - offset);
            }
            return new Recovered(segment, Condition.CLEAN, 0);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    private static boolean validHeader(ByteBuffer header, long firstSeq) {
        byte[] magic = new byte[MAGIC.length];
        header.get(0, magic);
        CRC32C crc = new CRC32C();
        crc.update(header.array(), 0, 24);
        return Arrays.equals(magic, MAGIC) && header.getLong(8) == firstSeq && header.getInt(16) == VERSION
            && header.getInt(24) == (int) crc.getValue();
    }

    /** Encodes one record (header and body). */
    static ByteBuffer encode(long seq, long wallMillis, String category, byte[] payload) {
        byte[] cat = category.getBytes(StandardCharsets.US_ASCII);
        int bodyLength = 8 + 8 + 1 + cat.length + payload.length;
        ByteBuffer record = ByteBuffer.allocate(RECORD_HEADER_BYTES + bodyLength);
        record.putInt(bodyLength).putInt(0).putLong(seq).putLong(wallMillis).put((byte) cat.length).put(cat).put(payload);
        CRC32C crc = new CRC32C();
        crc.update(record.array(), RECORD_HEADER_BYTES, bodyLength);
        record.putInt(4, (int) crc.getValue());
        return record.flip();
    }

    /** Appends an encoded record for {@link #nextSeq()} at the end of the file (into the page cache). */
    void append(ByteBuffer record) throws IOException {
        long offset = size;
        long position = offset;
        while (record.hasRemaining()) {
            position += channel.write(record, position);
        }
        indexRecord(offset);
        size = position;
        nextSeq++;
    }

    private void indexRecord(long offset) {
        long ordinal = nextSeq - firstSeq;
        if (ordinal % INDEX_STRIDE == 0) {
            int slot = (int) (ordinal / INDEX_STRIDE);
            if (slot == index.length) {
                index = Arrays.copyOf(index, index.length * 2);
            }
            index[slot] = offset;
        }
    }

    /** Flushes the file's data to the device ({@code fdatasync}). */
    void force() throws IOException {
        channel.force(false);
    }

    long size() {
        return size;
    }

    long nextSeq() {
        return nextSeq;
    }

    long lastSeq() {
        return nextSeq - 1;
    }

    boolean isEmpty() {
        return nextSeq == firstSeq;
    }

    /**
     * Reads records from {@code fromSeq} up to {@code uptoSeq} inclusive, at most {@code maxRecords} and about
     * {@code maxBytes} of payload (always at least one record when one is available).
     */
    void read(long fromSeq, long uptoSeq, int maxRecords, long maxBytes, List<JournalRecord> out) throws IOException {
        if (fromSeq < firstSeq || fromSeq >= nextSeq) {
            return;
        }
        long last = Math.min(uptoSeq, lastSeq());
        int slot = (int) ((fromSeq - firstSeq) / INDEX_STRIDE);
        long seq = firstSeq + (long) slot * INDEX_STRIDE;
        long offset = index[slot];
        if (reader == null) {
            reader = new Reader(channel, size);
        } else {
            reader.limit = size; // append-only: what the buffer already holds is still valid
        }
        long bytes = 0;
        int added = 0;
        while (seq <= last && added < maxRecords && (added == 0 || bytes < maxBytes)) {
            ByteBuffer head = reader.window(offset, RECORD_HEADER_BYTES);
            int length = head.getInt(0);
            if (seq >= fromSeq) {
                ByteBuffer body = reader.window(offset + RECORD_HEADER_BYTES, length);
                long wall = body.getLong(8);
                int catLength = body.get(16) & 0xFF;
                byte[] cat = new byte[catLength];
                body.get(17, cat);
                byte[] payload = new byte[length - 17 - catLength];
                body.get(17 + catLength, payload);
                out.add(new JournalRecord(seq, wall, new String(cat, StandardCharsets.US_ASCII), payload));
                bytes += payload.length;
                added++;
            }
            offset += RECORD_HEADER_BYTES + length;
            seq++;
        }
    }

    /** The wall-clock time of the record with this sequence number. */
    long wallMillisOf(long seq) throws IOException {
        List<JournalRecord> one = new java.util.ArrayList<>(1);
        read(seq, seq, 1, 0, one);
        return one.isEmpty() ? 0 : one.get(0).wallMillis();
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }

    /** Chunked positional reads over a segment file. */
    private static final class Reader {
        private final FileChannel channel;
        private long limit;
        private ByteBuffer buffer = ByteBuffer.allocate(0);
        private long bufferStart;

        Reader(FileChannel channel, long limit) {
            this.channel = channel;
            this.limit = limit;
        }

        /** {@code n} bytes at {@code offset} as a buffer indexed from 0, or {@code null} past the end. */
        ByteBuffer window(long offset, int n) throws IOException {
            if (n < 0 || offset + n > limit) {
                return null;
            }
            if (offset < bufferStart || offset + n > bufferStart + buffer.limit()) {
                // at most what is left in the file: reading near the tail must not allocate (and zero) a full chunk
                int capacity = (int) Math.max(Math.min(READ_CHUNK, limit - offset), n);
                if (buffer.capacity() < capacity) {
                    buffer = ByteBuffer.allocate(Math.max(capacity, Math.min(READ_CHUNK, buffer.capacity() * 2)));
                }
                buffer.clear();
                buffer.limit((int) Math.min(buffer.capacity(), limit - offset));
                while (buffer.hasRemaining()) {
                    if (channel.read(buffer, offset + buffer.position()) < 0) {
                        return null;
                    }
                }
                buffer.flip();
                bufferStart = offset;
            }
            int start = (int) (offset - bufferStart);
            return buffer.duplicate().position(start).limit(start + n).slice();
        }

        /** The end offset of a valid record with sequence {@code expected} at {@code offset}, or -1. */
        long validRecordEnd(long offset, long expected, int maxRecordBytes) throws IOException {
            ByteBuffer head = window(offset, RECORD_HEADER_BYTES);
            if (head == null) {
                return -1;
            }
            int length = head.getInt(0);
            int crc = head.getInt(4);
            if (length < MIN_BODY_BYTES || length > maxRecordBytes) {
                return -1;
            }
            ByteBuffer body = window(offset + RECORD_HEADER_BYTES, length);
            if (body == null) {
                return -1;
            }
            CRC32C check = new CRC32C();
            check.update(body.duplicate());
            if ((int) check.getValue() != crc || body.getLong(0) != expected) {
                return -1;
            }
            int catLength = body.get(16) & 0xFF;
            if (catLength < 1 || 17 + catLength > length) {
                return -1;
            }
            return offset + RECORD_HEADER_BYTES + length;
        }
    }
}
