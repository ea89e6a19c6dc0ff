package org.carapace.it;

import java.util.ArrayList;
import java.util.List;
import org.carapace.monitoring.internal.MosquittoBroker;
import org.junit.After;

/** A test that starts real processes (runtimes, CLI back ends) and a Mosquitto; everything is stopped after each test. */
abstract class RealRuntimeTest {

    protected final List<Process> processes = new ArrayList<>();
    protected MosquittoBroker broker;

    @After
    public void stopEverything() {
        for (Process process : processes) {
            process.destroyForcibly();
        }
        if (broker != null) {
            broker.close();
        }
    }
}
