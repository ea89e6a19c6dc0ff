package org.carapace.it.victim;

import org.carapace.api.ota.SelfTest;
import org.osgi.framework.BundleActivator;
import org.osgi.framework.BundleContext;

/**
 * The activator of a small bundle that {@link org.carapace.it.OtaSelfTestIT} builds in several versions and updates
 * over the air: it registers a {@link SelfTest} that passes or fails as its manifest header
 * {@code X-Carapace-Victim-SelfTest} says, and counts its runs in a system property the test reads.
 */
public final class VictimActivator implements BundleActivator {

    public static final String RUNS = "carapace.it.victim.selfTests";

    @Override
    public void start(BundleContext context) {
        String verdict = context.getBundle().getHeaders().get("X-Carapace-Victim-SelfTest");
        String version = context.getBundle().getVersion().toString();
        context.registerService(SelfTest.class, () -> {
            synchronized (VictimActivator.class) {
                System.setProperty(RUNS, Integer.toString(Integer.getInteger(RUNS, 0) + 1));
            }
            if (!"pass".equals(verdict)) {
                throw new IllegalStateException("victim " + version + " cannot do its job");
            }
        }, null);
    }

    @Override
    public void stop(BundleContext context) {
        // the framework unregisters the service
    }
}
