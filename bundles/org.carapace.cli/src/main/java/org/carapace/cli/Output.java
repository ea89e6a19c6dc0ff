package org.carapace.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.PrintWriter;
import picocli.CommandLine.Option;

/**
 * The {@code --json} switch every command carries, and where output goes. Human output is for people and may
 * change; JSON output is an interface: keys are only ever added.
 */
public final class Output {

    @Option(names = "--json", description = "Print machine-readable JSON instead of text.")
    boolean json;

    private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    public boolean json() {
        return json;
    }

    /** Prints a value as indented JSON. */
    public static void printJson(PrintWriter out, Object value) {
        try {
            out.println(MAPPER.writeValueAsString(value));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise output", e);
        }
        out.flush();
    }

    public static ObjectMapper mapper() {
        return MAPPER;
    }
}
