package org.carapace.secoc.internal;

import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.file.Path;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import org.carapace.api.secoc.FreshnessType;
import org.carapace.api.secoc.MacAlgorithm;
import org.carapace.api.secoc.MacSession;
import org.carapace.api.secoc.SecOcParameters;
import org.carapace.api.secoc.VerificationResult;
import org.carapace.api.secoc.VerifiedPdu;

/**
 * The process that {@link CrashRecoveryTest} kills with SIGKILL. {@code sender DIR}: protects PDUs as fast as it can
 * and prints each freshness value after using it. {@code receiver DIR}: verifies the Secured I-PDUs arriving as UDP
 * datagrams on an ephemeral loopback port (printed first as {@code PORT n}) and prints {@code OK fv} for each
 * accepted one. Freshness state lives in DIR, with the channel's real write-ahead reservations.
 */
public final class CrashChild {

    static final SecOcParameters LAYOUT = new SecOcParameters(0, 32, 32, 64, MacAlgorithm.AES_128_CMAC, 1);
    static final long TX_BLOCK = 64;
    static final long RX_BLOCK = 16;

    private CrashChild() {
    }

    static SecOcChannel channel(Path dir, String name, long txBlock, long rxBlock, Executor background) throws Exception {
        long ceiling = CounterFreshness.ceiling(32);
        CounterFreshness freshness = new CounterFreshness(32, 0,
            new Reservation(new ReservationFile(dir.resolve(name + "-tx.fv")), txBlock, ceiling, background),
            new Reservation(new ReservationFile(dir.resolve(name + "-rx.fv")), rxBlock, ceiling, background));
        MacSession tx = Fixtures.session(MacAlgorithm.AES_128_CMAC, Fixtures.RFC4493_KEY);
        MacSession rx = Fixtures.session(MacAlgorithm.AES_128_CMAC, Fixtures.RFC4493_KEY);
        return new SecOcChannel(name, 0x0777, LAYOUT, 64, FreshnessType.COUNTER, freshness, tx, new MacSession[] {rx},
            FailureSink.IGNORE);
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[1]);
        Executor background = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "reservations");
            t.setDaemon(true);
            return t;
        });
        PrintStream out = new PrintStream(System.out, false);
        if (args[0].equals("sender")) {
            sender(channel(dir, "crash", TX_BLOCK, RX_BLOCK, background), out);
        } else {
            receiver(channel(dir, "crash", TX_BLOCK, RX_BLOCK, background), out);
        }
    }

    private static void sender(SecOcChannel channel, PrintStream out) throws Exception {
        byte[] pdu = new byte[LAYOUT.securedLength(8)];
        byte[] payload = new byte[8];
        while (true) {
            channel.protect(payload, 0, 8, pdu, 0);
            // the FV is the first 4 trailer bytes (the complete 32-bit value is transmitted)
            out.println(Bits.read(pdu, 8 * 8, 32));
            out.flush();
        }
    }

    private static void receiver(SecOcChannel channel, PrintStream out) throws Exception {
        try (DatagramChannel socket = DatagramChannel.open()) {
            socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            out.println("PORT " + ((InetSocketAddress) socket.getLocalAddress()).getPort());
            out.flush();
            ByteBuffer buffer = ByteBuffer.allocate(256);
            VerifiedPdu result = new VerifiedPdu();
            while (true) {
                buffer.clear();
                socket.receive(buffer);
                VerificationResult r = channel.verify(buffer.array(), 0, buffer.position(), result);
                out.println(r == VerificationResult.SUCCESS ? "OK " + result.freshnessValue() : "DROP " + r);
                out.flush();
            }
        }
    }
}
