package org.carapace.api.secoc;

/**
 * The SecOC profiles of AUTOSAR SWS SecureOnboardCommunication (annex "Application hints / SecOC profiles") as
 * named presets. All three use AES-128 CMAC and carry no authentic-PDU length header.
 *
 * <table>
 *   <caption>Profiles</caption>
 *   <tr><th>profile</th><th>freshness value</th><th>transmitted FV</th><th>transmitted MAC</th></tr>
 *   <tr><td>1 "24Bit-CMAC-8Bit-FV"</td><td>counter, length not fixed by the profile</td><td>8 LSB</td><td>24 MSB</td></tr>
 *   <tr><td>2 "24Bit-CMAC-No-FV"</td><td>none</td><td>none</td><td>24 MSB</td></tr>
 *   <tr><td>3 "JASPAR"</td><td>64 bit: trip | reset | message counter | reset flag</td><td>4 LSB</td><td>28 MSB</td></tr>
 * </table>
 */
public enum SecOcProfile {
    PROFILE_1(1, "24Bit-CMAC-8Bit-FV", -1, 8, 24, FreshnessType.COUNTER),
    PROFILE_2(2, "24Bit-CMAC-No-FV", 0, 0, 24, FreshnessType.NONE),
    PROFILE_3(3, "JASPAR", 64, 4, 28, FreshnessType.JASPAR);

    private final int number;
    private final String title;
    private final int freshnessLength;
    private final int freshnessTxLength;
    private final int macLength;
    private final FreshnessType freshnessType;

    SecOcProfile(int number, String title, int freshnessLength, int freshnessTxLength, int macLength,
                 FreshnessType freshnessType) {
        this.number = number;
        this.title = title;
        this.freshnessLength = freshnessLength;
        this.freshnessTxLength = freshnessTxLength;
        this.macLength = macLength;
        this.freshnessType = freshnessType;
    }

    /** The profile number, 1 to 3. */
    public int number() {
        return number;
    }

    /** The profile's name in the standard, for example {@code 24Bit-CMAC-8Bit-FV}. */
    public String title() {
        return title;
    }

    /** Whether the profile fixes the complete freshness value length (profile 1 does not). */
    public boolean fixesFreshnessLength() {
        return freshnessLength >= 0;
    }

    public int freshnessTxLength() {
        return freshnessTxLength;
    }

    public int macLength() {
        return macLength;
    }

    public FreshnessType freshnessType() {
        return freshnessType;
    }

    /**
     * The profile's parameters with one verify attempt.
     *
     * @param freshnessLength the complete freshness value length in bits; must be the profile's own where it fixes
     *                        one (0 for profile 2, 64 for profile 3), and at least 8 for profile 1
     * @throws IllegalArgumentException if the length does not fit the profile
     */
    public SecOcParameters parameters(int freshnessLength) {
        if (fixesFreshnessLength() && freshnessLength != this.freshnessLength) {
            throw new IllegalArgumentException("profile " + number + " (" + title + ") has a " + this.freshnessLength
                + "-bit freshness value, not " + freshnessLength);
        }
        if (!fixesFreshnessLength() && freshnessLength < freshnessTxLength) {
            throw new IllegalArgumentException("profile " + number + " (" + title + ") needs a freshness value of at least "
                + freshnessTxLength + " bits, not " + freshnessLength);
        }
        return new SecOcParameters(0, freshnessLength, freshnessTxLength, macLength, MacAlgorithm.AES_128_CMAC, 1);
    }

    /** The profile's parameters where the profile fixes the freshness value length (profiles 2 and 3). */
    public SecOcParameters parameters() {
        if (!fixesFreshnessLength()) {
            throw new IllegalArgumentException("profile " + number + " (" + title + ") does not fix the freshness value length: "
                + "give it");
        }
        return parameters(freshnessLength);
    }

    /**
     * The profile with this number or name ({@code 1}, {@code PROFILE_1}, {@code 24Bit-CMAC-8Bit-FV}, any case).
     *
     * @throws IllegalArgumentException naming the value if it is none of them
     */
    public static SecOcProfile parse(String value) {
        String v = value == null ? "" : value.trim();
        for (SecOcProfile p : values()) {
            if (v.equals(Integer.toString(p.number)) || v.equalsIgnoreCase(p.name()) || v.equalsIgnoreCase(p.title)) {
                return p;
            }
        }
        throw new IllegalArgumentException("unknown SecOC profile '" + value + "': use 1, 2 or 3");
    }
}
