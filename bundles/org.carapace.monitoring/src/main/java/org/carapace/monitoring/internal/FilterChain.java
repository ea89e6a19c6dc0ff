package org.carapace.monitoring.internal;

import java.time.Clock;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.carapace.api.events.SecurityEventType;
import org.carapace.api.monitoring.QualifiedEvent;

/**
 * The IdsM filter chain: per event type reporting mode, forward-every-Nth, aggregation over a window (counts
 * summed) and threshold; then the device-wide rate and traffic limits. Everything a stage drops is counted per
 * type; limit drops are also summarised once per limit interval so they can be reported as an event.
 *
 * <p>Windows and intervals run on the injected clock (production: a monotonic clock, so wall-clock steps do not
 * stretch or cut windows). Thread-safe.
 */
final class FilterChain {

    /**
     * An event the per-type filters let through.
     *
     * @param occurrence the event, with its count summed over an aggregation window
     * @param rule the rule that applied
     * @param bypass whether it skipped the per-type filters (a {@code *_BYPASSING_FILTERS} mode)
     * @param merged how many received events it stands for (aggregation)
     */
    record Forward(Occurrence occurrence, FilterRule rule, boolean bypass, int merged) {
        boolean brief() {
            return rule.mode().brief();
        }
    }

    /**
     * Events the device-wide limits dropped during one interval.
     *
     * @param rateLimited dropped by the event-rate limit
     * @param trafficLimited dropped by the traffic (bytes) limit
     * @param byType dropped per type name
     * @param intervalMillis the interval
     */
    record LimitSummary(long rateLimited, long trafficLimited, Map<String, Long> byType, long intervalMillis) {
        long total() {
            return rateLimited + trafficLimited;
        }
    }

    /** Counters of one type; "events" are EventAdmin events, not the occurrences they stand for. */
    static final class Counters {
        long received;
        long forwarded;
        long off;
        long everyNth;
        long aggregated;
        long threshold;
        long rateLimited;
        long trafficLimited;
        long errors;

        Map<String, Long> toMap() {
            Map<String, Long> map = new LinkedHashMap<>();
            map.put("received", received);
            map.put("forwarded", forwarded);
            map.put("droppedOff", off);
            map.put("droppedEveryNth", everyNth);
            map.put("aggregated", aggregated);
            map.put("droppedThreshold", threshold);
            map.put("droppedRateLimit", rateLimited);
            map.put("droppedTrafficLimit", trafficLimited);
            map.put("errors", errors);
            return map;
        }

        void add(Counters other) {
            received += other.received;
            forwarded += other.forwarded;
            off += other.off;
            everyNth += other.everyNth;
            aggregated += other.aggregated;
            threshold += other.threshold;
            rateLimited += other.rateLimited;
            trafficLimited += other.trafficLimited;
            errors += other.errors;
        }
    }

    private static final class Window {
        final Occurrence first;
        final FilterRule rule;
        final long endMillis;
        int count;
        int events;

        Window(Occurrence first, FilterRule rule, long endMillis) {
            this.first = first;
            this.rule = rule;
            this.endMillis = endMillis;
            this.count = first.count();
            this.events = 1;
        }
    }

    private final Clock clock;
    private final Map<SecurityEventType, Counters> counters = new EnumMap<>(SecurityEventType.class);
    private final Map<SecurityEventType, Long> nth = new EnumMap<>(SecurityEventType.class);
    private final Map<SecurityEventType, Window> windows = new EnumMap<>(SecurityEventType.class);
    private Map<SecurityEventType, FilterRule> rules = Map.of();
    private DeviceLimits limits;
    private long limitWindowStart;
    private long limitEvents;
    private long limitBytes;
    private long limitRateDropped;
    private long limitTrafficDropped;
    private final Map<String, Long> limitDroppedByType = new TreeMap<>();
    private final List<LimitSummary> summaries = new ArrayList<>();

    FilterChain(Clock clock, DeviceLimits limits) {
        this.clock = clock;
        this.limits = limits;
        this.limitWindowStart = clock.millis();
    }

    /** Replaces the per-type rules; an open aggregation window keeps the rule it started with. */
    synchronized void setRules(Map<SecurityEventType, FilterRule> newRules) {
        rules = Map.copyOf(newRules);
    }

    synchronized void setLimits(DeviceLimits newLimits) {
        limits = newLimits;
    }

    synchronized FilterRule ruleFor(SecurityEventType type) {
        FilterRule rule = rules.get(type);
        return rule != null ? rule : DEFAULTS.get(type);
    }

    private static final Map<SecurityEventType, FilterRule> DEFAULTS = new EnumMap<>(SecurityEventType.class);

    static {
        for (SecurityEventType type : SecurityEventType.values()) {
            DEFAULTS.put(type, FilterRule.defaultFor(type));
        }
    }

