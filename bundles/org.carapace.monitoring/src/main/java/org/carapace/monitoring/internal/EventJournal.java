package org.carapace.monitoring.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongFunction;

/**
 * The crash-safe store-and-forward queue of events: segment files of CRC-protected records with consecutive
 * sequence numbers, a position file, and a group-commit thread.
 *
 * <h2>Guarantees</h2>
 * <ul>
 *   <li><b>Durable before visible.</b> {@link #append} writes the record into the page cache and returns; the
 *       commit thread then calls {@code fdatasync} for everything written so far (group commit: one flush covers every
 *       record appended while the previous flush ran). {@link #read} hands out only records whose flush completed,
 *       so nothing leaves the device that a crash or power loss could take back. {@link #awaitDurable} waits for it.
 *       Numbering and building the payload happen outside the state lock, so readers and the commit thread do not
 *       wait for appends.</li>
 *   <li><b>Sequence numbers are gap-free and never reused.</b> The journal assigns them. After a crash, recovery
 *       keeps the longest valid prefix of each segment (length bounds, CRC-32C, consecutive numbers) and cuts the rest;
 *       records cut there were never flushed, hence never sent, so their numbers are unseen and are assigned again.
 *       The position file also records {@code sentLimit}: the commit thread raises it (written and flushed) over what
 *       it just made durable before any of that is handed out. If damage ever removed records that may have been
 *       sent, numbering resumes above {@code sentLimit} and the lost range is reported, so no number is ever seen
 *       twice with different content.</li>
 *   <li><b>Bounded.</b> When a record would exceed {@code maxBytes}, whole segments are dropped oldest first, even
 *       unacknowledged ones; each drop is reported to the caller (who journals an {@code EVENTS_DROPPED} event).</li>
 *   <li><b>At-least-once delivery in order.</b> Records are read in sequence order from the oldest unacknowledged
 *       one; {@link #acknowledge} moves the position, which is flushed to the position file every
 *       {@code ackFlushMillis}. After a crash the unflushed part of that window is sent again: the back end drops
 *       duplicates by device and sequence number.</li>
 * </ul>
 * A lock file keeps a second process from opening the same journal. Thread-safe.
 */
final class EventJournal implements AutoCloseable {

    /**
     * Size bounds and timing.
     *
     * @param maxBytes the most the segment files may occupy together
     * @param segmentBytes size at which a new segment starts; at most half of {@code maxBytes}
     * @param maxRecordBytes largest record body
     * @param ackFlushMillis how often an advanced acknowledgement position is flushed to the position file
     */
    record Limits(long maxBytes, long segmentBytes, int maxRecordBytes, long ackFlushMillis) {
        Limits {
            if (segmentBytes < 4096) {
                throw new IllegalArgumentException("segmentBytes must be at least 4096, was " + segmentBytes);
            }
            if (maxBytes < 2 * segmentBytes) {
                throw new IllegalArgumentException("maxBytes (" + maxBytes + ") must be at least twice segmentBytes ("
                    + segmentBytes + ")");
            }
            if (maxRecordBytes < 1024 || maxRecordBytes > segmentBytes / 2) {
                throw new IllegalArgumentException("maxRecordBytes must be 1024 to segmentBytes/2, was " + maxRecordBytes);
            }
            if (ackFlushMillis < 1) {
                throw new IllegalArgumentException("ackFlushMillis must be positive, was " + ackFlushMillis);
            }
        }
    }

    /**
     * Events removed before the back end acknowledged them.
     *
     * @param firstSeq first sequence number removed
     * @param lastSeq last sequence number removed
     * @param reason {@code queue-full} (dropped to stay within {@code maxBytes}) or {@code journal-damaged}
     *               (found missing or corrupt at recovery)
     * @param runFirstSeq the first number of the run of consecutive drops this one extends (equal to
     *                    {@code firstSeq} for a new run): every number from it to {@code lastSeq} is gone, including
     *                    earlier drop reports of the same run that were themselves dropped
     */
    record Drop(long firstSeq, long lastSeq, String reason, long runFirstSeq) {
        Drop(long firstSeq, long lastSeq, String reason) {
            this(firstSeq, lastSeq, reason, firstSeq);
        }

        long events() {
            return lastSeq - firstSeq + 1;
        }
    }

    /**
     * The result of an append.
     *
     * @param sequence the number the record got
     * @param drops unacknowledged events dropped to make room, oldest first (usually empty)
     */
    record Appended(long sequence, List<Drop> drops) {
    }

