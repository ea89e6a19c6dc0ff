package org.carapace.platform.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class ComponentHealthTest {

    @Test
    void aFailedActivationIsReportedByItsInnermostCause() {
        String failure = "java.lang.reflect.InvocationTargetException\n\tat a.B.c(B.java:1)\n"
            + "Caused by: java.lang.RuntimeException: wrapper\n\tat d.E.f(E.java:2)\n"
            + "Caused by: java.lang.IllegalArgumentException: threads must be positive\n\tat g.H.i(H.java:3)\n\t... 120 more\n";
        assertEquals("java.lang.IllegalArgumentException: threads must be positive", ComponentHealth.cause(failure));
    }

    @Test
    void aFailureWithoutCauseIsItsFirstLine() {
        assertEquals("java.lang.IllegalStateException: no key",
            ComponentHealth.cause("java.lang.IllegalStateException: no key\n\tat x.Y.z(Y.java:9)"));
        assertEquals("(no reason given)", ComponentHealth.cause(null));
    }
}
