package org.carapace.monitoring.internal;

import java.util.Map;

/**
 * Whether and how events also carry binary IdsM frames.
 *
 * @param protocolVersion the IDS protocol version nibble (depends on the AUTOSAR release)
 * @param idsmInstanceId this device's IdsM instance id, 0 to 1023
 * @param sensorInstanceIds sensor (bundle symbolic name) to sensor instance id, 0 to 63; others get 0
 * @param timestamps whether to add the timestamp frame
 */
record IdsmSettings(int protocolVersion, int idsmInstanceId, Map<String, Integer> sensorInstanceIds, boolean timestamps) {

    IdsmSettings {
        if (protocolVersion < 0 || protocolVersion > 15) {
            throw new IllegalArgumentException("idsmProtocolVersion must be 0 to 15, was " + protocolVersion);
        }
        if (idsmInstanceId < 0 || idsmInstanceId > 1023) {
            throw new IllegalArgumentException("idsmInstanceId must be 0 to 1023, was " + idsmInstanceId);
        }
        for (Map.Entry<String, Integer> entry : sensorInstanceIds.entrySet()) {
            if (entry.getValue() < 0 || entry.getValue() > 63) {
                throw new IllegalArgumentException("sensor instance id of " + entry.getKey() + " must be 0 to 63, was " + entry.getValue());
            }
        }
        sensorInstanceIds = Map.copyOf(sensorInstanceIds);
    }

    int sensorInstanceId(String sensor) {
        return sensorInstanceIds.getOrDefault(sensor, 0);
    }

    /** Parses {@code name=id} entries. */
    static Map<String, Integer> parseSensorIds(String[] entries) {
        Map<String, Integer> ids = new java.util.LinkedHashMap<>();
        for (String entry : entries == null ? new String[0] : entries) {
            int eq = entry.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("idsmSensorInstanceIds entries are name=id, was '" + entry + "'");
            }
            try {
                ids.put(entry.substring(0, eq).trim(), Integer.parseInt(entry.substring(eq + 1).trim()));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("idsmSensorInstanceIds: '" + entry + "' has no numeric id");
            }
        }
        return ids;
    }
}
