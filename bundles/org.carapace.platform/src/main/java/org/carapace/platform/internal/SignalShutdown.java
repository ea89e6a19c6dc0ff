package org.carapace.platform.internal;

import java.io.PrintStream;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.launch.Framework;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * Stops the OSGi framework cleanly when the JVM is asked to exit (SIGTERM, SIGINT, System.exit), so every
 * component deactivates, closes its sockets and flushes its queues. The bnd launcher alone would let the JVM
 * exit with the framework still running.
 */
@Component(configurationPid = SignalShutdown.PID, service = {}, immediate = true)
@Designate(ocd = SignalShutdown.Config.class)
public final class SignalShutdown {

    static final String PID = "org.carapace.platform.shutdown";

    @ObjectClassDefinition(name = "Carapace shutdown")
    @interface Config {
        @AttributeDefinition(name = "Stop timeout (ms)",
            description = "How long a signal waits for the framework to stop before the JVM exits anyway.")
        long stopTimeoutMillis() default 10_000;
    }

    private final Thread hook;
    private volatile long stopTimeoutMillis;

    @Activate
    public SignalShutdown(BundleContext context, Config config) {
        this.stopTimeoutMillis = config.stopTimeoutMillis();
        Bundle system = context.getBundle(0);
        PrintStream out = System.out;
        // everything the hook needs is resolved now: after the framework stops, this bundle's class loader is gone
        this.hook = new Thread(() -> stopFramework(system, out), "carapace-shutdown");
    }

    @Activate
    void start() {
        Runtime.getRuntime().addShutdownHook(hook);
    }

    @Modified
    void modified(Config config) {
        stopTimeoutMillis = config.stopTimeoutMillis();
    }

    @Deactivate
    void stop() {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException alreadyShuttingDown) {
            // the hook is running: it is what deactivates us
        }
    }

    private void stopFramework(Bundle system, PrintStream out) {
        long start = System.nanoTime();
        try {
            system.stop();
            if (system instanceof Framework) {
                FrameworkEvent event = ((Framework) system).waitForStop(stopTimeoutMillis);
                long millis = (System.nanoTime() - start) / 1_000_000;
                out.println(event.getType() == FrameworkEvent.WAIT_TIMEDOUT
                    ? "Carapace runtime did not stop within " + stopTimeoutMillis + " ms; exiting anyway"
                    : "Carapace runtime stopped cleanly in " + millis + " ms");
            }
        } catch (BundleException | InterruptedException | IllegalStateException e) {
            out.println("Carapace runtime stop failed: " + e);
        }
        out.flush();
    }
}
