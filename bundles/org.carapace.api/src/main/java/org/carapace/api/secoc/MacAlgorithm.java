package org.carapace.api.secoc;

/** The message authentication algorithms a channel may use. */
public enum MacAlgorithm {
    /** AES-128 CMAC (NIST SP 800-38B, RFC 4493): the algorithm of SecOC profiles 1, 2 and 3. 128-bit key. */
    AES_128_CMAC(128, 16, 16),
    /** HMAC-SHA-256 (RFC 2104, FIPS 180-4). Keys of 16 (the security of AES-128) to 64 bytes. */
    HMAC_SHA_256(256, 16, 64);

    private final int macLength;
    private final int minKeyLength;
    private final int maxKeyLength;

    MacAlgorithm(int macLength, int minKeyLength, int maxKeyLength) {
        this.macLength = macLength;
        this.minKeyLength = minKeyLength;
        this.maxKeyLength = maxKeyLength;
    }

    /** Length of the complete (untruncated) MAC in bits. */
    public int macLength() {
        return macLength;
    }

    /** Shortest key accepted, in bytes. */
    public int minKeyLength() {
        return minKeyLength;
    }

    /** Longest key accepted, in bytes. */
    public int maxKeyLength() {
        return maxKeyLength;
    }
}
