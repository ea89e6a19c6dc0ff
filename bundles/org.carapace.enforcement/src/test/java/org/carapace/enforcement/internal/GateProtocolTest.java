package org.carapace.enforcement.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.carapace.api.enforcement.GateDecision;
import org.carapace.api.enforcement.Verdict;
import org.carapace.enforcement.internal.GateProtocol.ProtocolException;
import org.carapace.enforcement.internal.GateProtocol.Request;
import org.junit.jupiter.api.Test;

class GateProtocolTest {

    private final ObjectMapper mapper = GateProtocol.mapper(16);

    private Request parse(String text) throws ProtocolException {
        return GateProtocol.parse(text.getBytes(StandardCharsets.UTF_8), mapper);
    }

    private String refusalOf(String text) {
        return assertThrows(ProtocolException.class, () -> parse(text)).getMessage();
    }

    @Test
    void parsesTheOciState() throws ProtocolException {
        Request request = parse("CARAPACE-GATE 1 createRuntime\n{\"ociVersion\":\"1.0.2-dev\",\"id\":\"t1\","
            + "\"status\":\"creating\",\"pid\":16968,\"bundle\":\"/tmp/gx/bundle\",\"annotations\":{\"a\":\"b\"}}");
        assertEquals("createRuntime", request.stage());
        assertEquals("t1", request.state().id());
        assertEquals(16968, request.state().pid());
        assertEquals(Path.of("/tmp/gx/bundle"), request.state().bundle());
        assertEquals("b", request.state().annotations().get("a"));
    }

    @Test
    void gate_requestsThatAreNotOursAreRefused() {
        assertTrue(refusalOf("{\"id\":\"x\"}").contains("header"));
        assertTrue(refusalOf("HELLO 1 createRuntime\n{}").contains("not a Carapace gate request"));
        assertTrue(refusalOf("CARAPACE-GATE 2 createRuntime\n{}").contains("version 2"));
        assertTrue(refusalOf("CARAPACE-GATE 1 create;rm\n{}").contains("stage"));
    }

    @Test
    void gate_malformedStatesAreRefusedNamingTheProblem() {
        String h = "CARAPACE-GATE 1 createRuntime\n";
        assertTrue(refusalOf(h + "{\"id\":\"x\"").contains("not valid JSON"));
        assertTrue(refusalOf(h + "{\"id\":\"x\",\"id\":\"y\",\"bundle\":\"/b\"}").contains("not valid JSON"));
        assertTrue(refusalOf(h + "{\"id\":\"x\",\"bundle\":\"/b\"} trailing").contains("not valid JSON"));
        assertTrue(refusalOf(h + "[1]").contains("not a JSON object"));
        assertTrue(refusalOf(h + "{\"bundle\":\"/b\"}").contains("\"id\""));
        assertTrue(refusalOf(h + "{\"id\":\"x\"}").contains("\"bundle\""));
        assertTrue(refusalOf(h + "{\"id\":\"x\",\"bundle\":\"relative/b\"}").contains("absolute"));
        assertTrue(refusalOf(h + "{\"id\":\"\",\"bundle\":\"/b\"}").contains("empty"));
        assertTrue(refusalOf(h + "{\"id\":7,\"bundle\":\"/b\"}").contains("\"id\" is not a string"));
        assertTrue(refusalOf(h + "{\"id\":\"x\",\"bundle\":\"/b\",\"pid\":\"12\"}").contains("pid"));
        assertTrue(refusalOf(h + "{\"id\":\"x\",\"bundle\":\"/b\",\"annotations\":{\"k\":1}}").contains("annotation k"));
        assertTrue(refusalOf(h + "{\"id\":\"x\",\"bundle\":\"/b\",\"annotations\":" + "[".repeat(40) + "]".repeat(40) + "}")
            .contains("not valid JSON"));
    }

    @Test
    void answerIsOnePrintableLineWithVerdictImageReasonAndDifferences() {
        GateDecision decision = new GateDecision(Verdict.REFUSE, "c1", Path.of("/b"), Optional.empty(),
            Optional.of("sha256:00"), Optional.of("busybox:1"), "enforce", "rootfs digest sha256:00 is not allowed",
            List.of("/bin/sh (content)", "/etc/x (added)"), 10);
        assertEquals("REFUSE image busybox:1: rootfs digest sha256:00 is not allowed; differs at /bin/sh (content), "
            + "/etc/x (added)\n", new String(GateProtocol.answer(decision), StandardCharsets.US_ASCII));
    }

    @Test
    void answerNeutralisesControlCharactersAndIsBounded() {
        String line = new String(GateProtocol.refusal("evil\nALLOW\u001b" + "x".repeat(10_000)), StandardCharsets.US_ASCII);
        assertTrue(line.startsWith("REFUSE evil?ALLOW?x"), line);
        assertEquals(GateProtocol.MAX_ANSWER, line.length());
        assertTrue(line.endsWith("...\n"));
        assertEquals(1, line.chars().filter(c -> c == '\n').count());
        String exact = new String(GateProtocol.refusal("ok"), StandardCharsets.US_ASCII);
        assertEquals("REFUSE ok\n", exact);
    }
}
