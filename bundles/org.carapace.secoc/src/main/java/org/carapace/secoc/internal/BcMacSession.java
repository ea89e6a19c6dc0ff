package org.carapace.secoc.internal;

import java.util.Arrays;
import org.bouncycastle.crypto.Mac;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.engines.AESEngine;
import org.bouncycastle.crypto.macs.CMac;
import org.bouncycastle.crypto.macs.HMac;
import org.bouncycastle.crypto.params.KeyParameter;
import org.carapace.api.secoc.MacAlgorithm;
import org.carapace.api.secoc.MacSession;

/**
 * A software MAC session on BouncyCastle's lightweight API: AES-128 CMAC (SP 800-38B; the standard JCE has no
 * CMAC) or HMAC-SHA-256. The key schedule and CMAC subkeys are derived once in the constructor; generating and
 * verifying then allocate nothing. {@link #close()} re-initialises the MAC with an all-zero key so that the key
 * schedule BouncyCastle keeps inside is overwritten, and wipes the session's buffers.
 */
final class BcMacSession implements MacSession {

    private final MacAlgorithm algorithm;
    private final String keyId;
    private final Mac mac;
    private final byte[] full;
    private boolean closed;

    BcMacSession(MacAlgorithm algorithm, SecretKeyMaterial key) {
        this.algorithm = algorithm;
        this.keyId = key.keyId();
        if (key.length() < algorithm.minKeyLength() || key.length() > algorithm.maxKeyLength()) {
            throw new IllegalArgumentException("key " + keyId + " has " + key.length() + " bytes; " + algorithm + " needs "
                + algorithm.minKeyLength() + ".." + algorithm.maxKeyLength());
        }
        this.mac = newMac(algorithm);
        byte[] material = key.copy();
        try {
            mac.init(new KeyParameter(material));
        } finally {
            Arrays.fill(material, (byte) 0);
        }
        this.full = new byte[mac.getMacSize()];
    }

    static Mac newMac(MacAlgorithm algorithm) {
        switch (algorithm) {
            case AES_128_CMAC:
                return new CMac(AESEngine.newInstance());
            case HMAC_SHA_256:
                return new HMac(new SHA256Digest());
            default:
                throw new IllegalArgumentException("unsupported algorithm " + algorithm);
        }
    }

    @Override
    public MacAlgorithm algorithm() {
        return algorithm;
    }

    @Override
    public String keyId() {
        return keyId;
    }

    @Override
    public void generate(byte[] data, int offset, int length, byte[] out, int outOffset) {
        if (closed) {
            throw new IllegalStateException("key " + keyId + " was retired");
        }
        mac.update(data, offset, length);
        mac.doFinal(out, outOffset);
    }

    @Override
    public boolean verify(byte[] data, int offset, int length, byte[] expected, int expectedOffset, int macBits) {
        if (closed || macBits < 1 || macBits > 8 * full.length) {
            return false;
        }
        mac.update(data, offset, length);
        mac.doFinal(full, 0);
        return Bits.equalBits(full, 0, expected, expectedOffset, macBits);
    }

    boolean isClosed() {
        return closed;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        mac.init(new KeyParameter(new byte[algorithm.minKeyLength()]));
        Arrays.fill(full, (byte) 0);
    }

    @Override
    public String toString() {
        return "MacSession[" + algorithm + ", key " + keyId + (closed ? ", closed" : "") + "]";
    }
}
