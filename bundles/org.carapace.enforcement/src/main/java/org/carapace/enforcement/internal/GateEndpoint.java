package org.carapace.enforcement.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.carapace.api.enforcement.ContainerGate;
import org.carapace.api.enforcement.ContainerGuard;
import org.carapace.api.enforcement.ContainerState;
import org.carapace.api.enforcement.GateDecision;
import org.carapace.api.enforcement.GuardException;
import org.carapace.api.enforcement.Verdict;
import org.carapace.api.events.SecurityEvent;
import org.carapace.api.events.SecurityEventType;
import org.carapace.api.platform.LocalConnection;
import org.carapace.api.platform.SocketEndpoint;
import org.carapace.enforcement.internal.GateProtocol.ProtocolException;
import org.carapace.enforcement.internal.GateProtocol.Request;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.event.Event;
import org.osgi.service.event.EventAdmin;
import org.osgi.service.log.Logger;
import org.osgi.service.log.LoggerFactory;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * Serves the OCI hook on {@code gate.sock}: parses the request, takes the decision within its deadline, lets every
 * {@link ContainerGuard} protect an allowed container before answering, answers one line, then reports the decision
 * as a security event. Every failure on the way is a refusal (fail closed).
 */
@Component(configurationPid = GateEndpoint.PID, configurationPolicy = ConfigurationPolicy.REQUIRE, property = {
    SocketEndpoint.SOCKET_NAME + "=" + GateEndpoint.SOCKET,
    SocketEndpoint.MAX_CONNECTION_MILLIS + ":Long=30000"})
@Designate(ocd = GateEndpoint.Config.class)
public final class GateEndpoint implements SocketEndpoint {

    static final String PID = "org.carapace.enforcement.gate";
    static final String SOCKET = "gate.sock";

    @ObjectClassDefinition(name = "Carapace container gate",
        description = "How the gate serves the OCI createRuntime hook.")
    @interface Config {
        @AttributeDefinition(name = "Decision timeout (ms)",
            description = "A decision not taken within this time is a refusal. Keep it below the hook's --timeout-ms.")
        long decisionTimeoutMillis() default 4_000;

        @AttributeDefinition(name = "Maximum request size (bytes)", description = "Header line plus OCI state JSON.")
        int maxRequestBytes() default 256 * 1024;

        @AttributeDefinition(name = "Maximum JSON nesting depth")
        int maxJsonDepth() default 32;

        @AttributeDefinition(name = "Deciding threads",
            description = "Decisions taken at once (each on its connection's thread); more wait within their deadline.")
        int threads() default 8;
    }

    private static final String SENSOR = "org.carapace.enforcement";

    private final ContainerGate gate;
    private final EventAdmin events;
    private final DecisionLog log;
    private final Logger logger;
    private final long decisionTimeoutMillis;
    private final int maxRequestBytes;
    private final ObjectMapper mapper;
    private final Semaphore deciding;
    private final ScheduledExecutorService timers;
    private final List<ContainerGuard> guards = new CopyOnWriteArrayList<>();

