package org.carapace.secoc.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * secoc/crash-restart: freshness state survives {@code kill -9}. A separate JVM ({@link CrashChild}) is killed with
 * SIGKILL ({@code Process.destroyForcibly()}) in the middle of a stream and restarted on the same state directory.
 */
class CrashRecoveryTest {

    @TempDir
    Path dir;

    private Process start(String mode) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder builder = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
            CrashChild.class.getName(), mode, dir.toString());
        builder.redirectError(ProcessBuilder.Redirect.INHERIT);
        return builder.start();
    }

    private static void kill9(Process process) throws InterruptedException {
        // SIGKILL on Linux: no shutdown hooks, no finally blocks. Through the handle, so that what the child printed
        // before it died stays readable (Process.destroyForcibly also closes our end of its pipes).
        process.toHandle().destroyForcibly();
        assertTrue(process.waitFor(10, TimeUnit.SECONDS));
        assertEquals(137, process.exitValue(), "killed by signal 9");
    }

    /** A sender killed mid-stream never reuses a freshness value after the restart. */
    @Test
    @Timeout(60)
    void senderNeverReusesAFreshnessValueAcrossKill9() throws Exception {
        long maxBefore = 0;
        Set<Long> used = new HashSet<>();
        for (int round = 0; round < 3; round++) {
            Process child = start("sender");
            BufferedReader in = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.US_ASCII));
            long first = Long.parseLong(in.readLine());
            assertTrue(first > maxBefore, "round " + round + ": first value " + first + " must be above " + maxBefore);
            long last = first;
            used.add(first);
            for (int i = 0; i < 3000 + 1000 * round; i++) {
                long fv = Long.parseLong(in.readLine());
                assertTrue(fv == last + 1, "strictly counting within a run");
                assertTrue(used.add(fv), "value " + fv + " reused");
                last = fv;
            }
            kill9(child);
            // the child runs ahead of this reader: what it printed before it died is still in the pipe
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                long fv = Long.parseLong(line);
                assertTrue(fv == last + 1, "strictly counting within a run");
                assertTrue(used.add(fv), "value " + fv + " reused");
                last = fv;
            }
            long onDisk = new ReservationFile(dir.resolve("crash-tx.fv")).read().getAsLong();
            assertTrue(onDisk > last, "the write-ahead record " + onDisk + " covers every value used (last seen " + last + ")");
            assertTrue(onDisk - last <= 2 * CrashChild.TX_BLOCK + 2, "at most about a block is reserved ahead: " + (onDisk - last));
            maxBefore = onDisk - 1;
        }
    }

    /**
     * A receiver killed mid-stream, then restarted, accepts none of the PDUs it accepted before (UDP datagrams from
     * this process to the child: two processes on loopback), and accepts fresh ones again after at most a block.
     */
    @Test
    @Timeout(60)
    void receiverNeverAcceptsAReplayAcrossKill9() throws Exception {
        SecOcChannel sender = CrashChild.channel(dir.resolve("sender"), "sender", 1024, 16, Runnable::run);
        List<byte[]> sent = new ArrayList<>();
        Set<Long> acceptedBefore = new HashSet<>();
        try (DatagramChannel socket = DatagramChannel.open()) {
            socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            Process child = start("receiver");
            BufferedReader in = reader(child);
            InetSocketAddress target = port(in);
            // stream PDUs; kill the receiver while datagrams are still arriving
            for (int i = 0; i < 400; i++) {
                byte[] pdu = sender.protect(new byte[] {(byte) i, 1, 2, 3, 4, 5, 6, 7});
                sent.add(pdu);
                socket.send(ByteBuffer.wrap(pdu), target);
                if (i < 300) {
                    String line = in.readLine();
                    assertTrue(line.startsWith("OK "), line);
                    acceptedBefore.add(Long.parseLong(line.substring(3)));
                }
            }
            kill9(child);
            // what the receiver accepted and printed before it died, still in the pipe, counts as accepted too
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                if (line.startsWith("OK ")) {
                    acceptedBefore.add(Long.parseLong(line.substring(3)));
                }
            }
            assertTrue(acceptedBefore.size() >= 300);

            child = start("receiver");
            in = reader(child);
            target = port(in);
            // every earlier PDU again, in order: the ones accepted before must all be refused
            int acceptedAgain = 0;
            for (byte[] pdu : sent) {
                socket.send(ByteBuffer.wrap(pdu), target);
                String line = in.readLine();
                if (line.startsWith("OK ")) {
                    long fv = Long.parseLong(line.substring(3));
                    assertTrue(!acceptedBefore.contains(fv), "replay of " + fv + " accepted after kill -9");
                    acceptedAgain++;
                } else {
                    assertTrue(line.startsWith("DROP FRESHNESS_FAILURE"), line);
                }
            }
            assertTrue(acceptedAgain <= 100, "only PDUs never processed before the kill may verify: " + acceptedAgain);
            // fresh PDUs verify again once past the receiver's reservation
            int fresh = 0;
            for (int i = 0; i < 2 * CrashChild.RX_BLOCK + 2; i++) {
                byte[] pdu = sender.protect(new byte[8]);
                socket.send(ByteBuffer.wrap(pdu), target);
                if (in.readLine().startsWith("OK ")) {
                    fresh++;
                }
            }
            assertTrue(fresh >= CrashChild.RX_BLOCK, "fresh PDUs accepted after the restart: " + fresh);
            child.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static BufferedReader reader(Process child) {
        return new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.US_ASCII));
    }

    private static InetSocketAddress port(BufferedReader in) throws IOException {
        String line = in.readLine();
        assertTrue(line != null && line.startsWith("PORT "), String.valueOf(line));
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), Integer.parseInt(line.substring(5)));
    }
}