    /**
     * What {@link #open} found and repaired.
     *
     * @param cutBytes bytes cut from torn or damaged segment tails
     * @param badSegments segment files whose header was invalid (moved aside as {@code *.damaged})
     * @param lost ranges of numbers whose records are gone although they may have been sent or were never
     *             acknowledged
     * @param positionDamaged whether the position file held data but no valid slot (everything is sent again)
     */
    record Recovery(long cutBytes, int badSegments, List<Drop> lost, boolean positionDamaged) {
    }

    /** A snapshot for status reports. */
    record Stats(long nextSeq, long durableSeq, long ackedSeq, long sentLimit, long pending, long bytes, int segments,
                 long oldestPendingWallMillis, long droppedEvents, long commits) {
    }

    static final String LOCK_FILE = "lock";
    static final String POSITION_FILE = "position";

    private final Path dir;
    private final Limits limits;
    private final FileChannel lockChannel;
    private final FileLock fileLock;
    private final JournalMeta meta;
    private final Recovery recovery;
    private final TreeMap<Long, JournalSegment> segments = new TreeMap<>();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final Thread committer;
    /** Serialises appends: numbering and payload building happen outside {@link #lock}. */
    private final Object appendLock = new Object();

    // guarded by lock
    private JournalSegment active;
    private long totalBytes;
    private long writtenSeq;
    private long durableSeq;
    private long publishableSeq;
    private long ackedSeq;
    private boolean ackDirty;
    private long lastAckFlushNanos;
    private long droppedEvents;
    private long dropRunFirst;
    private long dropRunLast = -1;
    private long commits;
    private boolean closed;
    private IOException commitFailure;

    // guarded by meta
    private long metaAcked;
    private long metaSentLimit;

    private EventJournal(Path dir, Limits limits, FileChannel lockChannel, FileLock fileLock, JournalMeta meta,
                         JournalMeta.State position) throws IOException {
        this.dir = dir;
        this.limits = limits;
        this.lockChannel = lockChannel;
        this.fileLock = fileLock;
        this.meta = meta;
        this.metaAcked = position.acked();
        this.metaSentLimit = position.sentLimit();
        this.recovery = recover(position);
        this.committer = new Thread(this::commitLoop, "carapace-journal-commit");
        committer.setDaemon(true);
        committer.start();
    }

