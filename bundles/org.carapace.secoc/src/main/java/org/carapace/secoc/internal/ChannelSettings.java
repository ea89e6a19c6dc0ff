package org.carapace.secoc.internal;

import java.util.Locale;
import java.util.regex.Pattern;
import org.carapace.api.secoc.FreshnessType;
import org.carapace.api.secoc.MacAlgorithm;
import org.carapace.api.secoc.SecOcParameters;
import org.carapace.api.secoc.SecOcProfile;

/**
 * A channel's configuration, resolved against its profile preset and validated: a channel that cannot keep the
 * guarantees of docs/secoc.md refuses to start with a message naming the setting.
 */
record ChannelSettings(String name, int dataId, SecOcProfile profile, SecOcParameters parameters, FreshnessType freshnessType,
                       String keyId, String previousKeyId, long window, long timestampTickMillis, long txReserveBlock,
                       long rxReserveBlock, int maxAuthenticLength, String stateDirectory, long eventIntervalMillis) {

    static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1,64}");
    static final Pattern KEY_ID = Pattern.compile("[A-Za-z0-9._:-]{1,128}");

    static ChannelSettings from(ChannelConfiguration c) {
        String name = c.secoc_name();
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("name must match " + NAME + ", was '" + name + "'");
        }
        String where = "channel " + name + ": ";
        try {
            return resolve(c, name);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + e.getMessage(), e);
        }
    }

    private static ChannelSettings resolve(ChannelConfiguration c, String name) {
        if (c.secoc_dataId() < 0 || c.secoc_dataId() > 0xFFFF) {
            throw new IllegalArgumentException("dataId must be 0..65535, was " + c.secoc_dataId());
        }
        SecOcProfile profile = c.profile() == null || c.profile().isBlank() ? null : SecOcProfile.parse(c.profile());
        MacAlgorithm algorithm = c.algorithm() == null || c.algorithm().isBlank() ? MacAlgorithm.AES_128_CMAC
            : enumValue(MacAlgorithm.class, "algorithm", c.algorithm());
        if (profile != null && algorithm != MacAlgorithm.AES_128_CMAC) {
            throw new IllegalArgumentException("profile " + profile.number() + " uses AES_128_CMAC, not " + algorithm);
        }
        int freshnessLength = c.freshnessLength() >= 0 ? c.freshnessLength()
            : profile != null && profile.fixesFreshnessLength() ? profile.parameters().freshnessLength() : -1;
        if (freshnessLength < 0) {
            throw new IllegalArgumentException(profile == null ? "freshnessLength must be set (0..64) without a profile"
                : "profile " + profile.number() + " does not fix the freshness value length: set freshnessLength");
        }
        int txLength = c.freshnessTxLength() >= 0 ? c.freshnessTxLength() : profile != null ? profile.freshnessTxLength() : -1;
        if (txLength < 0) {
            throw new IllegalArgumentException("freshnessTxLength must be set without a profile");
        }
        int macLength = c.macLength() >= 0 ? c.macLength() : profile != null ? profile.macLength() : -1;
        if (macLength < 0) {
            throw new IllegalArgumentException("macLength must be set without a profile");
        }
        if (c.minimumMacLength() < 1) {
            throw new IllegalArgumentException("minimumMacLength must be at least 1, was " + c.minimumMacLength());
        }
        if (macLength < c.minimumMacLength()) {
            throw new IllegalArgumentException("macLength " + macLength + " is below the policy minimum " + c.minimumMacLength());
        }
        int header = c.headerLength() >= 0 ? c.headerLength() : 0;
        SecOcParameters parameters = new SecOcParameters(header, freshnessLength, txLength, macLength, algorithm, c.verifyAttempts());
        FreshnessType type = c.freshnessType() == null || c.freshnessType().isBlank()
            ? profile != null ? profile.freshnessType() : freshnessLength == 0 ? FreshnessType.NONE : FreshnessType.COUNTER
            : enumValue(FreshnessType.class, "freshnessType", c.freshnessType());
        if ((type == FreshnessType.NONE) != (freshnessLength == 0)) {
            throw new IllegalArgumentException("freshnessType NONE goes with freshnessLength 0 and only with it (type " + type
                + ", length " + freshnessLength + ")");
        }
        if (c.keyId() == null || !KEY_ID.matcher(c.keyId()).matches()) {
            throw new IllegalArgumentException("keyId must match " + KEY_ID + ", was '" + c.keyId() + "'");
        }
        String previous = c.previousKeyId() == null ? "" : c.previousKeyId().trim();
        if (!previous.isEmpty() && (!KEY_ID.matcher(previous).matches() || previous.equals(c.keyId()))) {
            throw new IllegalArgumentException("previousKeyId must be another valid key id or empty, was '" + previous + "'");
        }
        if (c.window() < 0) {
            throw new IllegalArgumentException("window must not be negative, was " + c.window());
        }
        if (type == FreshnessType.TIMESTAMP && c.window() < 1) {
            throw new IllegalArgumentException("TIMESTAMP freshness needs an acceptance window (window >= 1 tick)");
        }
        if (c.timestampTickMillis() < 1) {
            throw new IllegalArgumentException("timestampTickMillis must be at least 1, was " + c.timestampTickMillis());
        }
        if (type == FreshnessType.JASPAR_SYNC && txLength != freshnessLength) {
            throw new IllegalArgumentException("JASPAR_SYNC messages carry the complete trip and reset counters: "
                + "freshnessTxLength must equal freshnessLength");
        }
        if (c.maxAuthenticLength() < 0 || c.maxAuthenticLength() > Math.min(65_507, parameters.maxAuthenticLength())) {
            throw new IllegalArgumentException("maxAuthenticLength must be 0.." + Math.min(65_507, parameters.maxAuthenticLength())
                + ", was " + c.maxAuthenticLength());
        }
        if (c.eventIntervalMillis() < 10 || c.eventIntervalMillis() > 3_600_000) {
            throw new IllegalArgumentException("eventIntervalMillis must be 10..3600000, was " + c.eventIntervalMillis());
        }
        long txBlock = txBlock(c, type, parameters);
        long rxBlock = c.rxReserveBlock() == 0 ? 64 : c.rxReserveBlock();
        if (rxBlock < 1) {
            throw new IllegalArgumentException("rxReserveBlock must be at least 1 (or 0: automatic), was " + c.rxReserveBlock());
        }
        return new ChannelSettings(name, c.secoc_dataId(), profile, parameters, type, c.keyId(), previous, c.window(),
            c.timestampTickMillis(), txBlock, rxBlock, c.maxAuthenticLength(), c.stateDirectory() == null ? "" : c.stateDirectory(),
            c.eventIntervalMillis());
    }

    /**
     * The sender's block: a restarted sender skips up to block + 1 values, and a receiver that did not restart must
     * still find them: within {@code attempts * 2^(transmitted counter bits)} by reconstruction, and within the window.
     */
    private static long txBlock(ChannelConfiguration c, FreshnessType type, SecOcParameters p) {
        if (c.txReserveBlock() < 0) {
            throw new IllegalArgumentException("txReserveBlock must not be negative, was " + c.txReserveBlock());
        }
        if (type != FreshnessType.COUNTER) {
            return c.txReserveBlock() == 0 ? 1024 : c.txReserveBlock();
        }
        long tolerance = Long.MAX_VALUE;
        if (p.freshnessTxLength() < p.freshnessLength()) {
            int bits = p.freshnessTxLength();
            tolerance = bits >= 56 ? Long.MAX_VALUE : p.verifyAttempts() * (1L << bits);
        }
        if (c.window() > 0) {
            tolerance = Math.min(tolerance, c.window());
        }
        long block = c.txReserveBlock() == 0 ? Math.min(1024, tolerance - 1) : c.txReserveBlock();
        if (block < 1 || block + 1 > tolerance) {
            throw new IllegalArgumentException("a restarted sender skips up to txReserveBlock + 1 values, but a receiver finds "
                + "at most " + tolerance + " ahead (verifyAttempts x 2^freshnessTxLength, and the window): raise "
                + "verifyAttempts or freshnessTxLength, or lower txReserveBlock");
        }
        return block;
    }

    private static <E extends Enum<E>> E enumValue(Class<E> type, String setting, String value) {
        try {
            return Enum.valueOf(type, value.trim().toUpperCase(Locale.ROOT).replace('-', '_'));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(setting + " '" + value + "' is not one of "
                + java.util.Arrays.toString(type.getEnumConstants()), e);
        }
    }
}
