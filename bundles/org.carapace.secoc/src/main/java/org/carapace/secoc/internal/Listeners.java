package org.carapace.secoc.internal;

import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.carapace.api.secoc.SecuredChannel;
import org.carapace.api.secoc.SecuredMessage;
import org.carapace.api.secoc.SecuredMessageListener;
import org.osgi.service.log.Logger;

/** The {@link SecuredMessageListener}s of one endpoint, each with the channel name or Data ID it asked for. */
final class Listeners {

    private record Entry(SecuredMessageListener listener, String name, Integer dataId) {
        boolean wants(SecuredMessage m) {
            return (name == null || name.equals(m.channel())) && (dataId == null || dataId == m.dataId());
        }
    }

    private final CopyOnWriteArrayList<Entry> entries = new CopyOnWriteArrayList<>();
    private final Logger logger;

    Listeners(Logger logger) {
        this.logger = logger;
    }

    void add(SecuredMessageListener listener, Map<String, ?> properties) {
        Object name = properties.get(SecuredChannel.NAME);
        Object dataId = properties.get(SecuredChannel.DATA_ID);
        entries.add(new Entry(listener, name == null ? null : name.toString(),
            dataId instanceof Number ? Integer.valueOf(((Number) dataId).intValue())
                : dataId == null ? null : Integer.valueOf(Integer.decode(dataId.toString()))));
    }

    void remove(SecuredMessageListener listener) {
        entries.removeIf(e -> e.listener == listener);
    }

    /** Hands a verified message to every interested listener; one failing listener does not stop the others. */
    int deliver(SecuredMessage message) {
        int delivered = 0;
        for (Entry e : entries) {
            if (e.wants(message)) {
                try {
                    e.listener.received(message);
                    delivered++;
                } catch (RuntimeException ex) {
                    logger.warn("SecOC listener {} failed on a message of channel {}: {}", e.listener, message.channel(), ex.toString());
                }
            }
        }
        return delivered;
    }
}