    /**
     * Opens the journal in {@code dir} (created mode 0700), recovering from any crash.
     *
     * @throws IOException when the directory cannot be used or another process holds the journal
     */
    static EventJournal open(Path dir, Limits limits) throws IOException {
        Files.createDirectories(dir);
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        FileChannel lockChannel = FileChannel.open(dir.resolve(LOCK_FILE), java.util.Set.of(StandardOpenOption.CREATE,
            StandardOpenOption.WRITE), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        JournalMeta meta = null;
        try {
            FileLock fileLock;
            try {
                fileLock = lockChannel.tryLock();
            } catch (OverlappingFileLockException e) {
                fileLock = null;
            }
            if (fileLock == null) {
                throw new IOException("event journal " + dir + " is in use by another runtime");
            }
            JournalMeta.State[] position = new JournalMeta.State[1];
            meta = JournalMeta.open(dir.resolve(POSITION_FILE), position);
            return new EventJournal(dir, limits, lockChannel, fileLock, meta, position[0]);
        } catch (IOException | RuntimeException e) {
            if (meta != null) {
                meta.close();
            }
            lockChannel.close();
            throw e;
        }
    }

    private Recovery recover(JournalMeta.State position) throws IOException {
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> listing = Files.newDirectoryStream(dir, "*" + JournalSegment.SUFFIX)) {
            for (Path file : listing) {
                if (JournalSegment.firstSeqOf(file) > 0) {
                    files.add(file);
                }
            }
        }
        files.sort((a, b) -> Long.compare(JournalSegment.firstSeqOf(a), JournalSegment.firstSeqOf(b)));
        long cut = 0;
        int bad = 0;
        List<Drop> lost = new ArrayList<>();
        long acked = position.acked();
        long expected = -1; // the number the next segment should start with, once one is known
        for (Path file : files) {
            long first = JournalSegment.firstSeqOf(file);
            JournalSegment.Recovered recovered = JournalSegment.recover(file, first, limits.maxRecordBytes());
            if (recovered.condition() == JournalSegment.Condition.BAD_HEADER) {
                bad++;
                cut += recovered.cutBytes();
                Files.move(file, file.resolveSibling(file.getFileName() + ".damaged"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                continue;
            }
            JournalSegment segment = recovered.segment();
            cut += recovered.cutBytes();
            if (expected > 0 && first > expected) {
                addLost(lost, expected, first - 1, acked);
            } else if (expected > 0 && first < expected) {
                // overlaps the previous segment: cannot be produced by this journal; keep the earlier records
                segment.close();
                bad++;
                Files.move(file, file.resolveSibling(file.getFileName() + ".damaged"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                continue;
            }
            segments.put(first, segment);
            totalBytes += segment.size();
            expected = segment.nextSeq();
        }
        boolean positionKnown = position.acked() > 0 || position.sentLimit() > 0;
        // anything below the first segment and above the acknowledged position is gone (when the position is known:
        // without it, the missing head was most likely acknowledged and deleted)
        if (positionKnown && !segments.isEmpty() && segments.firstKey() > acked + 1) {
            addLost(lost, acked + 1, segments.firstKey() - 1, acked);
        }
        long keptEnd = expected > 0 ? expected - 1 : 0;
        long next = Math.max(keptEnd, Math.max(acked, position.sentLimit())) + 1;
        if (next - 1 > keptEnd) {
            // records that may have been sent are gone: never hand out those numbers again
            addLost(lost, keptEnd + 1, next - 1, acked);
        }
        // flush whatever an earlier process wrote but did not flush: it becomes durable before it is sent
        for (JournalSegment segment : segments.values()) {
            segment.force();
        }
        if (segments.isEmpty() || segments.lastEntry().getValue().nextSeq() != next) {
            JournalSegment fresh = JournalSegment.create(dir, next);
            segments.put(next, fresh);
            totalBytes += fresh.size();
        }
        active = segments.lastEntry().getValue();
        writtenSeq = next - 1;
        durableSeq = next - 1;
        ackedSeq = Math.min(Math.max(acked, segments.firstKey() - 1), next - 1);
        if (ackedSeq != position.acked() || next - 1 > position.sentLimit()) {
            synchronized (meta) {
                writeMeta(ackedSeq, next - 1);
            }
        }
        publishableSeq = next - 1;
        deleteAcknowledgedSegments(ackedSeq);
        return new Recovery(cut, bad, List.copyOf(lost), position.damaged());
    }

    private static void addLost(List<Drop> lost, long from, long to, long acked) {
        long start = Math.max(from, acked + 1);
        if (start <= to) {
            lost.add(new Drop(start, to, "journal-damaged"));
        }
    }

    /** What recovery found when this journal was opened. */
    Recovery recovery() {
        return recovery;
    }

    /**
     * Appends one record. {@code payloadFor} receives the sequence number the record gets and returns the bytes to
     * journal, or {@code null} to append nothing (it runs under the journal's lock: keep it short).
     *
     * @return the number and any drops, or {@code null} when {@code payloadFor} returned {@code null}
     *
     * @throws IOException when the record cannot be written (disk full, journal closed)
     * @throws IllegalArgumentException when the record exceeds {@code maxRecordBytes}
     */
    Appended append(long wallMillis, String category, LongFunction<byte[]> payloadFor) throws IOException {
        synchronized (appendLock) {
            long seq;
            lock.lock();
            try {
                ensureOpen();
                seq = active.nextSeq(); // stable until this append: only appends (serialised here) advance it
            } finally {
                lock.unlock();
            }
            // building the payload (encoding, MAC) does not hold the state lock: the publisher and the commit
            // thread keep going meanwhile
            byte[] payload = payloadFor.apply(seq);
            if (payload == null) {
                return null; // the caller decided against it: the number stays unused
            }
            ByteBuffer record = JournalSegment.encode(seq, wallMillis, category, payload);
            int length = record.remaining() - JournalSegment.RECORD_HEADER_BYTES;
            if (length > limits.maxRecordBytes()) {
                throw new IllegalArgumentException("event of " + length + " bytes exceeds maxRecordBytes " + limits.maxRecordBytes());
            }
            lock.lock();
            try {
                ensureOpen();
                if (!active.isEmpty() && active.size() + record.remaining() > limits.segmentBytes()) {
                    roll();
                }
                List<Drop> drops = makeRoom(record.remaining());
                active.append(record);
                totalBytes += record.limit();
                writtenSeq = seq;
                changed.signalAll();
                return new Appended(seq, drops);
            } finally {
                lock.unlock();
            }
        }
    }

    private void ensureOpen() throws IOException {
        if (closed) {
            throw new ClosedChannelException();
        }
        if (commitFailure != null) {
            throw new IOException("the event journal cannot flush to disk: " + commitFailure.getMessage(), commitFailure);
        }
    }

    private void roll() throws IOException {
        active.force();
        durableSeq = Math.max(durableSeq, active.lastSeq());
        JournalSegment next = JournalSegment.create(dir, active.nextSeq());
        segments.put(next.firstSeq, next);
        totalBytes += next.size();
        active = next;
        changed.signalAll();
    }

    private List<Drop> makeRoom(int bytes) throws IOException {
        List<Drop> drops = List.of();
        while (totalBytes + bytes > limits.maxBytes() && segments.size() > 1) {
            JournalSegment oldest = segments.firstEntry().getValue();
            long from = Math.max(ackedSeq + 1, oldest.firstSeq);
            if (from <= oldest.lastSeq()) {
                if (drops.isEmpty()) {
                    drops = new ArrayList<>();
                }
                if (from != dropRunLast + 1) {
                    dropRunFirst = from; // nothing was delivered in between: the run of drops goes on
                }
                dropRunLast = oldest.lastSeq();
                drops.add(new Drop(from, oldest.lastSeq(), "queue-full", dropRunFirst));
                droppedEvents += oldest.lastSeq() - from + 1;
            }
            ackedSeq = Math.max(ackedSeq, oldest.lastSeq());
            // the new position must be on disk before the records go, or recovery would call them lost
            synchronized (meta) {
                writeMeta(ackedSeq, metaSentLimit);
            }
            removeSegment(oldest);
        }
        return drops;
    }

    private void removeSegment(JournalSegment segment) throws IOException {
        segments.remove(segment.firstSeq);
        totalBytes -= segment.size();
        segment.close();
        Files.deleteIfExists(segment.path);
    }

    /** Waits until the record with this number is flushed; answers whether it is. */
    boolean awaitDurable(long seq, long timeoutMillis) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        lock.lock();
        try {
            while (durableSeq < seq && !closed) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                changed.awaitNanos(left);
            }
            return durableSeq >= seq;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Waits until a record above {@code afterSeq} may be handed out (durable, and covered by the sent limit on disk)
     * or the journal closes; answers whether one may.
     */
    boolean awaitRecords(long afterSeq, long timeoutMillis) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        lock.lock();
        try {
            while (publishableSeq <= afterSeq && !closed) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                changed.awaitNanos(left);
            }
            return publishableSeq > afterSeq;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Reads records in order from {@code fromSeq} (or from the oldest still kept, if that was dropped), up to the last
     * one that may be handed out: durable, and at or below the sent limit already on disk.
     */
    List<JournalRecord> read(long fromSeq, int maxRecords, long maxBytes) throws IOException {
        List<JournalRecord> out = new ArrayList<>();
        lock.lock();
        try {
            ensureOpen();
            long upTo = publishableSeq;
            long from = Math.max(fromSeq, segments.firstKey());
            Map.Entry<Long, JournalSegment> entry = segments.floorEntry(from);
            long bytes = 0;
            while (entry != null && from <= upTo && out.size() < maxRecords && bytes < maxBytes) {
                JournalSegment segment = entry.getValue();
                // numbers between segments (reported lost at recovery) have no records: skip over them
                long start = Math.max(from, segment.firstSeq);
                int before = out.size();
                segment.read(start, upTo, maxRecords - out.size(), maxBytes - bytes, out);
                for (int i = before; i < out.size(); i++) {
                    bytes += out.get(i).payload().length;
                }
                long readUpTo = out.size() > before ? out.get(out.size() - 1).sequence() : start - 1;
                if (readUpTo < Math.min(segment.lastSeq(), upTo)) {
                    break; // stopped by maxRecords or maxBytes inside this segment
                }
                from = segment.nextSeq();
                entry = segments.higherEntry(entry.getKey());
            }
        } finally {
            lock.unlock();
        }
        return out;
    }

    /** The oldest sequence number still kept. */
    long firstAvailable() {
        lock.lock();
        try {
            return Math.max(segments.firstKey(), ackedSeq + 1);
        } finally {
            lock.unlock();
        }
    }

    /** Records that the back end acknowledged every event up to and including {@code seq}. */
    void acknowledge(long seq) {
        lock.lock();
        try {
            if (seq > ackedSeq && seq <= publishableSeq) {
                ackedSeq = seq;
                ackDirty = true;
                changed.signalAll();
            }
        } finally {
            lock.unlock();
        }
    }

    Stats stats() throws IOException {
        lock.lock();
        try {
            long oldest = 0;
            long pendingFrom = ackedSeq + 1;
            if (pendingFrom <= writtenSeq) {
                Map.Entry<Long, JournalSegment> entry = segments.floorEntry(pendingFrom);
                if (entry != null) {
                    oldest = entry.getValue().wallMillisOf(pendingFrom);
                }
            }
            long sentLimit;
            synchronized (meta) {
                sentLimit = metaSentLimit;
            }
            return new Stats(writtenSeq + 1, durableSeq, ackedSeq, sentLimit, writtenSeq - ackedSeq, totalBytes,
                segments.size(), oldest, droppedEvents, commits);
        } finally {
            lock.unlock();
        }
    }

    // guarded by meta
    private void writeMeta(long acked, long sentLimit) throws IOException {
        long a = Math.max(metaAcked, acked);
        long s = Math.max(metaSentLimit, sentLimit);
        meta.write(a, s);
        metaAcked = a;
        metaSentLimit = s;
    }

    private void commitLoop() {
        while (true) {
            long target;
            JournalSegment segment;
            long ackToFlush = -1;
            lock.lock();
            try {
                while (!closed && writtenSeq == durableSeq && publishableSeq == durableSeq && !ackFlushDue()) {
                    long waitNanos = ackDirty
                        ? lastAckFlushNanos + TimeUnit.MILLISECONDS.toNanos(limits.ackFlushMillis()) - System.nanoTime()
                        : TimeUnit.SECONDS.toNanos(1);
                    changed.awaitNanos(Math.max(waitNanos, 1));
                }
                if (closed && writtenSeq == durableSeq && publishableSeq == durableSeq && !ackDirty) {
                    return;
                }
                target = writtenSeq;
                segment = active;
                if (ackDirty && (closed || ackFlushDue())) {
                    ackToFlush = ackedSeq;
                    ackDirty = false;
                    lastAckFlushNanos = System.nanoTime();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } finally {
                lock.unlock();
            }
            try {
                if (target > durableSnapshot()) {
                    try {
                        segment.force();
                    } catch (ClosedChannelException e) {
                        // rolled (and flushed) or dropped meanwhile: nothing left to flush in this file
                    }
                }
                long durable;
                lock.lock();
                try {
                    if (target > durableSeq) {
                        durableSeq = target;
                        commits++;
                        changed.signalAll();
                    }
                    durable = durableSeq;
                } finally {
                    lock.unlock();
                }
                // raise the sent limit on disk over everything durable before any of it is handed out; the same
                // write carries an acknowledged position that is due
                synchronized (meta) {
                    if (durable > metaSentLimit || ackToFlush >= 0) {
                        writeMeta(Math.max(ackToFlush, 0), durable);
                    }
                }
                lock.lock();
                try {
                    if (durable > publishableSeq) {
                        publishableSeq = durable;
                        changed.signalAll();
                    }
                    if (ackToFlush >= 0) {
                        deleteAcknowledgedSegments(ackToFlush);
                    }
                } finally {
                    lock.unlock();
                }
            } catch (IOException e) {
                lock.lock();
                try {
                    commitFailure = e;
                    changed.signalAll();
                } finally {
                    lock.unlock();
                }
                return;
            }
        }
    }

    private long durableSnapshot() {
        lock.lock();
        try {
            return durableSeq;
        } finally {
            lock.unlock();
        }
    }

    // guarded by lock
    private boolean ackFlushDue() {
        return ackDirty && System.nanoTime() - lastAckFlushNanos >= TimeUnit.MILLISECONDS.toNanos(limits.ackFlushMillis());
    }

    // guarded by lock; only segments whose acknowledgement is already on disk
    private void deleteAcknowledgedSegments(long persistedAcked) throws IOException {
        while (segments.size() > 1) {
            JournalSegment oldest = segments.firstEntry().getValue();
            if (oldest == active || oldest.lastSeq() > persistedAcked) {
                return;
            }
            removeSegment(oldest);
        }
    }

    /** Flushes everything, records the position and releases the journal. */
    @Override
    public void close() throws IOException {
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            ackDirty = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        try {
            committer.join(TimeUnit.SECONDS.toMillis(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        IOException failure = null;
        lock.lock();
        try {
            try {
                active.force();
                synchronized (meta) {
                    writeMeta(ackedSeq, 0);
                }
            } catch (IOException e) {
                failure = e;
            }
            for (JournalSegment segment : segments.values()) {
                try {
                    segment.close();
                } catch (IOException e) {
                    failure = failure == null ? e : failure;
                }
            }
        } finally {
            lock.unlock();
        }
        meta.close();
        fileLock.release();
        lockChannel.close();
        if (failure != null) {
            throw failure;
        }
    }
}
