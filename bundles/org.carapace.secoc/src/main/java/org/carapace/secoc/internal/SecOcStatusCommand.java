package org.carapace.secoc.internal;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.carapace.api.admin.AdminCommand;
import org.carapace.api.admin.AdminException;
import org.carapace.api.secoc.ChannelStatistics;
import org.carapace.api.secoc.SecuredChannel;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

/** {@code secoc.status}: every channel with its layout and counters, and every endpoint. Never shows key material. */
@Component(service = AdminCommand.class, property = {
    AdminCommand.COMMAND_NAME + "=secoc.status",
    AdminCommand.COMMAND_DESCRIPTION + "=SecOC channels, their counters and endpoints"})
public final class SecOcStatusCommand implements AdminCommand {

    private final List<SecuredChannel> channels = new CopyOnWriteArrayList<>();
    private final List<UdpEndpointComponent> udp = new CopyOnWriteArrayList<>();
    private final List<MqttEndpointComponent> mqtt = new CopyOnWriteArrayList<>();

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addChannel(SecuredChannel channel) {
        channels.add(channel);
    }

    void removeChannel(SecuredChannel channel) {
        channels.remove(channel);
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addUdp(UdpEndpointComponent endpoint) {
        udp.add(endpoint);
    }

    void removeUdp(UdpEndpointComponent endpoint) {
        udp.remove(endpoint);
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addMqtt(MqttEndpointComponent endpoint) {
        mqtt.add(endpoint);
    }

    void removeMqtt(MqttEndpointComponent endpoint) {
        mqtt.remove(endpoint);
    }

    @Override
    public Map<String, Object> execute(Map<String, Object> arguments) throws AdminException {
        List<Map<String, Object>> list = new ArrayList<>();
        for (SecuredChannel c : channels) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", c.name());
            m.put("dataId", c.dataId());
            m.put("freshness", c.freshnessType().name());
            m.put("layout", c.parameters().toString());
            ChannelStatistics s = c.statistics();
            m.put("protected", s.protectedPdus());
            m.put("buildFailures", s.buildFailures());
            m.put("verified", s.verified());
            m.put("macFailures", s.macFailures());
            m.put("freshnessFailures", s.freshnessFailures());
            m.put("malformed", s.malformed());
            m.put("eventsPosted", s.eventsPosted());
            m.put("failuresAggregated", s.failuresAggregated());
            list.add(m);
        }
        list.sort((a, b) -> String.valueOf(a.get("name")).compareTo(String.valueOf(b.get("name"))));
        List<Map<String, Object>> endpoints = new ArrayList<>();
        try {
            for (UdpEndpointComponent e : udp) {
                endpoints.add(e.status());
            }
        } catch (IOException e) {
            throw new AdminException(AdminException.Code.INTERNAL, "cannot read an endpoint's address: " + e.getMessage(), e);
        }
        for (MqttEndpointComponent e : mqtt) {
            endpoints.add(e.status());
        }
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("channels", list);
        result.put("endpoints", endpoints);
        return result;
    }
}
