package org.carapace.it;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.ops4j.pax.exam.CoreOptions.options;
import static org.ops4j.pax.exam.CoreOptions.systemProperty;
import static org.ops4j.pax.exam.CoreOptions.systemTimeout;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.inject.Inject;
import org.carapace.api.admin.AdminCommand;
import org.carapace.it.victim.VictimActivator;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.ops4j.pax.exam.util.Filter;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;

/**
 * The installer's optional self-test, in a real Felix with the dev runtime's bundles: a small bundle (built here, its
 * activator registers a {@code SelfTest}) is updated over the air; the version whose self-test fails is rolled back
 * automatically, the one whose self-test passes becomes active, and the self-tests really ran.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class OtaSelfTestIT {

    static final Path DATA = RuntimeBundles.work().resolve("ota-selftest-data");
    static final Path RUN = RuntimeBundles.work().resolve("ota-selftest-run");
    static final Path FIXTURES = RuntimeBundles.work().resolve("ota-selftest-fixtures");
    static final String VICTIM = "org.carapace.it.victim";

    @Inject
    BundleContext context;

    @Inject
    @Filter(value = "(" + AdminCommand.COMMAND_NAME + "=ota.status)", timeout = 60_000)
    AdminCommand status;

    @Configuration
    public Option[] configuration() throws Exception {
        OtaSelfTestFixtures.write();
        List<Option> options = new ArrayList<>(RuntimeBundles.options("dev", DATA, RUN,
            Map.of("carapace.ota.healthTimeoutMillis", "5000")));
        options.add(systemProperty("gosh.args").value("--nointeractive"));
        options.add(systemTimeout(120_000));
        return options(options.toArray(new Option[0]));
    }

    private Bundle victimBundle() {
        for (Bundle bundle : context.getBundles()) {
            if (VICTIM.equals(bundle.getSymbolicName())) {
                return bundle;
            }
        }
        throw new AssertionError(VICTIM + " is not installed");
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> outcome(String name) throws Exception {
        long deadline = System.currentTimeMillis() + 60_000;
        while (System.currentTimeMillis() < deadline) {
            for (Object o : (List<Object>) status.execute(Map.of()).get("recent")) {
                Map<String, Object> recent = (Map<String, Object>) o;
                if (name.equals(recent.get("package"))) {
                    return recent;
                }
            }
            Thread.sleep(100);
        }
        throw new AssertionError("no outcome for " + name + ": " + status.execute(Map.of()));
    }

    private static void drop(String name) throws IOException {
        Path inbox = DATA.resolve("ota/inbox");
        Files.copy(FIXTURES.resolve(name + ".ota"), inbox.resolve(name + ".part"), StandardCopyOption.REPLACE_EXISTING);
        Files.move(inbox.resolve(name + ".part"), inbox.resolve(name + ".ota"), StandardCopyOption.ATOMIC_MOVE);
    }

    @Test
    public void aFailingSelfTestRollsBackAndAPassingOneCommits() throws Exception {
        Bundle victim = context.installBundle(FIXTURES.resolve("victim-1.0.0.jar").toUri().toString());
        victim.start();
        assertEquals(Bundle.ACTIVE, victim.getState());

        drop("victim-broken");
        Map<String, Object> broken = outcome("victim-broken");
        assertEquals(broken.toString(), "rolled-back", broken.get("state"));
        assertEquals("HEALTH_CHECK_FAILED", broken.get("reason"));
        assertTrue(broken.toString(), String.valueOf(broken.get("message")).contains("victim 1.0.1 cannot do its job"));
        assertEquals("1.0.0", victimBundle().getVersion().toString());
        assertEquals(Bundle.ACTIVE, victimBundle().getState());
        int runs = Integer.getInteger(VictimActivator.RUNS, 0);
        assertTrue("the failing self-test and the restored one's ran: " + runs, runs >= 2);

        drop("victim-good");
        Map<String, Object> good = outcome("victim-good");
        assertEquals(good.toString(), "active", good.get("state"));
        assertEquals("1.0.2", victimBundle().getVersion().toString());
        assertEquals(Bundle.ACTIVE, victimBundle().getState());
        assertTrue("the passing self-test ran", Integer.getInteger(VictimActivator.RUNS, 0) > runs);
        String state = new String(Files.readAllBytes(DATA.resolve("ota/state.json")), StandardCharsets.UTF_8);
        assertTrue(state, state.contains("\"releaseCounter\" : 2"));
    }
}