    /** Runs the per-type filters; answers what to forward now (an earlier window may close as a side effect). */
    synchronized List<Forward> accept(Occurrence occurrence) {
        SecurityEventType type = occurrence.type();
        Counters c = counters(type);
        c.received++;
        FilterRule rule = ruleFor(type);
        if (rule.mode() == ReportingMode.OFF) {
            c.off++;
            return List.of();
        }
        if (rule.mode().bypassesFilters()) {
            return List.of(new Forward(occurrence, rule, true, 1));
        }
        long n = nth.merge(type, 1L, Long::sum);
        if (rule.forwardEveryNth() > 1 && (n - 1) % rule.forwardEveryNth() != 0) {
            c.everyNth++;
            return List.of();
        }
        if (rule.aggregationWindowMillis() == 0) {
            return List.of(new Forward(occurrence, rule, false, 1));
        }
        List<Forward> out = new ArrayList<>(1);
        long now = clock.millis();
        Window window = windows.get(type);
        if (window != null && (now >= window.endMillis || window.count + occurrence.count() > QualifiedEvent.MAX_COUNT)) {
            // the window ended (or its count would overflow the 16-bit IdsM count): report it, start another
            windows.remove(type);
            close(window, out);
            window = null;
        }
        if (window == null) {
            windows.put(type, new Window(occurrence, rule, now + rule.aggregationWindowMillis()));
        } else {
            window.count += occurrence.count();
            window.events++;
            c.aggregated++;
        }
        return out;
    }

    /** Closes every aggregation window whose time is up; answers the events to forward. */
    synchronized List<Forward> expire() {
        long now = clock.millis();
        List<Forward> out = new ArrayList<>();
        for (Iterator<Window> it = windows.values().iterator(); it.hasNext();) {
            Window window = it.next();
            if (now >= window.endMillis) {
                it.remove();
                close(window, out);
            }
        }
        return out;
    }

    /** Closes every open window now (shutdown): nothing aggregated so far is lost. */
    synchronized List<Forward> drain() {
        List<Forward> out = new ArrayList<>();
        for (Window window : windows.values()) {
            close(window, out);
        }
        windows.clear();
        return out;
    }

    private void close(Window window, List<Forward> out) {
        if (window.rule.threshold() > 1 && window.count < window.rule.threshold()) {
            counters(window.first.type()).threshold += window.events;
            return;
        }
        out.add(new Forward(window.first.withCount(window.count), window.rule, false, window.events));
    }

    /** The device-wide limits: whether an event of {@code bytes} may be journalled now. */
    synchronized boolean admit(Forward forward, int bytes) {
        if (forward.bypass() && !limits.applyToBypass()) {
            return true;
        }
        rollLimitWindow();
        Counters c = counters(forward.occurrence().type());
        if (limits.maxEvents() > 0 && limitEvents >= limits.maxEvents()) {
            c.rateLimited++;
            limitRateDropped++;
            limitDroppedByType.merge(forward.occurrence().type().name(), 1L, Long::sum);
            return false;
        }
        if (limits.maxBytes() > 0 && limitBytes + bytes > limits.maxBytes()) {
            c.trafficLimited++;
            limitTrafficDropped++;
            limitDroppedByType.merge(forward.occurrence().type().name(), 1L, Long::sum);
            return false;
        }
        limitEvents++;
        limitBytes += bytes;
        return true;
    }

    private void rollLimitWindow() {
        long now = clock.millis();
        if (now - limitWindowStart < limits.intervalMillis()) {
            return;
        }
        if (limitRateDropped + limitTrafficDropped > 0) {
            summaries.add(new LimitSummary(limitRateDropped, limitTrafficDropped, new TreeMap<>(limitDroppedByType),
                limits.intervalMillis()));
        }
        limitWindowStart = now;
        limitEvents = 0;
        limitBytes = 0;
        limitRateDropped = 0;
        limitTrafficDropped = 0;
        limitDroppedByType.clear();
    }

    /** Summaries of limit drops of intervals that have ended, each once. */
    synchronized List<LimitSummary> takeLimitSummaries() {
        rollLimitWindow();
        List<LimitSummary> out = List.copyOf(summaries);
        summaries.clear();
        return out;
    }

    synchronized void countForwarded(SecurityEventType type) {
        counters(type).forwarded++;
    }

    synchronized void countError(SecurityEventType type) {
        counters(type).errors++;
    }

    /** Counters per type that saw any event, and their total under {@code "total"}. */
    synchronized Map<String, Map<String, Long>> counters() {
        Map<String, Map<String, Long>> out = new LinkedHashMap<>();
        Counters total = new Counters();
        for (Map.Entry<SecurityEventType, Counters> entry : counters.entrySet()) {
            out.put(entry.getKey().name(), entry.getValue().toMap());
            total.add(entry.getValue());
        }
        out.put("total", total.toMap());
        return out;
    }

    private Counters counters(SecurityEventType type) {
        return counters.computeIfAbsent(type, t -> new Counters());
    }
}
