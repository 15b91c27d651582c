package dev.inbox.gateway.auth;

import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The Origin allow-list, the defence against cross-site WebSocket hijacking: a page on another site can open a
 * WebSocket to the gateway with the user's cookie, and only the browser-set {@code Origin} tells the two apart.
 * An empty list allows every origin. A request without {@code Origin} is not from a browser page (browsers always
 * send it on WebSocket upgrades) and is allowed: such a client could forge the header anyway.
 */
public final class OriginPolicy {
    private final Set<String> allowed;

    public OriginPolicy(List<String> allowedOrigins) {
        this.allowed = Set.copyOf(allowedOrigins);
    }

    public boolean allows(String origin) {
        if (allowed.isEmpty() || origin == null) {
            return true;
        }
        String o = origin.trim().toLowerCase(Locale.ROOT);
        while (o.endsWith("/")) {
            o = o.substring(0, o.length() - 1);
        }
        return allowed.contains(o);
    }
}
