package org.carapace.platform.internal;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;
import org.osgi.service.component.runtime.dto.UnsatisfiedReferenceDTO;

/**
 * Reads the state of Carapace's bundles and Declarative Services components, for the ready line and the status
 * command. A component that requires configuration and has none is reported as idle, not as a problem: factory
 * components (one per SecOC Data ID, say) legitimately have none.
 */
final class ComponentHealth {

    static final String BUNDLE_PREFIX = "org.carapace.";

    record Report(List<Map<String, Object>> bundles, List<Map<String, Object>> components, List<String> problems,
                  List<String> idle) {
        boolean healthy() {
            return problems.isEmpty();
        }
    }

    private ComponentHealth() {
    }

    static Report read(BundleContext context, ServiceComponentRuntime scr) {
        List<Map<String, Object>> bundles = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        List<Bundle> ours = new ArrayList<>();
        for (Bundle bundle : context.getBundles()) {
            String bsn = bundle.getSymbolicName();
            if (bsn == null || !bsn.startsWith(BUNDLE_PREFIX)) {
                continue;
            }
            ours.add(bundle);
            String state = stateName(bundle.getState());
            Map<String, Object> b = new TreeMap<>();
            b.put("symbolicName", bsn);
            b.put("version", bundle.getVersion().toString());
            b.put("state", state);
            bundles.add(b);
            boolean fragment = bundle.getHeaders("").get("Fragment-Host") != null;
            if (!fragment && bundle.getState() != Bundle.ACTIVE) {
                problems.add("bundle " + bsn + " is " + state);
            }
        }
        List<Map<String, Object>> components = new ArrayList<>();
        List<String> idle = new ArrayList<>();
        Collection<ComponentDescriptionDTO> descriptions = scr.getComponentDescriptionDTOs(ours.toArray(new Bundle[0]));
        for (ComponentDescriptionDTO description : descriptions) {
            Map<String, Object> c = new TreeMap<>();
            c.put("name", description.name);
            c.put("bundle", description.bundle.symbolicName);
            Collection<ComponentConfigurationDTO> configurations = scr.getComponentConfigurationDTOs(description);
            List<String> states = new ArrayList<>();
            if (!scr.isComponentEnabled(description)) {
                states.add("disabled");
            } else if (configurations.isEmpty()) {
                states.add("idle");
                idle.add(description.name + " (no configuration for " + String.join(", ", description.configurationPid) + ")");
            }
            for (ComponentConfigurationDTO configuration : configurations) {
                String state = configurationState(configuration.state);
                states.add(state);
                switch (configuration.state) {
                    case ComponentConfigurationDTO.ACTIVE:
                        // SCR reports ACTIVE before it registers the component's service: until then an immediate
                        // EventHandler (monitoring) misses what is posted, PLATFORM_STARTED first
                        if (description.immediate && description.serviceInterfaces.length > 0 && configuration.service == null) {
                            problems.add("component " + description.name + " is still registering its service");
                        }
                        break;
                    case ComponentConfigurationDTO.SATISFIED:
                        if (description.immediate) {
                            problems.add("component " + description.name + " is still activating");
                        }
                        break;
                    case ComponentConfigurationDTO.UNSATISFIED_REFERENCE:
                        List<String> missing = new ArrayList<>();
                        for (UnsatisfiedReferenceDTO ref : configuration.unsatisfiedReferences) {
                            missing.add(ref.name + (ref.target == null ? "" : " " + ref.target));
                        }
                        problems.add("component " + description.name + " is missing " + String.join(", ", missing));
                        break;
                    case ComponentConfigurationDTO.FAILED_ACTIVATION:
                        problems.add("component " + description.name + " failed to activate: " + cause(configuration.failure));
                        break;
                    default:
                        problems.add("component " + description.name + " is " + state);
                        break;
                }
            }
            c.put("state", String.join(",", states));
            components.add(c);
        }
        return new Report(bundles, components, problems, idle);
    }

    static String stateName(int state) {
        switch (state) {
            case Bundle.UNINSTALLED: return "UNINSTALLED";
            case Bundle.INSTALLED: return "INSTALLED";
            case Bundle.RESOLVED: return "RESOLVED";
            case Bundle.STARTING: return "STARTING";
            case Bundle.STOPPING: return "STOPPING";
            case Bundle.ACTIVE: return "ACTIVE";
            default: return "UNKNOWN(" + state + ")";
        }
    }

    static String configurationState(int state) {
        switch (state) {
            case ComponentConfigurationDTO.ACTIVE: return "active";
            case ComponentConfigurationDTO.SATISFIED: return "satisfied";
            case ComponentConfigurationDTO.UNSATISFIED_CONFIGURATION: return "unsatisfied-configuration";
            case ComponentConfigurationDTO.UNSATISFIED_REFERENCE: return "unsatisfied-reference";
            case ComponentConfigurationDTO.FAILED_ACTIVATION: return "failed-activation";
            default: return "unknown(" + state + ")";
        }
    }

    /** SCR's failure is a whole stack trace: the innermost cause's line says what was wrong. */
    static String cause(String failure) {
        if (failure == null) {
            return "(no reason given)";
        }
        String line = failure.lines().findFirst().orElse(failure);
        for (String candidate : (Iterable<String>) failure.lines()::iterator) {
            if (candidate.startsWith("Caused by: ")) {
                line = candidate.substring("Caused by: ".length());
            }
        }
        return line.strip();
    }
}
