package org.carapace.it;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs {@code bin/carapace} the way a user does, its output appended to {@code <work>/cli.log}. */
final class CarapaceCli {

    private CarapaceCli() {
    }

    /** Answers the exit code; fails the test if the command does not finish within 2 minutes. */
    static int run(Path work, String... arguments) throws Exception {
        List<String> command = new ArrayList<>(List.of(RuntimeBundles.home().resolve("bin/carapace").toString()));
        command.addAll(List.of(arguments));
        Process process = new ProcessBuilder(command).redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(work.resolve("cli.log").toFile())).start();
        assertTrue("carapace " + String.join(" ", arguments) + " did not finish", process.waitFor(120, TimeUnit.SECONDS));
        return process.exitValue();
    }

    /** Fails the test unless the command exits 0. */
    static void ok(Path work, String... arguments) throws Exception {
        assertEquals("carapace " + String.join(" ", arguments) + " (see " + work.resolve("cli.log") + ")", 0, run(work, arguments));
    }
}
