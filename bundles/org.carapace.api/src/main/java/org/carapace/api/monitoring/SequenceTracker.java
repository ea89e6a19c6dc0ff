package org.carapace.api.monitoring;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The back end's view of each device's sequence numbers: detects duplicates (QoS 1 redelivery, replays), gaps
 * (lost or dropped events), late arrivals and conflicting events that reuse a number.
 *
 * <p>Feed it only events whose authenticator verified. For each device it keeps the highest number seen, the
 * authenticator tags of the last {@code window} numbers (an anti-replay window like IPsec's, RFC 4303 §3.4.3) and
 * the open gaps. A number at or below {@code highest - window} cannot be told apart from a replay and is
 * {@link Verdict#STALE}. Thread-safe.
 */
public final class SequenceTracker {

    /** What one observed sequence number means. */
    public enum Verdict {
        /** The first number seen from this device. */
        FIRST(true),
        /** The next number: {@code highest + 1}. */
        IN_ORDER(true),
        /** New, but numbers between the previous highest and this one are missing: see the gap. */
        AFTER_GAP(true),
        /** New and below the highest: it fills (part of) a gap or precedes the first number seen. */
        LATE(true),
        /** Seen before with the same authenticator: a redelivery or a replay. Drop it. */
        DUPLICATE(false),
        /** Seen before with a different authenticator: the device reused a number, or its key was abused. */
        CONFLICT(false),
        /** Too far below the highest to tell from a replay. */
        STALE(false);

        private final boolean accepted;

        Verdict(boolean accepted) {
            this.accepted = accepted;
        }

        /** Whether the event is new and should be processed. */
        public boolean accepted() {
            return accepted;
        }
    }

    /**
     * The classification of one event.
     *
     * @param verdict what it means
     * @param deviceId the device
     * @param sequence the number observed
     * @param gapFrom first missing number when {@code verdict} is {@link Verdict#AFTER_GAP}, else 0
     * @param gapTo last missing number when {@code verdict} is {@link Verdict#AFTER_GAP}, else 0
     */
    public record Observation(Verdict verdict, String deviceId, long sequence, long gapFrom, long gapTo) {
    }

    /**
     * Numbers missing from one device's stream, inclusive.
     *
     * @param deviceId the device
     * @param from first missing number
     * @param to last missing number
     */
    public record Gap(String deviceId, long from, long to) {
        public long size() {
            return to - from + 1;
        }
    }

    /**
     * What a tracker remembers of one device across restarts (without the tags of the window).
     *
     * @param deviceId the device
     * @param highest the highest number seen
     * @param gaps the open gaps, oldest first
     */
    public record DeviceState(String deviceId, long highest, List<Gap> gaps) {
        public DeviceState {
            gaps = List.copyOf(gaps);
        }
    }

    /** Open gaps kept per device; beyond this the oldest are forgotten (and counted). */
    public static final int MAX_GAPS_PER_DEVICE = 1024;

    private final int window;
    private final Map<String, Device> devices = new HashMap<>();

    /** @param window how many recent numbers per device are remembered (anti-replay window), at least 1 */
    public SequenceTracker(int window) {
        if (window < 1 || window > 1 << 24) {
            throw new IllegalArgumentException("window must be 1 to 2^24, was " + window);
        }
        this.window = window;
    }

    /**
     * Classifies one verified event.
     *
     * @param tag the event's authenticator (any bytes unique to the payload; the first 8 are used)
     */
    public synchronized Observation observe(String deviceId, long sequence, byte[] tag) {
        Objects.requireNonNull(deviceId, "deviceId");
        if (sequence < 1) {
            throw new IllegalArgumentException("sequence must be at least 1, was " + sequence);
        }
        long digest = digest(tag);
        Device device = devices.get(deviceId);
        if (device == null) {
            device = new Device(window);
            devices.put(deviceId, device);
            device.highest = sequence;
            device.record(sequence, digest);
            return new Observation(Verdict.FIRST, deviceId, sequence, 0, 0);
        }
        if (sequence > device.highest) {
            long from = device.highest + 1;
            device.highest = sequence;
            device.record(sequence, digest);
            if (sequence == from) {
                return new Observation(Verdict.IN_ORDER, deviceId, sequence, 0, 0);
            }
            device.addGap(from, sequence - 1);
            return new Observation(Verdict.AFTER_GAP, deviceId, sequence, from, sequence - 1);
        }
        if (sequence <= device.highest - window) {
            return new Observation(Verdict.STALE, deviceId, sequence, 0, 0);
        }
        int slot = device.slot(sequence);
        if (device.seqs[slot] == sequence) {
            Verdict verdict = device.digests[slot] == digest ? Verdict.DUPLICATE : Verdict.CONFLICT;
            return new Observation(verdict, deviceId, sequence, 0, 0);
        }
        boolean inGap = device.fillGap(sequence);
        if (!inGap && sequence <= device.restoredHighest) {
            // seen before the restart; its tag is not remembered
            return new Observation(Verdict.DUPLICATE, deviceId, sequence, 0, 0);
        }
        device.record(sequence, digest);
        return new Observation(Verdict.LATE, deviceId, sequence, 0, 0);
    }

    /** The open gaps of every device, by device then number. */
    public synchronized List<Gap> openGaps() {
        List<Gap> gaps = new ArrayList<>();
        new TreeMap<>(devices).forEach((id, device) -> device.gaps.forEach((from, to) -> gaps.add(new Gap(id, from, to))));
        return gaps;
    }

    /** How many old gaps were forgotten because a device had more than {@link #MAX_GAPS_PER_DEVICE}. */
    public synchronized long forgottenGaps() {
        return devices.values().stream().mapToLong(d -> d.forgottenGaps).sum();
    }

    /** The highest number seen from a device, or 0. */
    public synchronized long highest(String deviceId) {
        Device device = devices.get(deviceId);
        return device == null ? 0 : device.highest;
    }

    /** What to persist to continue after a restart. */
    public synchronized List<DeviceState> snapshot() {
        List<DeviceState> states = new ArrayList<>();
        new TreeMap<>(devices).forEach((id, device) -> {
            List<Gap> gaps = new ArrayList<>();
            device.gaps.forEach((from, to) -> gaps.add(new Gap(id, from, to)));
            states.add(new DeviceState(id, device.highest, gaps));
        });
        return states;
    }

    /**
     * Continues from a snapshot: numbers at or below a device's restored highest count as duplicates unless they
     * fill one of its restored gaps.
     */
    public synchronized void restore(List<DeviceState> states) {
        for (DeviceState state : states) {
            Device device = new Device(window);
            device.highest = state.highest();
            device.restoredHighest = state.highest();
            for (Gap gap : state.gaps()) {
                device.addGap(gap.from(), gap.to());
            }
            devices.put(state.deviceId(), device);
        }
    }

    private static long digest(byte[] tag) {
        Objects.requireNonNull(tag, "tag");
        long digest = 0;
        for (int i = 0; i < Math.min(8, tag.length); i++) {
            digest = digest << 8 | (tag[i] & 0xFF);
        }
        return digest;
    }

    private static final class Device {
        final long[] seqs;
        final long[] digests;
        final TreeMap<Long, Long> gaps = new TreeMap<>();
        long highest;
        long restoredHighest;
        long forgottenGaps;

        Device(int window) {
            seqs = new long[window];
            digests = new long[window];
        }

        int slot(long sequence) {
            return (int) (sequence % seqs.length);
        }

        void record(long sequence, long digest) {
            int slot = slot(sequence);
            seqs[slot] = sequence;
            digests[slot] = digest;
        }

        void addGap(long from, long to) {
            gaps.put(from, to);
            while (gaps.size() > MAX_GAPS_PER_DEVICE) {
                gaps.pollFirstEntry();
                forgottenGaps++;
            }
        }

        /** Removes {@code sequence} from the gap that holds it; answers whether one did. */
        boolean fillGap(long sequence) {
            Map.Entry<Long, Long> gap = gaps.floorEntry(sequence);
            if (gap == null || gap.getValue() < sequence) {
                return false;
            }
            long from = gap.getKey();
            long to = gap.getValue();
            gaps.remove(from);
            if (from < sequence) {
                gaps.put(from, sequence - 1);
            }
            if (sequence < to) {
                gaps.put(sequence + 1, to);
            }
            return true;
        }
    }
}
