package org.carapace.ota.internal;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.carapace.api.admin.AdminCommand;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * {@code ota.status}: the inbox, an update in progress, the bundles installed by updates with their release counters
 * (and whether they run), and the recent outcomes, newest first. Also the Gogo command {@code carapace:ota} (dev).
 */
@Component(service = {AdminCommand.class, OtaStatusCommand.class}, property = {
    AdminCommand.COMMAND_NAME + "=ota.status",
    AdminCommand.COMMAND_DESCRIPTION + "=OTA updates: installed bundles and release counters, update in progress, recent outcomes",
    "osgi.command.scope=carapace",
    "osgi.command.function=ota"})
public final class OtaStatusCommand implements AdminCommand {

    private final OtaComponent ota;
    private final BundleContext context;

    @Activate
    public OtaStatusCommand(@Reference OtaComponent ota, BundleContext context) {
        this.ota = ota;
        this.context = context;
    }

    @Override
    public Map<String, Object> execute(Map<String, Object> arguments) {
        Installer installer = ota.installer();
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("inbox", installer.settings().inbox().toString());
        out.put("directory", installer.settings().directory().toString());
        out.put("hardwareId", installer.settings().hardwareId());
        out.put("problem", ota.problem());
        out.put("busy", installer.busy() != null);
        out.put("updating", installer.busy());
        InstalledState state = installer.state();
        out.put("generation", state.generation());
        List<Object> installed = new ArrayList<>();
        state.bundles().forEach((name, bundle) -> {
            Map<String, Object> b = new LinkedHashMap<>();
            b.put("symbolicName", name);
            b.put("version", bundle.version());
            b.put("sha256", bundle.sha256());
            b.put("releaseCounter", bundle.releaseCounter());
            b.put("package", bundle.packageName());
            boolean running = false;
            for (Bundle candidate : context.getBundles()) {
                running |= name.equals(candidate.getSymbolicName()) && candidate.getVersion().toString().equals(bundle.version())
                    && candidate.getState() == Bundle.ACTIVE;
            }
            b.put("running", running);
            installed.add(b);
        });
        out.put("installed", installed);
        List<Object> recent = new ArrayList<>();
        for (Installer.Outcome outcome : installer.recent()) {
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("time", outcome.time().toString());
            r.put("package", outcome.packageName());
            r.put("state", outcome.state());
            r.put("reason", outcome.reason());
            r.put("message", outcome.message());
            r.put("bundles", outcome.bundles());
            r.put("command", outcome.command());
            recent.add(r);
        }
        out.put("recent", recent);
        return out;
    }

    /** Gogo: {@code carapace:ota}. */
    @SuppressWarnings("unchecked")
    public String ota() {
        Map<String, Object> status = execute(Map.of());
        StringBuilder text = new StringBuilder();
        if (status.get("problem") != null) {
            text.append("PROBLEM: ").append(status.get("problem")).append('\n');
        }
        text.append("inbox      ").append(status.get("inbox")).append(Boolean.TRUE.equals(status.get("busy"))
            ? "  (installing " + status.get("updating") + ")" : "  (idle)").append('\n');
        for (Object o : (List<Object>) status.get("installed")) {
            Map<String, Object> b = (Map<String, Object>) o;
            text.append("installed  ").append(b.get("symbolicName")).append(' ').append(b.get("version")).append(" counter ")
                .append(b.get("releaseCounter")).append(Boolean.TRUE.equals(b.get("running")) ? "" : " NOT RUNNING").append('\n');
        }
        for (Object o : (List<Object>) status.get("recent")) {
            Map<String, Object> r = (Map<String, Object>) o;
            text.append(r.get("time")).append(' ').append(r.get("state")).append(' ').append(r.get("package"))
                .append(r.get("reason") == null ? "" : " " + r.get("reason")).append(": ").append(r.get("message")).append('\n');
        }
        return text.toString();
    }
}
