package org.carapace.monitoring.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;

/**
 * The journal's position file: how far the back end has acknowledged ({@code acked}) and the highest sequence
 * number that may have left the device ({@code sentLimit}).
 *
 * <p>Two fixed 32-byte slots, written alternately and each followed by {@code fdatasync}: a write torn by a crash
 * spoils at most the slot being written, and the other slot still holds the previous state. Each slot is
 * {@code magic(4) | generation(8) | acked(8) | sentLimit(8) | crc32c(4)}; the valid slot with the higher generation
 * wins. Not thread-safe: the journal serialises access.
 */
final class JournalMeta implements AutoCloseable {

    static final int SLOT_BYTES = 32;
    private static final int MAGIC = 0x4352504D; // "CRPM"

    /** State read at open, and whether a slot was damaged. */
    record State(long acked, long sentLimit, boolean damaged) {
    }

    private final FileChannel channel;
    private long generation;

    private JournalMeta(FileChannel channel, long generation) {
        this.channel = channel;
        this.generation = generation;
    }

    /**
     * Opens (or creates) the position file.
     *
     * @param stateOut receives the state read; {@code damaged} when the file held data but neither slot was valid
     *                 (one invalid slot is the expected result of a write torn by a crash, not damage)
     */
    static JournalMeta open(Path file, State[] stateOut) throws IOException {
        FileChannel channel = FileChannel.open(file, java.util.Set.of(StandardOpenOption.CREATE, StandardOpenOption.READ,
            StandardOpenOption.WRITE), java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")));
        try {
            ByteBuffer both = ByteBuffer.allocate(2 * SLOT_BYTES);
            while (both.hasRemaining() && channel.read(both, both.position()) > 0) {
                // read up to both slots; a short file leaves the rest zero (invalid)
            }
            long[] a = parse(both, 0);
            long[] b = parse(both, SLOT_BYTES);
            long[] best = a == null ? b : b == null ? a : a[0] >= b[0] ? a : b;
            if (best == null) {
                stateOut[0] = new State(0, 0, channel.size() > 0);
                return new JournalMeta(channel, 0);
            }
            stateOut[0] = new State(best[1], best[2], false);
            return new JournalMeta(channel, best[0]);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    private static long[] parse(ByteBuffer both, int offset) {
        ByteBuffer slot = both.duplicate().position(offset).limit(offset + SLOT_BYTES).slice();
        if (slot.getInt(0) != MAGIC) {
            return null;
        }
        CRC32C crc = new CRC32C();
        crc.update(slot.duplicate().position(0).limit(28));
        if ((int) crc.getValue() != slot.getInt(28)) {
            return null;
        }
        long generation = slot.getLong(4);
        long acked = slot.getLong(12);
        long sentLimit = slot.getLong(20);
        if (generation < 1 || acked < 0 || sentLimit < 0) {
            return null;
        }
        return new long[] {generation, acked, sentLimit};
    }

    /** Writes the next slot and flushes it to the device. */
    void write(long acked, long sentLimit) throws IOException {
        long next = generation + 1;
        ByteBuffer slot = ByteBuffer.allocate(SLOT_BYTES);
        slot.putInt(MAGIC).putLong(next).putLong(acked).putLong(sentLimit);
        CRC32C crc = new CRC32C();
        crc.update(slot.array(), 0, 28);
        slot.putInt((int) crc.getValue());
        slot.flip();
        long position = (next % 2) * SLOT_BYTES;
        while (slot.hasRemaining()) {
            channel.write(slot, position + slot.position());
        }
        channel.force(false);
        generation = next;
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
