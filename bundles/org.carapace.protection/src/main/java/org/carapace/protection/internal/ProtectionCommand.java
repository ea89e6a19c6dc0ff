package org.carapace.protection.internal;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.carapace.api.admin.AdminCommand;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * {@code protection}: the protected containers with their mode, counters and decision latency (admin socket,
 * {@code carapace protection}).
 */
@Component(service = AdminCommand.class, property = {
    AdminCommand.COMMAND_NAME + "=protection",
    AdminCommand.COMMAND_DESCRIPTION + "=protected containers, denials and decision latency"})
public final class ProtectionCommand implements AdminCommand {

    private final ProtectionGuard guard;

    @Activate
    public ProtectionCommand(@Reference ProtectionGuard guard) {
        this.guard = guard;
    }

    @Override
    public Map<String, Object> execute(Map<String, Object> arguments) {
        List<Object> containers = new ArrayList<>();
        for (ProtectedContainer c : guard.engine().containers().values()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", c.id);
            c.image.ifPresent(i -> m.put("image", i));
            m.put("mode", c.mode().name().toLowerCase(Locale.ROOT));
            m.put("rules", c.origin);
            m.put("pid", c.initPid);
            m.put("readOnlyImage", c.readOnlyCovered);
            m.put("responder", c.nativeResponder != null ? "native" : "java");
            m.put("mountsMarked", c.markedMounts.size());
            m.put("imageFiles", c.imageFiles.size());
            m.put("trustedDigests", c.trustedDigests.size());
            NativeResponder n = c.nativeResponder;
            long[] stats = n == null ? new long[NativeResponder.STATS] : n.stats();
            m.put("events", c.events.get() + stats[0]);
            m.put("answeredNatively", stats[1]);
            m.put("denied", c.denied.get());
            m.put("audited", c.audited.get());
            m.put("hashed", c.cacheMisses.get());
            m.put("deadlinesMissed", c.deadlines.get());
            LatencyHistogram l = c.latencySnapshot();
            m.put("latencyMicros", Map.of("p50", l.percentileMicros(0.5), "p99", l.percentileMicros(0.99),
                "p999", l.percentileMicros(0.999), "count", l.count()));
            containers.add(m);
        }
        return Map.of("containers", containers);
    }
}
