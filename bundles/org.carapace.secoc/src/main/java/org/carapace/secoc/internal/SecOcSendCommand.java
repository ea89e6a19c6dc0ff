package org.carapace.secoc.internal;

import java.io.IOException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.carapace.api.admin.AdminCommand;
import org.carapace.api.admin.AdminException;
import org.carapace.api.secoc.AuthenticationBuildException;
import org.carapace.api.secoc.SecuredEndpoint;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

/**
 * {@code secoc.send}: protects a payload on a named endpoint and sends it ({@code {"endpoint":NAME,
 * "payload":HEX}}), for engineers and the demo. Answers the Secured I-PDU's length and the endpoint's channel.
 */
@Component(service = AdminCommand.class, property = {
    AdminCommand.COMMAND_NAME + "=secoc.send",
    AdminCommand.COMMAND_DESCRIPTION + "=protect a payload and send it on a SecOC endpoint"})
public final class SecOcSendCommand implements AdminCommand {

    private record Named(String name, SecuredEndpoint endpoint) {
    }

    private final List<Named> endpoints = new CopyOnWriteArrayList<>();

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addEndpoint(SecuredEndpoint endpoint, ServiceReference<SecuredEndpoint> reference) {
        endpoints.add(new Named(String.valueOf(reference.getProperty("endpoint.name")), endpoint));
    }

    void removeEndpoint(SecuredEndpoint endpoint) {
        endpoints.removeIf(n -> n.endpoint == endpoint);
    }

    @Override
    public Map<String, Object> execute(Map<String, Object> arguments) throws AdminException {
        Object name = arguments.get("endpoint");
        Object payload = arguments.get("payload");
        if (!(name instanceof String) || !(payload instanceof String)) {
            throw new AdminException(AdminException.Code.BAD_REQUEST, "secoc.send needs \"endpoint\" and \"payload\" (hex) strings");
        }
        byte[] bytes;
        try {
            bytes = HexFormat.of().parseHex((String) payload);
        } catch (IllegalArgumentException e) {
            throw new AdminException(AdminException.Code.BAD_REQUEST, "payload is not hex: " + e.getMessage());
        }
        for (Named n : endpoints) {
            if (n.name.equals(name)) {
                try {
                    n.endpoint.send(bytes);
                } catch (AuthenticationBuildException e) {
                    throw new AdminException(AdminException.Code.CHECK_FAILED, e.getMessage(), e);
                } catch (IOException e) {
                    throw new AdminException(AdminException.Code.INTERNAL, e.getMessage(), e);
                }
                Map<String, Object> result = new LinkedHashMap<>();
                result.put("endpoint", n.name);
                result.put("channel", n.endpoint.channel().name());
                result.put("securedLength", n.endpoint.channel().parameters().securedLength(bytes.length));
                return result;
            }
        }
        throw new AdminException(AdminException.Code.BAD_REQUEST, "no SecOC endpoint named '" + name + "'");
    }
}
