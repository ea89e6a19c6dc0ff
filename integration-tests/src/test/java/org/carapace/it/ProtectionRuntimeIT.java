package org.carapace.it;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;
import static org.ops4j.pax.exam.CoreOptions.options;

import java.nio.file.Path;
import java.util.Collection;
import javax.inject.Inject;
import org.carapace.api.enforcement.ContainerGuard;
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
import org.osgi.framework.ServiceReference;

/**
 * The protection bundle in the headunit runtime: JNA (a bundle with native code) and the bundle's own native
 * responder library load inside Felix, and the guard registers as the gate's {@link ContainerGuard} with the
 * profile's configuration (its activation fails when either library cannot be loaded).
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class ProtectionRuntimeIT {

    static final Path DATA = RuntimeBundles.work().resolve("protection-data");
    static final Path RUN = RuntimeBundles.work().resolve("protection-run");

    @Inject
    BundleContext context;

    /** Waits for the guard: Pax Exam may start the test before the last components of the runtime are up. */
    @Inject
    @Filter(timeout = 60_000)
    ContainerGuard anyGuard;

    @Configuration
    public Option[] configuration() {
        return options(RuntimeBundles.options("headunit", DATA, RUN).toArray(new Option[0]));
    }

    @Test
    public void theGuardIsRegisteredWithJnaAndTheNativeResponderLoaded() throws Exception {
        Bundle jna = bundle("com.sun.jna");
        assertEquals(Bundle.ACTIVE, jna.getState());
        Bundle protection = bundle("org.carapace.protection");
        assertEquals(Bundle.ACTIVE, protection.getState());
        assertNotNull("the native responder travels in the bundle",
            protection.getEntry("linux-x86-64/libcarapace-responder.so") != null
                ? protection.getEntry("linux-x86-64/libcarapace-responder.so")
                : protection.getEntry("linux-aarch64/libcarapace-responder.so"));
        // the guard is registered once the Configurator has applied the profile: settled within 30 s
        Collection<ServiceReference<ContainerGuard>> guards = context.getServiceReferences(ContainerGuard.class, null);
        for (long deadline = System.nanoTime() + 30_000_000_000L; guards.isEmpty() && System.nanoTime() < deadline;) {
            Thread.sleep(100);
            guards = context.getServiceReferences(ContainerGuard.class, null);
        }
        assertTrue("a ContainerGuard from the protection bundle: " + guards, guards.stream()
            .anyMatch(r -> r.getBundle().getSymbolicName().equals("org.carapace.protection")));
        ServiceReference<ContainerGuard> ref = guards.iterator().next();
        ContainerGuard guard = context.getService(ref);
        try {
            assertNotNull(guard);
        } finally {
            context.ungetService(ref);
        }
    }

    private Bundle bundle(String symbolicName) {
        for (Bundle b : context.getBundles()) {
            if (symbolicName.equals(b.getSymbolicName())) {
                return b;
            }
        }
        throw new AssertionError("bundle " + symbolicName + " is not installed");
    }
}
