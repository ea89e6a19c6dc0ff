package org.carapace.bench.secoc;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;
import org.bouncycastle.crypto.engines.AESEngine;
import org.bouncycastle.crypto.macs.CMac;
import org.bouncycastle.crypto.params.KeyParameter;
import org.carapace.api.secoc.SecOcProfile;
import org.carapace.api.secoc.SecuredChannel;
import org.carapace.api.secoc.VerificationResult;
import org.carapace.api.secoc.VerifiedPdu;
import org.carapace.secoc.internal.SecOcTool;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * SecOC protect and verify per second on one thread (one core), for CAN (8-byte) and CAN FD (64-byte) payloads,
 * profiles 1 and 3, with persistent freshness, next to the baseline: BouncyCastle AES-CMAC alone over the same
 * data-to-authenticate bytes (2-byte Data ID, payload, complete freshness value).
 *
 * <p>Verification needs a new, fresh PDU each time: each invocation of {@link #verify} checks a batch of
 * {@value Verifier#BATCH} PDUs that a sender channel with the same key protected outside the measurement.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class SecOcBenchmark {

    static final byte[] KEY = HexFormat.of().parseHex("2b7e151628aed2a6abf7158809cf4f3c");

    /** The layout and the channels of one parameter combination. */
    @State(Scope.Thread)
    public static class Layout {
        @Param({"1", "3"})
        public int profile;

        @Param({"8", "64"})
        public int payloadLength;

        /** Freshness values reserved per write-ahead record (sender and receiver). */
        @Param({"65536"})
        public long block;

        // JMH may hand different instances of this state to different fixtures: keep it to parameters only

        SecuredChannel channel(String name) throws Exception {
            Path dir = Files.createTempDirectory("secoc-bench-" + name);
            return profile == 3 ? SecOcTool.jasparChannel(name, KEY.clone(), 0x0456, dir, block, block)
                : SecOcTool.counterChannel(name, SecOcProfile.PROFILE_1.parameters(32), KEY.clone(), 0x0123, dir, block, block);
        }
    }

    /** A sender for {@link #protect}. */
    @State(Scope.Thread)
    public static class Protector {
        SecuredChannel sender;
        byte[] payload;
        byte[] out;

        @Setup(Level.Trial)
        public void setUp(Layout layout) throws Exception {
            sender = layout.channel("protect");
            payload = new byte[layout.payloadLength];
            out = new byte[sender.parameters().securedLength(layout.payloadLength)];
        }
    }

    /** A receiver and batches of fresh PDUs for {@link #verify}. */
    @State(Scope.Thread)
    public static class Verifier {
        static final int BATCH = 4096;
        SecuredChannel sender;
        SecuredChannel receiver;
        byte[] payload;
        int securedLength;
        byte[][] batch;
        final VerifiedPdu result = new VerifiedPdu();
        long failures;
        long invocations;
        String firstFailure;

        @Setup(Level.Trial)
        public void setUp(Layout layout) throws Exception {
            sender = layout.channel("tx");
            receiver = layout.channel("rx");
            payload = new byte[layout.payloadLength];
            securedLength = sender.parameters().securedLength(payload.length);
            batch = new byte[BATCH][securedLength];
        }

        @Setup(Level.Invocation)
        public void protectBatch() throws Exception {
            for (int i = 0; i < BATCH; i++) {
                payload[0] = (byte) i;
                sender.protect(payload, 0, payload.length, batch[i], 0);
            }
        }

        @TearDown(Level.Trial)
        public void check() {
            if (failures != 0) {
                throw new IllegalStateException(failures + " verifications failed in the benchmark, first: " + firstFailure);
            }
        }
    }

    /** The baseline's MAC and input. */
    @State(Scope.Thread)
    public static class Baseline {
        CMac cmac;
        byte[] input;
        final byte[] mac = new byte[16];

        @Setup(Level.Trial)
        public void setUp(Layout layout) {
            cmac = new CMac(AESEngine.newInstance());
            cmac.init(new KeyParameter(KEY));
            // Data ID (2) | payload | complete FV: 4 bytes (profile 1, 32-bit FV) or 8 (profile 3)
            input = new byte[2 + layout.payloadLength + (layout.profile == 3 ? 8 : 4)];
        }
    }

    @Benchmark
    public int protect(Protector p) throws Exception {
        return p.sender.protect(p.payload, 0, p.payload.length, p.out, 0);
    }

    @Benchmark
    @OperationsPerInvocation(Verifier.BATCH)
    public int verify(Verifier v) {
        int ok = 0;
        for (int i = 0; i < Verifier.BATCH; i++) {
            VerificationResult r = v.receiver.verify(v.batch[i], 0, v.securedLength, v.result);
            if (r == VerificationResult.SUCCESS) {
                ok++;
            } else if (v.firstFailure == null) {
                v.firstFailure = r + " in invocation " + v.invocations + " at " + i;
            }
        }
        v.invocations++;
        v.failures += Verifier.BATCH - ok;
        return ok;
    }

    /** Baseline: one AES-CMAC over the data to authenticate, nothing else. */
    @Benchmark
    public byte[] baselineCmac(Baseline b) {
        b.cmac.update(b.input, 0, b.input.length);
        b.cmac.doFinal(b.mac, 0);
        return b.mac;
    }
}
