package org.carapace.platform.internal;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.carapace.api.admin.AdminCommand;
import org.carapace.api.platform.PlatformInfo;
import org.osgi.framework.BundleContext;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.runtime.ServiceComponentRuntime;

/**
 * {@code status}: identity, bundles, components and problems of the running runtime. Served on the admin socket
 * ({@code carapace status}) and as the Gogo command {@code carapace:status} in the dev profile.
 */
@Component(service = {AdminCommand.class, StatusCommand.class}, property = {
    AdminCommand.COMMAND_NAME + "=status",
    AdminCommand.COMMAND_DESCRIPTION + "=identity, bundles, components and problems of the runtime",
    "osgi.command.scope=carapace",
    "osgi.command.function=status"})
public final class StatusCommand implements AdminCommand {

    private final BundleContext context;
    private final ServiceComponentRuntime scr;
    private final PlatformInfo platform;

    @Activate
    public StatusCommand(BundleContext context, @Reference ServiceComponentRuntime scr, @Reference PlatformInfo platform) {
        this.context = context;
        this.scr = scr;
        this.platform = platform;
    }

    @Override
    public Map<String, Object> execute(Map<String, Object> arguments) {
        ComponentHealth.Report report = ComponentHealth.read(context, scr);
        Map<String, Object> result = new LinkedHashMap<>();
        Map<String, Object> runtime = new LinkedHashMap<>();
        runtime.put("deviceId", platform.deviceId());
        runtime.put("profile", platform.profile());
        runtime.put("dataDir", platform.dataDir().toString());
        runtime.put("runDir", platform.runDir().toString());
        runtime.put("pid", ProcessHandle.current().pid());
        runtime.put("java", Runtime.version().toString());
        runtime.put("framework", context.getBundle(0).getSymbolicName() + " " + context.getBundle(0).getVersion());
        runtime.put("platformVersion", context.getBundle().getVersion().toString());
        runtime.put("healthy", report.healthy());
        result.put("runtime", runtime);
        result.put("bundles", report.bundles());
        result.put("components", report.components());
        result.put("problems", report.problems());
        result.put("idle", report.idle());
        result.put("commands", commandNames());
        return result;
    }

    private List<String> commandNames() {
        List<String> names = new ArrayList<>();
        try {
            for (ServiceReference<AdminCommand> ref : context.getServiceReferences(AdminCommand.class, null)) {
                Object name = ref.getProperty(AdminCommand.COMMAND_NAME);
                if (name instanceof String) {
                    names.add((String) name);
                }
            }
        } catch (InvalidSyntaxException e) {
            throw new IllegalStateException(e); // a null filter cannot be invalid
        }
        names.sort(null);
        return names;
    }

    /** Gogo: {@code carapace:status}. */
    public String status() {
        Map<String, Object> status = execute(Map.of());
        StringBuilder text = new StringBuilder();
        @SuppressWarnings("unchecked")
        Map<String, Object> runtime = (Map<String, Object>) status.get("runtime");
        new TreeMap<>(runtime).forEach((k, v) -> text.append(String.format("%-16s %s%n", k, v)));
        text.append("bundles:\n");
        for (Object b : (List<?>) status.get("bundles")) {
            Map<?, ?> bundle = (Map<?, ?>) b;
            text.append(String.format("  %-34s %-16s %s%n", bundle.get("symbolicName"), bundle.get("version"), bundle.get("state")));
        }
        text.append("components:\n");
        for (Object c : (List<?>) status.get("components")) {
            Map<?, ?> component = (Map<?, ?>) c;
            text.append(String.format("  %-60s %s%n", component.get("name"), component.get("state")));
        }
        for (Object p : (List<?>) status.get("problems")) {
            text.append("PROBLEM: ").append(p).append('\n');
        }
        return text.toString();
    }
}
