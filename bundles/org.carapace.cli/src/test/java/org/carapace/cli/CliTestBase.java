package org.carapace.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** Runs the CLI in-process as a pipeline would: files in a temporary directory, output and exit code captured. */
public abstract class CliTestBase {

    @TempDir
    protected static Path dir;

    protected static StringWriter out;
    protected static StringWriter err;

    protected static int run(String... args) {
        out = new StringWriter();
        err = new StringWriter();
        return Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
    }

    /** A file in the test's directory. */
    protected static String f(String name) {
        return dir.resolve(name).toString();
    }

    /** What the last command printed, as JSON. */
    protected static JsonNode json() throws Exception {
        return new ObjectMapper().readTree(out.toString());
    }
}
