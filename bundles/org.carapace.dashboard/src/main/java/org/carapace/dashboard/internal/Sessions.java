package org.carapace.dashboard.internal;

import java.security.SecureRandom;
import java.time.Clock;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Login sessions: a 256-bit random token (the cookie's value) per session, kept in memory only, expiring after a
 * fixed time; failed logins per user name are throttled. Thread-safe.
 */
public final class Sessions {

    private record Session(String user, long expiresMs) {
    }

    private record Failures(int count, long sinceMs) {
    }

    static final int MAX_FAILURES = 5;
    static final long FAILURE_WINDOW_MS = 5 * 60_000L;

    private final Clock clock;
    private final long ttlMs;
    private final int maxSessions;
    private final SecureRandom random = new SecureRandom();
    private final Map<String, Session> sessions = new LinkedHashMap<>();
    private final Map<String, Failures> failures = new LinkedHashMap<>();

    public Sessions(Clock clock, long ttlMs, int maxSessions) {
        this.clock = clock;
        this.ttlMs = ttlMs;
        this.maxSessions = maxSessions;
    }

    /** A new session's token. */
    public synchronized String create(String user) {
        expire();
        if (sessions.size() >= maxSessions) {
            Iterator<String> oldest = sessions.keySet().iterator();
            oldest.next();
            oldest.remove();
        }
        byte[] bytes = new byte[32];
        random.nextBytes(bytes);
        String token = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
        sessions.put(token, new Session(user, clock.millis() + ttlMs));
        failures.remove(user);
        return token;
    }

    /** The session's user, if the token names a live session. */
    public synchronized Optional<String> user(String token) {
        if (token == null) {
            return Optional.empty();
        }
        Session s = sessions.get(token);
        if (s == null || s.expiresMs() <= clock.millis()) {
            sessions.remove(token);
            return Optional.empty();
        }
        return Optional.of(s.user());
    }

    public synchronized void end(String token) {
        if (token != null) {
            sessions.remove(token);
        }
    }

    public long ttlMs() {
        return ttlMs;
    }

    /** Whether logins for this name are blocked for now (too many failures in the window). */
    public synchronized boolean throttled(String name) {
        Failures f = failures.get(name);
        return f != null && f.count() >= MAX_FAILURES && clock.millis() - f.sinceMs() < FAILURE_WINDOW_MS;
    }

    public synchronized void failed(String name) {
        long now = clock.millis();
        Failures f = failures.get(name);
        if (f == null || now - f.sinceMs() >= FAILURE_WINDOW_MS) {
            f = new Failures(0, now);
        }
        if (failures.size() > 10_000) {
            failures.clear();
        }
        failures.put(name, new Failures(f.count() + 1, f.sinceMs()));
    }

    private void expire() {
        long now = clock.millis();
        sessions.values().removeIf(s -> s.expiresMs() <= now);
    }
}
