package org.carapace.monitoring.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EventJournalTest {

    static final EventJournal.Limits SMALL = new EventJournal.Limits(64 * 1024, 8 * 1024, 2048, 5);

    @TempDir
    Path temp;

    static byte[] payload(long seq) {
        return ("{\"seq\":" + seq + ",\"pad\":\"" + "x".repeat(100) + "\"}").getBytes(StandardCharsets.UTF_8);
    }

    static long appendDurably(EventJournal journal, int n) throws Exception {
        long last = 0;
        for (int i = 0; i < n; i++) {
            last = journal.append(1_000 + i, "gate", EventJournalTest::payload).sequence();
        }
        assertTrue(journal.awaitDurable(last, 5_000));
        assertTrue(journal.awaitRecords(last - 1, 5_000), "durable records become available to the publisher");
        return last;
    }

    static List<JournalRecord> readAll(EventJournal journal, long from) throws IOException {
        List<JournalRecord> all = new ArrayList<>();
        while (true) {
            List<JournalRecord> batch = journal.read(from, 17, 4096);
            if (batch.isEmpty()) {
                return all;
            }
            all.addAll(batch);
            from = batch.get(batch.size() - 1).sequence() + 1;
        }
    }

    static List<Long> sequences(List<JournalRecord> records) {
        return records.stream().map(JournalRecord::sequence).collect(Collectors.toList());
    }

    static List<Long> range(long from, long to) {
        List<Long> list = new ArrayList<>();
        for (long s = from; s <= to; s++) {
            list.add(s);
        }
        return list;
    }

    /** What a kill -9 leaves: the files as they are in the page cache, while the writer still holds them. */
    Path crashCopy(Path dir) throws IOException {
        Path copy = temp.resolve("crash-" + System.nanoTime());
        Files.createDirectories(copy);
        try (Stream<Path> files = Files.list(dir)) {
            for (Path file : (Iterable<Path>) files::iterator) {
                if (!file.getFileName().toString().equals(EventJournal.LOCK_FILE)) {
                    Files.copy(file, copy.resolve(file.getFileName()));
                }
            }
        }
        return copy;
    }

    static Path lastSegment(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(f -> JournalSegment.firstSeqOf(f) > 0).max(Path::compareTo).orElseThrow();
        }
    }

    static List<Path> segmentFiles(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(f -> JournalSegment.firstSeqOf(f) > 0).sorted().collect(Collectors.toList());
        }
    }

    @Test
    void appendsReadInOrderWithGapFreeNumbers() throws Exception {
        Path dir = temp.resolve("j");
        try (EventJournal journal = EventJournal.open(dir, SMALL)) {
            assertEquals(200, appendDurably(journal, 200));
            List<JournalRecord> records = readAll(journal, 1);
            assertEquals(range(1, 200), sequences(records));
            assertArrayEquals(payload(77), records.get(76).payload());
            assertEquals("gate", records.get(76).category());
            assertEquals(1_076, records.get(76).wallMillis());
            assertTrue(segmentFiles(dir).size() > 2, "should have rolled segments");
        }
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(segmentFiles(dir).get(0))));
    }

    @Test
    void readStoppedByTheByteLimitInsideASegmentResumesThere() throws Exception {
        // regression: a read cut short by maxBytes skipped the rest of that segment
        try (EventJournal journal = EventJournal.open(temp.resolve("j"), SMALL)) {
            appendDurably(journal, 200);
            List<JournalRecord> all = new ArrayList<>();
            long from = 1;
            while (true) {
                List<JournalRecord> batch = journal.read(from, 1000, 300);
                if (batch.isEmpty()) {
                    break;
                }
                all.addAll(batch);
                from = batch.get(batch.size() - 1).sequence() + 1;
            }
            assertEquals(range(1, 200), sequences(all));
        }
    }

    @Test
    void reopeningContinuesNumberingAndResendsOnlyUnacknowledged() throws Exception {
        Path dir = temp.resolve("j");
        try (EventJournal journal = EventJournal.open(dir, SMALL)) {
            appendDurably(journal, 50);
            journal.acknowledge(30);
        }
        try (EventJournal journal = EventJournal.open(dir, SMALL)) {
            assertEquals(31, journal.firstAvailable());
            assertEquals(range(31, 50), sequences(readAll(journal, journal.firstAvailable())));
            assertEquals(51, journal.append(5, "gate", EventJournalTest::payload).sequence());
            assertEquals(new EventJournal.Recovery(0, 0, List.of(), false), journal.recovery());
        }
    }

    @Test
    void onlyDurableRecordsAreHandedOut() throws Exception {
        try (EventJournal journal = EventJournal.open(temp.resolve("j"), SMALL)) {
            long seq = journal.append(1, "gate", EventJournalTest::payload).sequence();
            assertTrue(journal.awaitRecords(0, 5_000));
            EventJournal.Stats stats = journal.stats();
            assertTrue(stats.durableSeq() >= seq, "flushed before it is handed out");
            assertTrue(stats.sentLimit() >= seq, "the sent limit on disk covers it before it is handed out");
            List<JournalRecord> read = journal.read(1, 10, 1 << 20);
            assertEquals(List.of(1L), sequences(read));
        }
    }

    @Test
    void tornTailIsCutAndItsUnsentNumberReassigned() throws Exception {
        Path dir = temp.resolve("j");
        try (EventJournal journal = EventJournal.open(dir, SMALL)) {
            appendDurably(journal, 9);
            Path crashed = crashCopy(dir);
            // what a power cut in the middle of writing record 10 leaves: half of it, never flushed, never sent
            java.nio.ByteBuffer record = JournalSegment.encode(10, 2, "gate", payload(10));
            try (RandomAccessFile file = new RandomAccessFile(lastSegment(crashed).toFile(), "rw")) {
                file.seek(file.length());
                file.write(record.array(), 0, record.limit() / 2);
            }
            try (EventJournal recovered = EventJournal.open(crashed, SMALL)) {
                EventJournal.Recovery recovery = recovered.recovery();
                assertEquals(record.limit() / 2, recovery.cutBytes());
                assertEquals(List.of(), recovery.lost());
                assertEquals(range(1, 9), sequences(readAll(recovered, 1)));
                // never sent, so never seen: the number is free again and numbering stays gap-free
                assertEquals(10, recovered.append(2, "gate", EventJournalTest::payload).sequence());
            }
        }
    }

    @Test
    void tailLostAfterBeingSentIsReportedAndItsNumberNeverReused() throws Exception {
        // attack: the last records are deleted from disk after they were published
        Path dir = temp.resolve("j");
        try (EventJournal journal = EventJournal.open(dir, SMALL)) {
            appendDurably(journal, 10);
            assertEquals(10, readAll(journal, 1).size()); // sent: the sent limit on disk covered them first
            Path crashed = crashCopy(dir);
            Path tail = lastSegment(crashed);
            try (RandomAccessFile file = new RandomAccessFile(tail.toFile(), "rw")) {
                file.setLength(file.length() - 300);
            }
            try (EventJournal recovered = EventJournal.open(crashed, SMALL)) {
                List<EventJournal.Drop> lost = recovered.recovery().lost();
                assertEquals(1, lost.size());
                assertEquals(10, lost.get(0).lastSeq());
                assertEquals("journal-damaged", lost.get(0).reason());
                assertEquals(11, recovered.append(2, "gate", EventJournalTest::payload).sequence());
            }
        }
    }

    @Test
    void corruptRecordInAnOlderSegmentLosesOnlyThatSegmentsTail() throws Exception {
        // attack: bit rot (or tampering) in the middle of a full segment
        Path dir = temp.resolve("j");
        try (EventJournal journal = EventJournal.open(dir, SMALL)) {
            appendDurably(journal, 200);
            Path crashed = crashCopy(dir);
            Path first = segmentFiles(crashed).get(0);
            long firstOfSecond = JournalSegment.firstSeqOf(segmentFiles(crashed).get(1));
            try (RandomAccessFile file = new RandomAccessFile(first.toFile(), "rw")) {
                long where = JournalSegment.HEADER_BYTES + 3 * (JournalSegment.RECORD_HEADER_BYTES + 8 + 8 + 1 + 4
                    + payload(1).length) + 20;
                file.seek(where);
                int b = file.read();
                file.seek(where);
                file.write(b ^ 0x40);
            }
            try (EventJournal recovered = EventJournal.open(crashed, SMALL)) {
                EventJournal.Recovery recovery = recovered.recovery();
                assertEquals(List.of(new EventJournal.Drop(4, firstOfSecond - 1, "journal-damaged")), recovery.lost());
                List<Long> expected = range(1, 3);
                expected.addAll(range(firstOfSecond, 200));
                assertEquals(expected, sequences(readAll(recovered, 1)));
                assertEquals(201, recovered.append(2, "gate", EventJournalTest::payload).sequence());
            }
        }
    }

    @Test
    void segmentWithBadHeaderIsSetAsideAndReported() throws Exception {
        Path dir = temp.resolve("j");
        try (EventJournal journal = EventJournal.open(dir, SMALL)) {
            appendDurably(journal, 200);
            journal.acknowledge(0);
            Path crashed = crashCopy(dir);
            Path second = segmentFiles(crashed).get(1);
            long secondFirst = JournalSegment.firstSeqOf(second);
            long thirdFirst = JournalSegment.firstSeqOf(segmentFiles(crashed).get(2));
            try (RandomAccessFile file = new RandomAccessFile(second.toFile(), "rw")) {
                file.seek(0);
                file.write('X');
            }
            try (EventJournal recovered = EventJournal.open(crashed, SMALL)) {
                assertEquals(1, recovered.recovery().badSegments());
                assertEquals(List.of(new EventJournal.Drop(secondFirst, thirdFirst - 1, "journal-damaged")), recovered.recovery().lost());
                assertTrue(Files.exists(second.resolveSibling(second.getFileName() + ".damaged")));
                assertEquals(200 - (thirdFirst - secondFirst), readAll(recovered, 1).size());
            }
        }
    }

    @Test
    void tornPositionSlotFallsBackToThePreviousOne() throws Exception {
        Path dir = temp.resolve("j");
        try (EventJournal journal = EventJournal.open(dir, SMALL)) {
            appendDurably(journal, 20);
            journal.acknowledge(12);
        }
        // the last write went to one slot; spoil it as a torn write would
        Path position = dir.resolve(EventJournal.POSITION_FILE);
        byte[] bytes = Files.readAllBytes(position);
        long[] generations = {java.nio.ByteBuffer.wrap(bytes, 4, 8).getLong(), java.nio.ByteBuffer.wrap(bytes, 36, 8).getLong()};
        int newest = generations[0] > generations[1] ? 0 : 1;
        bytes[newest * JournalMeta.SLOT_BYTES + 14] ^= 1;
        Files.write(position, bytes);
        try (EventJournal journal = EventJournal.open(dir, SMALL)) {
            assertFalse(journal.recovery().positionDamaged());
            // the older slot may hold an older position: at-least-once, never less
            assertTrue(journal.firstAvailable() <= 13);
            assertEquals(21, journal.append(1, "gate", EventJournalTest::payload).sequence());
        }
    }

    @Test
    void destroyedPositionFileResendsEverythingKept() throws Exception {
        Path dir = temp.resolve("j");
        try (EventJournal journal = EventJournal.open(dir, SMALL)) {
            appendDurably(journal, 20);
            journal.acknowledge(12);
        }
        Files.write(dir.resolve(EventJournal.POSITION_FILE), new byte[64]);
        try (EventJournal journal = EventJournal.open(dir, SMALL)) {
            assertTrue(journal.recovery().positionDamaged());
            assertEquals(range(1, 20), sequences(readAll(journal, journal.firstAvailable())));
            assertEquals(21, journal.append(1, "gate", EventJournalTest::payload).sequence());
        }
    }

    @Test
    void fullJournalDropsOldestSegmentsAndReportsTheRange() throws Exception {
        try (EventJournal journal = EventJournal.open(temp.resolve("j"), SMALL)) {
            List<EventJournal.Drop> drops = new ArrayList<>();
            for (int i = 0; i < 2_000; i++) {
                drops.addAll(journal.append(i, "gate", EventJournalTest::payload).drops());
            }
            assertFalse(drops.isEmpty());
            assertEquals(1, drops.get(0).firstSeq());
            long dropped = 0;
            long expectedFirst = 1;
            for (EventJournal.Drop drop : drops) {
                assertEquals(expectedFirst, drop.firstSeq(), "drops are contiguous, oldest first");
                assertEquals("queue-full", drop.reason());
                expectedFirst = drop.lastSeq() + 1;
                dropped += drop.events();
            }
            EventJournal.Stats stats = journal.stats();
            assertTrue(stats.bytes() <= SMALL.maxBytes(), "bytes " + stats.bytes());
            assertEquals(dropped, stats.droppedEvents());
            assertTrue(journal.awaitDurable(2_000, 5_000));
            assertTrue(journal.awaitRecords(1_999, 5_000));
            List<JournalRecord> kept = readAll(journal, 1);
            assertEquals(expectedFirst, kept.get(0).sequence(), "reading resumes right after the dropped range");
            assertEquals(range(expectedFirst, 2_000), sequences(kept));
            assertEquals(2_000 - dropped, stats.pending());
        }
    }

    @Test
    void acknowledgedSegmentsAreDeleted() throws Exception {
        Path dir = temp.resolve("j");
        try (EventJournal journal = EventJournal.open(dir, SMALL)) {
            appendDurably(journal, 300);
            int before = segmentFiles(dir).size();
            readAll(journal, 1);
            journal.acknowledge(300);
            long deadline = System.currentTimeMillis() + 5_000;
            while (segmentFiles(dir).size() > 1 && System.currentTimeMillis() < deadline) {
                Thread.sleep(10);
            }
            assertTrue(before > 1);
            assertEquals(1, segmentFiles(dir).size());
            assertEquals(0, journal.stats().pending());
        }
    }

    @Test
    void secondOpenOfTheSameJournalIsRefused() throws Exception {
        Path dir = temp.resolve("j");
        try (EventJournal journal = EventJournal.open(dir, SMALL)) {
            assertEquals(1, journal.stats().nextSeq());
            IOException e = assertThrows(IOException.class, () -> EventJournal.open(dir, SMALL));
            assertTrue(e.getMessage().contains("in use"), e.getMessage());
        }
    }

    @Test
    void oversizedRecordIsRefusedWithoutConsumingANumber() throws Exception {
        try (EventJournal journal = EventJournal.open(temp.resolve("j"), SMALL)) {
            assertThrows(IllegalArgumentException.class, () -> journal.append(1, "gate", s -> new byte[4096]));
            assertEquals(1, journal.append(1, "gate", EventJournalTest::payload).sequence());
        }
    }

    @Test
    void invalidLimitsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new EventJournal.Limits(10_000, 8_192, 2048, 5));
        assertThrows(IllegalArgumentException.class, () -> new EventJournal.Limits(64 * 1024, 1024, 512, 5));
        assertThrows(IllegalArgumentException.class, () -> new EventJournal.Limits(64 * 1024, 8 * 1024, 8 * 1024, 5));
    }
}
