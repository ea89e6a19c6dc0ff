package org.carapace.api.trust;

import java.util.Collections;
import java.util.Set;
import java.util.TreeSet;

/** A document is bound to other devices than this one. */
public class WrongDeviceException extends TrustException {
    private static final long serialVersionUID = 1L;

    private final String deviceId;
    private final Set<String> boundTo;

    /**
     * @param deviceId this device's id
     * @param boundTo the device ids the document names
     */
    public WrongDeviceException(String deviceId, Set<String> boundTo) {
        super(Reason.WRONG_DEVICE, "document is bound to " + boundTo.size() + " device(s), not to this device '" + deviceId + "'");
        this.deviceId = deviceId;
        this.boundTo = Collections.unmodifiableSet(new TreeSet<>(boundTo));
    }

    public String deviceId() {
        return deviceId;
    }

    public Set<String> boundTo() {
        return boundTo;
    }
}
