package org.carapace.protection.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import org.carapace.api.protection.Association;
import org.carapace.api.protection.ProgramIdentity;
import org.carapace.api.protection.ProtectionMode;
import org.carapace.api.protection.ProtectionRules;

/** {@link ProtectionRules} to and from the JSON of a protection record. */
final class RulesJson {

    private RulesJson() {
    }

    static ObjectNode toJson(ObjectMapper mapper, ProtectionRules rules) {
        ObjectNode n = mapper.createObjectNode();
        n.put("mode", rules.mode().name().toLowerCase(Locale.ROOT));
        ArrayNode extra = n.putArray("extraExecDigests");
        rules.extraExecDigests().stream().sorted().forEach(extra::add);
        ArrayNode prot = n.putArray("protectedPaths");
        rules.protectedPaths().forEach(prot::add);
        ArrayNode writable = n.putArray("writablePaths");
        rules.writablePaths().forEach(writable::add);
        ArrayNode assoc = n.putArray("associations");
        for (Association a : rules.associations()) {
            ObjectNode an = assoc.addObject();
            an.put("file", a.file());
            ArrayNode programs = an.putArray("programs");
            for (ProgramIdentity p : a.programs()) {
                ObjectNode pn = programs.addObject();
                pn.put("path", p.path());
                p.digest().ifPresent(d -> pn.put("digest", d));
            }
        }
        return n;
    }

    static ProtectionRules fromJson(JsonNode n) {
        Set<String> extra = new HashSet<>();
        n.path("extraExecDigests").forEach(d -> extra.add(d.asText()));
        List<String> prot = new ArrayList<>();
        n.path("protectedPaths").forEach(p -> prot.add(p.asText()));
        List<String> writable = new ArrayList<>();
        n.path("writablePaths").forEach(p -> writable.add(p.asText()));
        List<Association> associations = new ArrayList<>();
        for (JsonNode a : n.path("associations")) {
            List<ProgramIdentity> programs = new ArrayList<>();
            for (JsonNode p : a.path("programs")) {
                programs.add(new ProgramIdentity(p.path("path").asText(), Optional.ofNullable(p.path("digest").textValue())));
            }
            associations.add(new Association(a.path("file").asText(), programs));
        }
        return new ProtectionRules(ProtectionMode.valueOf(n.path("mode").asText().toUpperCase(Locale.ROOT)), extra, prot,
            writable, associations);
    }
}
