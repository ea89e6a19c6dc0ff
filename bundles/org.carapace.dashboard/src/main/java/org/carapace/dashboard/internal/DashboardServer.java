package org.carapace.dashboard.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.regex.Pattern;
import org.carapace.api.monitoring.MonitoringTopics;

/**
 * The dashboard's HTTP server (the JDK's {@code com.sun.net.httpserver}): the page and its static files, the JSON API
 * ({@code /api/v1/...}, documented in {@code docs/dashboard.md}) and the live stream as server-sent events. Every
 * response carries a Content-Security-Policy without inline script, and the page inserts data as text only: event
 * messages and context data come from devices and are attacker-influenced.
 */
public final class DashboardServer implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(DashboardServer.class.getName());

    static final String COOKIE = "carapace_session";
    private static final String NODELAY = "sun.net.httpserver.nodelay";
    static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
        + "form-action 'self'; base-uri 'none'; frame-ancestors 'none'";
    static final Set<String> SEVERITIES = Set.of("INFO", "LOW", "MEDIUM", "HIGH", "CRITICAL");
    static final List<String> PANELS = List.of("overview", "stream", "timeline", "device");
    private static final Pattern TYPE = Pattern.compile("[A-Z][A-Z0-9_]{0,63}");
    private static final Map<String, String[]> STATIC = Map.of(
        "/", new String[] {"index.html", "text/html; charset=utf-8"},
        "/login", new String[] {"login.html", "text/html; charset=utf-8"},
        "/static/app.js", new String[] {"app.js", "text/javascript; charset=utf-8"},
        "/static/login.js", new String[] {"login.js", "text/javascript; charset=utf-8"},
        "/static/app.css", new String[] {"app.css", "text/css; charset=utf-8"});
    private static final Set<String> PUBLIC = Set.of("/login", "/static/login.js", "/static/app.css", "/api/v1/login",
        "/api/v1/health", "/api/v1/session");

    private final EventStore store;
    private final Ingest ingest;
    private final LiveHub hub;
    private final DashboardConfig config;
    private final Limits limits;
    private final Sessions sessions;
    private final Clock clock;
    private final ObjectMapper mapper = new ObjectMapper();
    private final Map<String, byte[]> resources = new LinkedHashMap<>();
    private final HttpServer server;
    private final ExecutorService workers;

    /**
     * Binds the server (it answers once {@link #start()} is called).
     *
     * @throws IOException if the address cannot be bound
     */
    public DashboardServer(EventStore store, Ingest ingest, LiveHub hub, DashboardConfig config, Clock clock) throws IOException {
        this.store = store;
        this.ingest = ingest;
        this.hub = hub;
        this.config = config;
        this.limits = config.limits();
        this.clock = clock;
        this.sessions = new Sessions(clock, config.sessionTtlMs(), 1000);
        for (String[] r : STATIC.values()) {
            try (InputStream in = DashboardServer.class.getResourceAsStream("web/" + r[0])) {
                if (in == null) {
                    throw new IOException("the page resource web/" + r[0] + " is missing from the build");
                }
                resources.put(r[0], in.readAllBytes());
            }
        }
        // the JDK's server writes a response's head and body in two segments: with Nagle's algorithm on, the body waits for
        // the client's delayed ACK (40 ms on Linux) on every keep-alive request. Read once, before its first server.
        if (System.getProperty(NODELAY) == null) {
            System.setProperty(NODELAY, "true");
        }
        if (config.tls() != null) {
            HttpsServer https = HttpsServer.create(config.listen(), 64);
            https.setHttpsConfigurator(new HttpsConfigurator(config.tls()));
            server = https;
        } else {
            server = HttpServer.create(config.listen(), 64);
        }
        AtomicInteger n = new AtomicInteger();
        // live clients hold a thread each for as long as they stay connected: room for all of them plus the workers
        workers = Executors.newFixedThreadPool(limits.workers() + limits.maxLiveClients(), r -> {
            Thread t = new Thread(r, "carapace-dashboard-http-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(workers);
        server.createContext("/", this::handle);
    }

    public void start() {
        server.start();
    }

    /** The bound address (the port when 0 was asked for). */
    public InetSocketAddress address() {
        return server.getAddress();
    }

    /** The page's address. */
    public String url() {
        InetSocketAddress a = address();
        String host = a.getAddress().getHostAddress();
        if (host.contains(":")) {
            host = "[" + host + "]";
        }
        return (config.tls() != null ? "https" : "http") + "://" + host + ":" + a.getPort() + "/";
    }

    @Override
    public void close() {
        hub.closeAll();
        server.stop(0);
        workers.shutdownNow();
    }

    // ------------------------------------------------------------------------------------------------- dispatch

    private void handle(HttpExchange x) throws IOException {
        try (x) {
            securityHeaders(x);
            try {
                route(x);
            } catch (BadRequestException e) {
                error(x, e.status(), e.parameter(), e.getMessage());
            } catch (StoreException e) {
                LOG.log(Level.WARNING, "dashboard: {0} {1}: {2}", new Object[] {x.getRequestMethod(), x.getRequestURI().getPath(),
                    e.getMessage()});
                error(x, 500, null, "the database failed; see the dashboard's log");
            } catch (DashboardException e) {
                LOG.log(Level.WARNING, "dashboard: {0}", e.getMessage());
                error(x, 500, null, "the dashboard failed; see its log");
            }
        } catch (IOException e) {
            // the client went away
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "dashboard: unexpected failure", e);
        }
    }

    private void securityHeaders(HttpExchange x) {
        var h = x.getResponseHeaders();
        h.set("Content-Security-Policy", CSP);
        h.set("X-Content-Type-Options", "nosniff");
        h.set("X-Frame-Options", "DENY");
        h.set("Referrer-Policy", "no-referrer");
        h.set("Cross-Origin-Opener-Policy", "same-origin");
        h.set("Cross-Origin-Resource-Policy", "same-origin");
        h.set("Cache-Control", "no-store");
        if (config.tls() != null) {
            h.set("Strict-Transport-Security", "max-age=31536000");
        }
    }

    private void route(HttpExchange x) throws IOException, DashboardException {
        String path = x.getRequestURI().getRawPath();
        String method = x.getRequestMethod();
        checkHost(x);
        Optional<String> user = user(x);
        if (user.isEmpty() && !PUBLIC.contains(path)) {
            if (path.startsWith("/api/")) {
                throw new BadRequestException(401, null, "log in first");
            }
            x.getResponseHeaders().set("Location", "/login");
            x.sendResponseHeaders(303, -1);
            return;
        }
        if (!method.equals("GET") && !method.equals("HEAD")) {
            checkUnsafeRequest(x);
        }
        String[] page = STATIC.get(path);
        if (page != null) {
            allow(method, "GET");
            if (path.equals("/login") && config.users() == null) {
                x.getResponseHeaders().set("Location", "/");
                x.sendResponseHeaders(303, -1);
                return;
            }
            send(x, 200, page[1], resources.get(page[0]));
            return;
        }
        Map<String, String> q = query(x.getRequestURI());
        switch (path) {
            case "/api/v1/health" -> {
                allow(method, "GET");
                params(q);
                json(x, 200, mapper.createObjectNode().put("status", "ok"));
            }
            case "/api/v1/session" -> {
                allow(method, "GET");
                params(q);
                ObjectNode s = mapper.createObjectNode();
                s.put("loginRequired", config.users() != null);
                s.put("user", user.orElse(null));
                json(x, 200, s);
            }
            case "/api/v1/login" -> login(x, method);
            case "/api/v1/logout" -> {
                allow(method, "POST");
                sessions.end(cookie(x));
                x.getResponseHeaders().add("Set-Cookie", COOKIE + "=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict" + secure());
                json(x, 200, mapper.createObjectNode().put("loggedOut", true));
            }
            case "/api/v1/overview" -> {
                allow(method, "GET");
                params(q);
                json(x, 200, overview());
            }
            case "/api/v1/events" -> {
                allow(method, "GET");
                params(q, "device", "type", "severity", "from", "to", "before", "after", "limit");
                json(x, 200, events(q));
            }
            case "/api/v1/timeline" -> {
                allow(method, "GET");
                params(q, "from", "to", "bucket", "device");
                json(x, 200, timeline(q));
            }
            case "/api/v1/stream" -> {
                allow(method, "GET");
                params(q, "device", "type", "severity", "from", "to", "after");
                stream(x, q);
            }
            case "/api/v1/layout" -> layout(x, method, user.get(), q);
            default -> {
                if (path.startsWith("/api/v1/devices/")) {
                    allow(method, "GET");
                    params(q, "limit");
                    json(x, 200, device(path.substring("/api/v1/devices/".length()), q));
                } else {
                    throw new BadRequestException(404, null, "no such resource: " + path);
                }
            }
        }
    }

    /**
     * Without login (loopback only) any local program or web page could reach the server; a page on another origin
     * could even read it through DNS rebinding. Only requests that name the loopback address or localhost pass.
     */
    private void checkHost(HttpExchange x) throws BadRequestException {
        if (config.users() != null) {
            return;
        }
        String host = x.getRequestHeaders().getFirst("Host");
        int port = address().getPort();
        Set<String> allowed = new java.util.HashSet<>(List.of("127.0.0.1:" + port, "localhost:" + port, "[::1]:" + port));
        allowed.add(address().getAddress().getHostAddress() + ":" + port);
        if (host == null || !allowed.contains(host.toLowerCase(java.util.Locale.ROOT))) {
            throw new BadRequestException(421, "Host", "this dashboard answers only to its loopback address");
        }
    }

    /** Cross-site request forgery: state changes need a JSON body (a form cannot send one) and a same-origin Origin. */
    private void checkUnsafeRequest(HttpExchange x) throws BadRequestException {
        String type = x.getRequestHeaders().getFirst("Content-Type");
        if (type == null || !type.toLowerCase(java.util.Locale.ROOT).startsWith("application/json")) {
            throw new BadRequestException(415, "Content-Type", "send application/json");
        }
        String origin = x.getRequestHeaders().getFirst("Origin");
        String host = x.getRequestHeaders().getFirst("Host");
        if (origin != null && !origin.equals((config.tls() != null ? "https://" : "http://") + host)) {
            throw new BadRequestException(403, "Origin", "cross-origin request refused");
        }
    }

    private Optional<String> user(HttpExchange x) {
        if (config.users() == null) {
            return Optional.of(DashboardConfig.LOCAL_USER);
        }
        return sessions.user(cookie(x));
    }

    private static String cookie(HttpExchange x) {
        for (String header : x.getRequestHeaders().getOrDefault("Cookie", List.of())) {
            for (String part : header.split(";")) {
                String p = part.strip();
                if (p.startsWith(COOKIE + "=")) {
                    return p.substring(COOKIE.length() + 1);
                }
            }
        }
        return null;
    }

    private String secure() {
        return config.tls() != null ? "; Secure" : "";
    }

    private static void allow(String method, String allowed) throws BadRequestException {
        if (!method.equals(allowed) && !(allowed.equals("GET") && method.equals("HEAD"))) {
            throw new BadRequestException(405, null, method + " is not allowed here; use " + allowed);
        }
    }

    // ------------------------------------------------------------------------------------------------- handlers

    private void login(HttpExchange x, String method) throws IOException, BadRequestException {
        allow(method, "POST");
        if (config.users() == null) {
            throw new BadRequestException(400, null, "this dashboard has no login (loopback, one local user)");
        }
        JsonNode body = body(x);
        String name = body.path("user").asText("");
        JsonNode pw = body.path("password");
        if (!Users.isName(name) || !pw.isTextual()) {
            throw new BadRequestException("user", "send {\"user\": NAME, \"password\": PASSWORD}");
        }
        if (sessions.throttled(name)) {
            throw new BadRequestException(429, "user", "too many failed logins; wait a few minutes");
        }
        char[] password = pw.asText().toCharArray();
        Optional<String> who = config.users().authenticate(name, password);
        Arrays.fill(password, '\0');
        if (who.isEmpty()) {
            sessions.failed(name);
            throw new BadRequestException(401, "password", "wrong user name or password");
        }
        String token = sessions.create(who.get());
        x.getResponseHeaders().add("Set-Cookie", COOKIE + "=" + token + "; Path=/; Max-Age=" + sessions.ttlMs() / 1000
            + "; HttpOnly; SameSite=Strict" + secure());
        json(x, 200, mapper.createObjectNode().put("user", who.get()));
    }

    private ObjectNode overview() throws StoreException {
        ObjectNode out = mapper.createObjectNode();
        ArrayNode devices = out.putArray("devices");
        List<DeviceRow> rows = store.devices(null, limits.maxDevices() + 1);
        out.put("truncated", rows.size() > limits.maxDevices());
        for (DeviceRow d : rows.subList(0, Math.min(rows.size(), limits.maxDevices()))) {
            devices.add(device(d));
        }
        ObjectNode fleet = out.putObject("unattributed");
        store.fleetCounters().forEach(fleet::put);
        out.put("storedEvents", store.eventCount());
        out.set("ingest", mapper.valueToTree(ingest.stats()));
        out.put("liveClients", hub.clients());
        out.put("time", Instant.ofEpochMilli(clock.millis()).toString());
        return out;
    }

    private ObjectNode device(DeviceRow d) {
        ObjectNode n = mapper.createObjectNode();
        n.put("device", d.deviceId());
        n.put("state", d.state() == null ? "unknown" : d.state());
        n.put("boot", d.boot());
        n.put("statusTime", d.statusTime());
        n.put("statusReason", d.statusReason());
        n.put("statusReceived", d.statusReceivedMs() == null ? null : Instant.ofEpochMilli(d.statusReceivedMs()).toString());
        if (d.lastEventId() != null) {
            ObjectNode last = n.putObject("lastEvent");
            last.put("id", d.lastEventId());
            last.put("seq", d.lastSeq());
            last.put("type", d.lastType());
            last.put("severity", d.lastSeverity());
            last.put("time", Instant.ofEpochMilli(d.lastEventMs()).toString());
        } else {
            n.putNull("lastEvent");
        }
        ObjectNode severity = n.putObject("severity");
        for (String s : List.of("CRITICAL", "HIGH", "MEDIUM", "LOW", "INFO")) {
            severity.put(s, d.counters().getOrDefault("severity." + s, 0L));
        }
        ObjectNode rejected = n.putObject("rejected");
        long rejectedTotal = 0;
        for (Map.Entry<String, Long> c : new java.util.TreeMap<>(d.counters()).entrySet()) {
            if (c.getKey().startsWith("rejected.")) {
                rejected.put(c.getKey().substring("rejected.".length()), c.getValue());
                rejectedTotal += c.getValue();
            }
        }
        n.put("rejectedTotal", rejectedTotal);
        n.put("duplicates", d.counters().getOrDefault("duplicate", 0L));
        n.put("missing", d.counters().getOrDefault("gap", 0L));
        return n;
    }

    private ObjectNode device(String rawId, Map<String, String> q) throws BadRequestException, StoreException {
        String id = URLDecoder.decode(rawId, StandardCharsets.UTF_8);
        if (!MonitoringTopics.isName(id)) {
            throw new BadRequestException("device", "not a device id: must be [A-Za-z0-9._-]{1,64}");
        }
        List<DeviceRow> rows = store.devices(id, 1);
        if (rows.isEmpty()) {
            throw new BadRequestException(404, "device", "no such device: " + id);
        }
        ObjectNode out = device(rows.get(0));
        int limit = limit(q);
        ArrayNode events = out.putArray("events");
        for (StoredEvent e : store.events(new EventQuery(id, null, Set.of(), null, null, null, null, limit))) {
            events.add(event(e));
        }
        return out;
    }

    EventQuery filter(Map<String, String> q, int limit) throws BadRequestException {
        String device = q.get("device");
        if (device != null && !MonitoringTopics.isName(device)) {
            throw new BadRequestException("device", "not a device id: must be [A-Za-z0-9._-]{1,64}");
        }
        String type = q.get("type");
        if (type != null && !TYPE.matcher(type).matches()) {
            throw new BadRequestException("type", "not an event type: must be [A-Z][A-Z0-9_]{0,63}");
        }
        Set<String> severities = new LinkedHashSet<>();
        if (q.get("severity") != null) {
            for (String s : q.get("severity").split(",")) {
                if (!SEVERITIES.contains(s)) {
                    throw new BadRequestException("severity", "not a severity: '" + s + "' (INFO, LOW, MEDIUM, HIGH, CRITICAL)");
                }
                severities.add(s);
            }
        }
        Long from = time(q, "from");
        Long to = time(q, "to");
        if (from != null && to != null && to <= from) {
            throw new BadRequestException("to", "'to' must be after 'from'");
        }
        return new EventQuery(device, type, severities, from, to, number(q, "before"), number(q, "after"), limit);
    }

    private int limit(Map<String, String> q) throws BadRequestException {
        Long limit = number(q, "limit");
        if (limit == null) {
            return limits.defaultPageSize();
        }
        if (limit < 1 || limit > limits.maxPageSize()) {
            throw new BadRequestException("limit", "limit must be 1 to " + limits.maxPageSize());
        }
        return limit.intValue();
    }

    private ObjectNode events(Map<String, String> q) throws BadRequestException, StoreException {
        EventQuery filter = filter(q, limit(q));
        if (filter.afterId() != null && filter.beforeId() != null) {
            throw new BadRequestException("after", "give 'before' or 'after', not both");
        }
        List<StoredEvent> events = store.events(filter);
        ObjectNode out = mapper.createObjectNode();
        ArrayNode list = out.putArray("events");
        events.forEach(e -> list.add(event(e)));
        if (events.size() == filter.limit() && filter.afterId() == null) {
            out.put("next", "before=" + events.get(events.size() - 1).id());
        } else {
            out.putNull("next");
        }
        return out;
    }

    ObjectNode event(StoredEvent e) {
        ObjectNode n = mapper.createObjectNode();
        n.put("id", e.id());
        n.put("device", e.deviceId());
        n.put("seq", e.seq());
        n.put("boot", e.boot());
        n.put("time", Instant.ofEpochMilli(e.eventMs()).toString());
        n.put("received", Instant.ofEpochMilli(e.receivedMs()).toString());
        n.put("eventId", e.eventDefId());
        n.put("type", e.type());
        n.put("category", e.category());
        n.put("sensor", e.sensor());
        n.put("severity", e.severity());
        n.put("count", e.count());
        n.put("message", e.message());
        try {
            n.set("context", mapper.readTree(e.contextJson()));
        } catch (JsonProcessingException ex) {
            n.putObject("context");
        }
        n.put("truncated", e.truncated());
        n.put("late", e.late());
        return n;
    }

    private ObjectNode timeline(Map<String, String> q) throws BadRequestException, StoreException {
        long now = clock.millis();
        Long to = time(q, "to");
        Long from = time(q, "from");
        long end = to == null ? now : to;
        long start = from == null ? end - 3600_000L : from;
        if (end <= start) {
            throw new BadRequestException("to", "'to' must be after 'from'");
        }
        if (end - start > limits.maxRangeMs()) {
            throw new BadRequestException("from", "the range is at most " + limits.maxRangeMs() / 3600_000 + " hours");
        }
        Long bucketSeconds = number(q, "bucket");
        long bucket = bucketSeconds == null ? Math.max(1000, (end - start) / 60) : bucketSeconds * 1000;
        if (bucket < 1000) {
            throw new BadRequestException("bucket", "bucket is in seconds, at least 1");
        }
        if ((end - start + bucket - 1) / bucket > limits.maxBuckets()) {
            throw new BadRequestException("bucket", "at most " + limits.maxBuckets() + " buckets; choose a larger bucket");
        }
        String device = q.get("device");
        if (device != null && !MonitoringTopics.isName(device)) {
            throw new BadRequestException("device", "not a device id: must be [A-Za-z0-9._-]{1,64}");
        }
        EventStore.Timeline t = store.timeline(start, end, bucket, device);
        ObjectNode out = mapper.createObjectNode();
        out.put("from", Instant.ofEpochMilli(start).toString());
        out.put("to", Instant.ofEpochMilli(end).toString());
        out.put("bucketSeconds", bucket / 1000);
        ObjectNode series = out.putObject("series");
        t.series().forEach((type, points) -> {
            ArrayNode a = series.putArray(type);
            points.forEach((at, count) -> a.add(mapper.createArrayNode().add(Instant.ofEpochMilli(at).toString()).add(count)));
        });
        return out;
    }

    private void layout(HttpExchange x, String method, String user, Map<String, String> q) throws IOException, DashboardException {
        params(q);
        if (method.equals("GET")) {
            Optional<String> saved = store.layout(user);
            JsonNode layout = saved.isPresent() ? mapper.readTree(saved.get()) : defaultLayout();
            ObjectNode out = mapper.createObjectNode();
            out.put("user", user);
            out.put("saved", saved.isPresent());
            out.set("layout", layout);
            json(x, 200, out);
        } else if (method.equals("PUT")) {
            ObjectNode layout = validLayout(body(x));
            store.saveLayout(user, mapper.writeValueAsString(layout));
            ObjectNode out = mapper.createObjectNode();
            out.put("user", user);
            out.put("saved", true);
            out.set("layout", layout);
            json(x, 200, out);
        } else {
            throw new BadRequestException(405, null, method + " is not allowed here; use GET or PUT");
        }
    }

    ObjectNode defaultLayout() {
        ObjectNode l = mapper.createObjectNode();
        l.put("v", 1);
        ArrayNode panels = l.putArray("panels");
        for (String p : PANELS) {
            panels.addObject().put("id", p).put("visible", true);
        }
        l.put("timelineMinutes", 60);
        return l;
    }

    /** A layout as the page sends it, checked member by member and rebuilt (nothing else is stored). */
    ObjectNode validLayout(JsonNode in) throws BadRequestException {
        if (!in.isObject() || in.path("v").asInt() != 1 || !in.path("panels").isArray()) {
            throw new BadRequestException("layout",
                "send {\"v\": 1, \"panels\": [{\"id\": ..., \"visible\": ...}], \"timelineMinutes\": N}");
        }
        ObjectNode l = mapper.createObjectNode();
        l.put("v", 1);
        ArrayNode panels = l.putArray("panels");
        Set<String> seen = new LinkedHashSet<>();
        for (JsonNode p : in.path("panels")) {
            String id = p.path("id").asText("");
            if (!PANELS.contains(id) || !seen.add(id) || !p.path("visible").isBoolean()) {
                throw new BadRequestException("layout", "panels are each of " + PANELS + " at most once, with a boolean 'visible'");
            }
            panels.addObject().put("id", id).put("visible", p.path("visible").asBoolean());
        }
        for (String id : PANELS) {
            if (!seen.contains(id)) {
                panels.addObject().put("id", id).put("visible", false);
            }
        }
        int minutes = in.path("timelineMinutes").asInt(60);
        if (minutes < 1 || minutes > limits.maxRangeMs() / 60_000) {
            throw new BadRequestException("layout", "timelineMinutes must be 1 to " + limits.maxRangeMs() / 60_000);
        }
        l.put("timelineMinutes", minutes);
        return l;
    }

    // ------------------------------------------------------------------------------------------------- live stream

    private void stream(HttpExchange x, Map<String, String> q) throws IOException, DashboardException {
        EventQuery filter = filter(q, limits.maxPageSize());
        Long after = filter.afterId();
        String lastEventId = x.getRequestHeaders().getFirst("Last-Event-ID");
        if (lastEventId != null) {
            try {
                after = Long.parseLong(lastEventId.strip());
            } catch (NumberFormatException e) {
                throw new BadRequestException("Last-Event-ID", "not an event id");
            }
        }
        LiveHub.Client client = hub.register(filter);
        try {
            x.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
            x.sendResponseHeaders(200, 0);
            OutputStream out = x.getResponseBody();
            out.write("retry: 2000\n\n".getBytes(StandardCharsets.UTF_8));
            out.flush();
            long last = after == null ? -1 : after;
            if (after != null) {
                // registered before catching up, so nothing committed in between is missed; repeats are skipped below
                for (StoredEvent e : store.events(filter.withAfterId(after, limits.maxPageSize()))) {
                    send(out, e);
                    last = Math.max(last, e.id());
                }
            }
            while (!client.closed()) {
                StoredEvent e = client.next(15_000);
                if (client.overflowed()) {
                    out.write("event: overflow\ndata: {}\n\n".getBytes(StandardCharsets.UTF_8));
                    out.flush();
                    return;
                }
                if (e == null) {
                    out.write(": keep-alive\n\n".getBytes(StandardCharsets.UTF_8));
                    out.flush();
                } else if (e.id() > last) {
                    send(out, e);
                    last = e.id();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            hub.unregister(client);
        }
    }

    private void send(OutputStream out, StoredEvent e) throws IOException {
        String data = mapper.writeValueAsString(event(e));
        out.write(("id: " + e.id() + "\nevent: security-event\ndata: " + data + "\n\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    // ------------------------------------------------------------------------------------------------- helpers

    static Map<String, String> query(URI uri) throws BadRequestException {
        Map<String, String> out = new LinkedHashMap<>();
        String raw = uri.getRawQuery();
        if (raw == null || raw.isEmpty()) {
            return out;
        }
        if (raw.length() > 4096) {
            throw new BadRequestException(414, null, "query too long");
        }
        for (String pair : raw.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String name;
            String value;
            try {
                name = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
                value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                throw new BadRequestException(null, "malformed query: " + e.getMessage());
            }
            if (value.isEmpty()) {
                continue; // an empty filter field means no condition
            }
            if (out.put(name, value) != null) {
                throw new BadRequestException(name, "parameter '" + name + "' given twice");
            }
        }
        return out;
    }

    private static void params(Map<String, String> q, String... allowed) throws BadRequestException {
        List<String> known = List.of(allowed);
        for (String name : q.keySet()) {
            if (!known.contains(name)) {
                throw new BadRequestException(name, "unknown parameter '" + name + "'" + (known.isEmpty() ? "" : "; known: " + known));
            }
        }
    }

    private static Long number(Map<String, String> q, String name) throws BadRequestException {
        String v = q.get(name);
        if (v == null) {
            return null;
        }
        try {
            long n = Long.parseLong(v);
            if (n < 0) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw new BadRequestException(name, "'" + name + "' must be a non-negative integer");
        }
    }

    /** A time parameter: RFC 3339 (2026-05-01T10:00:00Z) or epoch milliseconds. */
    static Long time(Map<String, String> q, String name) throws BadRequestException {
        String v = q.get(name);
        if (v == null) {
            return null;
        }
        if (v.chars().allMatch(Character::isDigit) && v.length() <= 15) {
            return Long.parseLong(v);
        }
        try {
            return Instant.parse(v).toEpochMilli();
        } catch (DateTimeParseException e) {
            throw new BadRequestException(name, "'" + name + "' must be an RFC 3339 UTC time (2026-05-01T10:00:00Z) or epoch ms");
        }
    }

    private JsonNode body(HttpExchange x) throws IOException, BadRequestException {
        byte[] bytes = x.getRequestBody().readNBytes(limits.maxBodyBytes() + 1);
        if (bytes.length > limits.maxBodyBytes()) {
            throw new BadRequestException(413, null, "the body is larger than " + limits.maxBodyBytes() + " bytes");
        }
        try {
            JsonNode n = mapper.readTree(bytes);
            if (n == null || !n.isObject()) {
                throw new BadRequestException(null, "the body must be a JSON object");
            }
            return n;
        } catch (JsonProcessingException e) {
            throw new BadRequestException(null, "the body is not JSON: " + e.getOriginalMessage());
        }
    }

    private void json(HttpExchange x, int status, JsonNode body) throws IOException {
        send(x, status, "application/json; charset=utf-8", mapper.writeValueAsBytes(body));
    }

    private void error(HttpExchange x, int status, String parameter, String message) throws IOException {
        ObjectNode e = mapper.createObjectNode();
        ObjectNode inner = e.putObject("error");
        inner.put("status", status);
        inner.put("message", message);
        if (parameter != null) {
            inner.put("parameter", parameter);
        }
        json(x, status, e);
    }

    private static void send(HttpExchange x, int status, String type, byte[] body) throws IOException {
        x.getResponseHeaders().set("Content-Type", type);
        if (x.getRequestMethod().equals("HEAD")) {
            x.sendResponseHeaders(status, -1);
            return;
        }
        x.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        if (body.length > 0) {
            x.getResponseBody().write(body);
        }
    }
}
