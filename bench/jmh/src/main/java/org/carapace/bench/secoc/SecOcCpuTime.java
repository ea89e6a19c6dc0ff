package org.carapace.bench.secoc;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import org.bouncycastle.crypto.engines.AESEngine;
import org.bouncycastle.crypto.macs.CMac;
import org.bouncycastle.crypto.params.KeyParameter;
import org.carapace.api.secoc.SecOcProfile;
import org.carapace.api.secoc.SecuredChannel;
import org.carapace.api.secoc.VerificationResult;
import org.carapace.api.secoc.VerifiedPdu;
import org.carapace.secoc.internal.SecOcTool;

/**
 * Companion of {@link SecOcBenchmark} for a shared machine: the same protect, verify and baseline loops, timed by the
 * measuring thread's own CPU time ({@code ThreadMXBean}), so the result is operations per CPU-second of one core
 * however busy the other cores are. Eight rounds of 409 600 verifications and 400 000 protections and baseline MACs;
 * the last round is printed. Run: see docs/benchmarks.md.
 */
public final class SecOcCpuTime {

    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    private static final byte[] KEY = HexFormat.of().parseHex("2b7e151628aed2a6abf7158809cf4f3c");
    private static final int BATCH = 4096;
    private static final int OPS = 400_000;

    private SecOcCpuTime() {
    }

    public static void main(String[] args) throws Exception {
        for (int profile : new int[] {1, 3}) {
            for (int n : new int[] {8, 64}) {
                measure(profile, n);
            }
        }
    }

    private static void measure(int profile, int n) throws Exception {
        Path dir = Files.createTempDirectory("secoc-cpu");
        SecuredChannel tx = channel(profile, dir.resolve("tx"));
        SecuredChannel rx = channel(profile, dir.resolve("rx"));
        SecuredChannel protector = channel(profile, dir.resolve("p"));
        byte[] payload = new byte[n];
        int length = tx.parameters().securedLength(n);
        byte[][] batch = new byte[BATCH][length];
        byte[] out = new byte[length];
        VerifiedPdu result = new VerifiedPdu();
        CMac cmac = new CMac(AESEngine.newInstance());
        cmac.init(new KeyParameter(KEY));
        byte[] input = new byte[2 + n + (profile == 3 ? 8 : 4)];
        byte[] mac = new byte[16];
        double verify = 0;
        double protect = 0;
        double baseline = 0;
        for (int round = 0; round < 8; round++) {
            long ops = 0;
            long cpu = 0;
            for (int k = 0; k < 100; k++) {
                for (int i = 0; i < BATCH; i++) {
                    payload[0] = (byte) i;
                    tx.protect(payload, 0, n, batch[i], 0);
                }
                long start = THREADS.getCurrentThreadCpuTime();
                for (int i = 0; i < BATCH; i++) {
                    if (rx.verify(batch[i], 0, length, result) != VerificationResult.SUCCESS) {
                        throw new IllegalStateException("verification failed in the benchmark");
                    }
                }
                cpu += THREADS.getCurrentThreadCpuTime() - start;
                ops += BATCH;
            }
            verify = ops * 1e9 / cpu;
            long start = THREADS.getCurrentThreadCpuTime();
            for (int i = 0; i < OPS; i++) {
                protector.protect(payload, 0, n, out, 0);
            }
            protect = OPS * 1e9 / (THREADS.getCurrentThreadCpuTime() - start);
            start = THREADS.getCurrentThreadCpuTime();
            for (int i = 0; i < OPS; i++) {
                cmac.update(input, 0, input.length);
                cmac.doFinal(mac, 0);
            }
            baseline = OPS * 1e9 / (THREADS.getCurrentThreadCpuTime() - start);
        }
        System.out.printf("profile %d, %2d-byte payload: verify %,.0f/s  protect %,.0f/s  baseline CMAC %,.0f/s per CPU-second%n",
            profile, n, verify, protect, baseline);
    }

    private static SecuredChannel channel(int profile, Path dir) throws Exception {
        Files.createDirectories(dir);
        return profile == 3 ? SecOcTool.jasparChannel("c", KEY.clone(), 0x0456, dir, 65536, 65536)
            : SecOcTool.counterChannel("c", SecOcProfile.PROFILE_1.parameters(32), KEY.clone(), 0x0123, dir, 65536, 65536);
    }
}
