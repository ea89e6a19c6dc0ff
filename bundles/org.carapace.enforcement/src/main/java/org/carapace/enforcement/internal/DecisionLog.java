package org.carapace.enforcement.internal;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.carapace.api.enforcement.GateDecision;
import org.carapace.api.enforcement.Verdict;
import org.osgi.service.component.annotations.Component;

/** Counts decisions and keeps the most recent ones for {@code gate.status}. Thread-safe. */
@Component(service = DecisionLog.class)
public final class DecisionLog {

    static final int RECENT = 20;

    private final Map<Verdict, Long> counts = new EnumMap<>(Verdict.class);
    private final Deque<GateDecision> recent = new ArrayDeque<>();

    synchronized void record(GateDecision decision) {
        counts.merge(decision.verdict(), 1L, Long::sum);
        recent.addFirst(decision);
        if (recent.size() > RECENT) {
            recent.removeLast();
        }
    }

    synchronized Map<String, Object> snapshot() {
        Map<String, Object> result = new LinkedHashMap<>();
        Map<String, Object> byVerdict = new LinkedHashMap<>();
        for (Verdict verdict : Verdict.values()) {
            byVerdict.put(verdict.name().toLowerCase(java.util.Locale.ROOT), counts.getOrDefault(verdict, 0L));
        }
        result.put("decisions", byVerdict);
        List<Map<String, Object>> list = new ArrayList<>();
        for (GateDecision d : recent) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("verdict", d.verdict().name());
            m.put("containerId", d.containerId());
            d.imageName().ifPresent(n -> m.put("image", n));
            d.rootfsDigest().ifPresent(x -> m.put("rootfsDigest", x));
            m.put("mode", d.mode());
            m.put("reason", d.reason());
            if (!d.differences().isEmpty()) {
                m.put("differences", d.differences());
            }
            m.put("durationMicros", d.durationMicros());
            list.add(m);
        }
        result.put("recent", list);
        return result;
    }
}
