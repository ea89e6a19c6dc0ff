package org.carapace.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MainTest {

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        return Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
    }

    @Test
    void helpListsTheCommandsAndExitsZero() {
        assertEquals(0, run("--help"));
        assertTrue(out.toString().contains("version"), out.toString());
        assertTrue(out.toString().contains("status"), out.toString());
    }

    @Test
    void unknownCommandIsUsageErrorTwo() {
        assertEquals(2, run("no-such-command"));
        assertTrue(err.toString().contains("no-such-command"), err.toString());
    }

    @Test
    void noCommandIsUsageErrorTwo() {
        assertEquals(2, run());
    }

    @Test
    void statusWithoutARuntimeSaysSoAndExitsTwo(@TempDir Path runDir) {
        assertEquals(2, run("status", "--run-dir", runDir.toString()));
        assertTrue(err.toString().contains("not running"), err.toString());
    }
}
