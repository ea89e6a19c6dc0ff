package org.carapace.api.ota;

/**
 * A bundle's release counter does not exceed the one installed (Uptane: per-module release counters prevent
 * rollback to an older, vulnerable release even when it is validly signed).
 */
public class ReleaseCounterException extends OtaException {
    private static final long serialVersionUID = 1L;

    private final String symbolicName;
    private final long installed;
    private final long offered;

    /**
     * @param symbolicName the bundle
     * @param installed the highest counter installed for it
     * @param offered the package's counter, at most {@code installed}
     */
    public ReleaseCounterException(String symbolicName, long installed, long offered) {
        super(offered == installed ? Reason.REPLAY : Reason.ROLLBACK, offered == installed
            ? symbolicName + " release counter " + offered + " is already installed with other content"
            : symbolicName + " release counter " + offered + " is older than the installed " + installed);
        if (offered > installed) {
            throw new IllegalArgumentException("offered counter " + offered + " is newer than " + installed);
        }
        this.symbolicName = symbolicName;
        this.installed = installed;
        this.offered = offered;
    }

    public String symbolicName() {
        return symbolicName;
    }

    public long installed() {
        return installed;
    }

    public long offered() {
        return offered;
    }
}