    @Activate
    public GateEndpoint(@Reference ContainerGate gate, @Reference EventAdmin events, @Reference DecisionLog log,
                        @Reference(service = LoggerFactory.class) Logger logger, Config config) {
        if (config.decisionTimeoutMillis() <= 0 || config.maxRequestBytes() < 1024 || config.maxJsonDepth() < 4
            || config.threads() <= 0) {
            throw new IllegalArgumentException("decisionTimeoutMillis and threads must be positive, maxRequestBytes at "
                + "least 1024, maxJsonDepth at least 4");
        }
        this.gate = gate;
        this.events = events;
        this.log = log;
        this.logger = logger;
        this.decisionTimeoutMillis = config.decisionTimeoutMillis();
        this.maxRequestBytes = config.maxRequestBytes();
        this.mapper = GateProtocol.mapper(config.maxJsonDepth());
        this.deciding = new Semaphore(config.threads());
        this.timers = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "carapace-gate-deadline");
            t.setDaemon(true);
            return t;
        });
    }

    @Deactivate
    void stop() {
        timers.shutdownNow();
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addGuard(ContainerGuard guard) {
        guards.add(guard);
    }

    void removeGuard(ContainerGuard guard) {
        guards.remove(guard);
    }

    @Override
    public void serve(LocalConnection connection) throws IOException {
        Request request;
        try {
            request = GateProtocol.parse(connection.readToEnd(maxRequestBytes), mapper);
        } catch (ProtocolException e) {
            logger.warn("Gate: refused a malformed request: {}", e.getMessage());
            connection.write(GateProtocol.refusal("malformed request: " + e.getMessage()));
            post(SecurityEventType.GATE_ERROR, "malformed gate request: " + e.getMessage(), Map.of());
            return;
        } catch (IOException e) {
            connection.write(GateProtocol.refusal("unreadable request: " + e.getMessage()));
            return;
        }
        if (!isGatingStage(request.stage())) {
            connection.write(stopped(request));
            return;
        }
        Answer answer = new Answer(connection);
        GateDecision decision = decideWithin(request.state(), answer);
        if (decision == null) {
            return; // the deadline answered first (a refusal), and reported it
        }
        if (decision.allowsCreation()) {
            decision = guard(decision, request.state());
        }
        // the hook waits for the answer, not for the report: answer first, then log and post the event
        log.record(decision);
        answer.write(GateProtocol.answer(decision));
        report(decision);
    }

    /** OCI poststop and friends: release what guards hold; the runtime ignores the answer's code. */
    private byte[] stopped(Request request) {
        ContainerState state = request.state();
        for (ContainerGuard guard : guards) {
            try {
                guard.containerStopped(state);
            } catch (RuntimeException e) {
                logger.warn("Guard {} failed to release container {}", guard, state.id(), e);
            }
        }
        return GateProtocol.answer(new GateDecision(Verdict.ALLOW, state.id(), state.bundle(), Optional.empty(),
            Optional.empty(), Optional.empty(), "none", request.stage() + " noted", List.of(), 0));
    }

    static boolean isGatingStage(String stage) {
        return "createRuntime".equals(stage) || "createContainer".equals(stage) || "startContainer".equals(stage)
            || "prestart".equals(stage);
    }

    /**
     * Decides on the connection's own thread (no hand-over to another thread on the hook's path) while the deadline
     * timer stands ready to refuse: whichever of the two settles {@code answer} first speaks; a decision that comes
     * after the deadline's refusal is dropped.
     *
     * @return the decision, or null when the deadline refused (and reported) first
     */
    private GateDecision decideWithin(ContainerState state, Answer answer) {
        long start = System.nanoTime();
        ScheduledFuture<?> deadline = timers.schedule(() -> {
            if (answer.settle()) {
                GateDecision refusal = refusal(state, "no decision within " + decisionTimeoutMillis + " ms", start);
                log.record(refusal);
                try {
                    answer.write(GateProtocol.answer(refusal));
                } catch (IOException e) {
                    logger.debug("Gate: the hook of container {} left before its refusal: {}", state.id(), e.getMessage());
                }
                report(refusal);
            }
        }, decisionTimeoutMillis, TimeUnit.MILLISECONDS);
        GateDecision decision;
        boolean acquired = false;
        try {
            acquired = deciding.tryAcquire(decisionTimeoutMillis, TimeUnit.MILLISECONDS);
            decision = acquired ? gate.decide(state)
                : refusal(state, "no decision within " + decisionTimeoutMillis + " ms (all deciding threads busy)", start);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            decision = refusal(state, "interrupted", start);
        } catch (RuntimeException e) {
            logger.error("Gate decision for container {} failed", state.id(), e);
            decision = refusal(state, "decision failed: " + e, start);
        } finally {
            if (acquired) {
                deciding.release();
            }
        }
        if (!answer.settle()) {
            logger.warn("Gate: decision for container {} came after the deadline and was dropped: {} ({})", state.id(),
                decision.verdict(), decision.reason());
            return null;
        }
        deadline.cancel(false);
        return decision;
    }

    private static GateDecision refusal(ContainerState state, String reason, long startNanos) {
        return new GateDecision(Verdict.REFUSE, state.id(), state.bundle(), Optional.empty(), Optional.empty(),
            Optional.empty(), "none", reason, List.of(), (System.nanoTime() - startNanos) / 1000);
    }

    /** The one answer a connection gets: settled once, by the decision or by its deadline. */
    private static final class Answer {
        private final LocalConnection connection;
        private final AtomicBoolean settled = new AtomicBoolean();

        Answer(LocalConnection connection) {
            this.connection = connection;
        }

        boolean settle() {
            return settled.compareAndSet(false, true);
        }

        void write(byte[] bytes) throws IOException {
            connection.write(bytes);
        }
    }

    private GateDecision guard(GateDecision decision, ContainerState state) {
        for (ContainerGuard guard : guards) {
            try {
                guard.containerAllowed(decision, state);
            } catch (GuardException | RuntimeException e) {
                String reason = "protection could not be set up: " + e.getMessage();
                logger.error("Guard refused container {}: {}", state.id(), e.getMessage());
                return new GateDecision(Verdict.REFUSE, decision.containerId(), decision.bundle(), decision.rootfs(),
                    decision.rootfsDigest(), decision.imageName(), decision.mode(), reason, List.of(),
                    decision.durationMicros(), decision.policyDigest());
            }
        }
        return decision;
    }

    private void report(GateDecision decision) {
        SecurityEvent event = event(decision);
        if (decision.verdict() == Verdict.REFUSE) {
            logger.warn("Gate: {}", event.message());
        } else {
            logger.info("Gate: {}", event.message());
        }
        events.postEvent(new Event(event.topic(), event.toProperties(System.currentTimeMillis())));
    }

    /** The security event that reports a decision. */
    static SecurityEvent event(GateDecision decision) {
        SecurityEventType type;
        switch (decision.verdict()) {
            case ALLOW:
                type = "exempt".equals(decision.mode()) ? SecurityEventType.GATE_EXEMPTED : SecurityEventType.GATE_ALLOWED;
                break;
            case AUDIT:
                type = SecurityEventType.GATE_AUDIT_VIOLATION;
                break;
            default:
                type = SecurityEventType.GATE_REFUSED;
                break;
        }
        Map<String, Object> context = new LinkedHashMap<>();
        context.put("containerId", decision.containerId());
        context.put("bundle", decision.bundle().toString());
        decision.rootfsDigest().ifPresent(d -> context.put("rootfsDigest", d));
        decision.imageName().ifPresent(n -> context.put("image", n));
        context.put("mode", decision.mode());
        context.put("reason", decision.reason());
        if (!decision.differences().isEmpty()) {
            context.put("differences", decision.differences());
        }
        context.put("durationMicros", decision.durationMicros());
        String message = decision.verdict() + " container " + decision.containerId()
            + decision.imageName().map(n -> " (image " + n + ")").orElse("") + ": " + decision.reason();
        return SecurityEvent.of(type, SENSOR, message, context);
    }

    private void post(SecurityEventType type, String message, Map<String, Object> context) {
        SecurityEvent event = SecurityEvent.of(type, SENSOR, message, context);
        events.postEvent(new Event(event.topic(), event.toProperties(System.currentTimeMillis())));
    }
}
