package org.carapace.it;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;
import static org.ops4j.pax.exam.CoreOptions.options;
import static org.ops4j.pax.exam.CoreOptions.systemProperty;
import static org.ops4j.pax.exam.CoreOptions.systemTimeout;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import javax.inject.Inject;
import org.carapace.api.events.SecurityEvent;
import org.carapace.api.policy.ContainerContext;
import org.carapace.api.policy.PolicyChange;
import org.carapace.api.policy.PolicyService;
import org.carapace.api.policy.PolicySnapshot;
import org.carapace.api.policy.PolicyStatus;
import org.carapace.api.trust.RollbackException;
import org.carapace.api.trust.TrustException;
import org.carapace.api.trust.TrustService;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.event.Event;
import org.osgi.service.event.EventConstants;
import org.osgi.service.event.EventHandler;

/**
 * The policy store in a real Felix with exactly the {@code dev} runtime's bundles and configuration: the trust anchor
 * provisioned as a file before start, the {@link PolicyService} API, the EventAdmin announcements with old and new
 * versions, security events, the admin socket and the Gogo command.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class PolicyDevRuntimeIT {

    static final Path DATA = RuntimeBundles.work().resolve("policy-dev-data");
    static final Path RUN = RuntimeBundles.work().resolve("policy-dev-run");
    static final Path FIXTURES = RuntimeBundles.work().resolve("policy-dev-fixtures");

    @Inject
    BundleContext context;

    @Inject
    PolicyService policy;

    @Inject
    TrustService trust;

    @Configuration
    public Option[] configuration() {
        PolicyFixtures.write(DATA, FIXTURES, "it-vehicle-7");
        List<Option> options = new ArrayList<>(RuntimeBundles.options("dev", DATA, RUN));
        options.add(systemProperty("gosh.args").value("--nointeractive"));
        options.add(systemTimeout(120_000));
        return options(options.toArray(new Option[0]));
    }

    @Test
    public void provisionedAnchorThenInstallVerifyRefuseAndAnnounce() throws Exception {
        assertEquals("the anchor provisioned as a file is the root", 1L, trust.root().orElseThrow().version());
        PolicyStatus initial = policy.status();
        assertEquals(PolicyStatus.State.EMPTY, initial.state());
        assertTrue(policy.snapshot().isEmpty());
        assertEquals(DATA.resolve("policy").toRealPath(), initial.directory().toRealPath());

        LinkedBlockingQueue<Event> events = new LinkedBlockingQueue<>();
        Dictionary<String, Object> topics = new Hashtable<>();
        topics.put(EventConstants.EVENT_TOPIC, new String[] {PolicyService.TOPIC_CHANGED, SecurityEvent.TOPIC_ROOT + "/policy/*"});
        ServiceRegistration<EventHandler> handler = context.registerService(EventHandler.class, events::add, topics);
        try {
            PolicyChange first = policy.install(Files.readAllBytes(FIXTURES.resolve("base-v1.signed")));
            assertEquals(1, first.version());
            PolicySnapshot v1 = policy.snapshot();
            assertEquals("navigation", v1.lookup(PolicyFixtures.NAV).orElseThrow().rule().name());
            assertTrue(v1.lookup(PolicyFixtures.MEDIA).isEmpty());
            assertEquals("platform-agent", v1.exemptionFor(new ContainerContext("agent", Path.of("/run/carapace/bundles/agent"),
                Map.of("org.carapace.exempt", "agent"))).orElseThrow().name());
            Event changed = next(events, PolicyService.TOPIC_CHANGED);
            assertEquals("base", changed.getProperty(PolicyService.PROP_STREAM));
            assertEquals(0L, changed.getProperty(PolicyService.PROP_OLD_VERSION));
            assertEquals(1L, changed.getProperty(PolicyService.PROP_NEW_VERSION));
            assertEquals("install", changed.getProperty(PolicyService.PROP_CAUSE));
            assertEquals("POLICY_INSTALLED", next(events, SecurityEvent.TOPIC_ROOT + "/policy/POLICY_INSTALLED")
                .getProperty(SecurityEvent.PROP_TYPE));

            policy.install(Files.readAllBytes(FIXTURES.resolve("base-v2.signed")));
            Event second = next(events, PolicyService.TOPIC_CHANGED);
            assertEquals(1L, second.getProperty(PolicyService.PROP_OLD_VERSION));
            assertEquals(2L, second.getProperty(PolicyService.PROP_NEW_VERSION));
            assertEquals(2, second.getProperty(PolicyService.PROP_IMAGE_COUNT));
            assertTrue("a snapshot never changes under its reader", v1.lookup(PolicyFixtures.MEDIA).isEmpty());
            PolicySnapshot v2 = policy.snapshot();
            assertEquals("media", v2.lookup(PolicyFixtures.MEDIA).orElseThrow().rule().name());

            try {
                policy.install(Files.readAllBytes(FIXTURES.resolve("base-v1.signed")));
                fail("a rollback must be refused");
            } catch (RollbackException e) {
                assertEquals(TrustException.Reason.ROLLBACK, e.reason());
            }
            Event rejected = next(events, SecurityEvent.TOPIC_ROOT + "/policy/POLICY_REJECTED");
            assertEquals("ROLLBACK", ((Map<?, ?>) rejected.getProperty(SecurityEvent.PROP_CONTEXT)).get("reason"));
            assertEquals(v2.generation(), policy.snapshot().generation());
            assertEquals(Map.of("base", 2L), policy.snapshot().versions());
        } finally {
            handler.unregister();
        }

        String gogo = gogo("policy");
        assertTrue(gogo, gogo.contains("in force: {base=2}; 2 images"));
        assertTrue(gogo, gogo.contains("navigation"));
        assertTrue(gogo, gogo.contains("last refusal"));
        String answer = HeadunitRuntimeIT.exchange(RUN.resolve("admin.sock"), "{\"command\":\"policy.status\"}\n");
        assertTrue(answer, answer.contains("\"versions\":{\"base\":2}"));
        assertTrue(answer, answer.contains("\"reason\":\"ROLLBACK\""));
    }

    @Test
    public void everyPolicyComponentIsActive() throws Exception {
        assertFalse(context.getServiceReferences(org.carapace.api.admin.AdminCommand.class,
            "(" + org.carapace.api.admin.AdminCommand.COMMAND_NAME + "=policy.install)").isEmpty());
        assertFalse(context.getServiceReferences(org.carapace.api.admin.AdminCommand.class,
            "(" + org.carapace.api.admin.AdminCommand.COMMAND_NAME + "=trust.install)").isEmpty());
        String trustText = gogo("trust");
        assertTrue(trustText, trustText.contains("anchor.json"));
    }

    /** Calls a Gogo command function of scope {@code carapace} the way the shell would. */
    private String gogo(String function) throws Exception {
        ServiceReference<?>[] refs = context.getServiceReferences((String) null,
            "(&(osgi.command.scope=carapace)(osgi.command.function=" + function + "))");
        assertNotNull("no Gogo command carapace:" + function, refs);
        Object command = context.getService(refs[0]);
        try {
            return (String) command.getClass().getMethod(function).invoke(command);
        } finally {
            context.ungetService(refs[0]);
        }
    }

    private static Event next(LinkedBlockingQueue<Event> events, String topic) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        List<String> skipped = new ArrayList<>();
        while (System.nanoTime() < deadline) {
            Event event = events.poll(100, TimeUnit.MILLISECONDS);
            if (event != null && event.getTopic().equals(topic)) {
                return event;
            }
            if (event != null) {
                skipped.add(event.getTopic());
            }
        }
        throw new AssertionError("no event on " + topic + " within 30 s; saw " + skipped);
    }
}
