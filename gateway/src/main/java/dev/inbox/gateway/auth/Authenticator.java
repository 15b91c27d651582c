package dev.inbox.gateway.auth;

import dev.inbox.protocol.Ids;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.cookie.Cookie;
import io.netty.handler.codec.http.cookie.ServerCookieDecoder;
import java.util.List;
import java.util.Set;

/**
 * Finds the credential in an upgrade request and turns it into an {@link AuthenticatedUser}. The token is looked
 * for, in this order, in:
 * <ol>
 *   <li>{@code Authorization: Bearer <jwt>};</li>
 *   <li>{@code Sec-WebSocket-Protocol}: an offered protocol {@code inbox.token.<jwt>} next to {@code inbox.v1} (the
 *       browser-safe way: browsers cannot set headers on a WebSocket; the server answers {@code inbox.v1} only, so
 *       the token is never echoed);</li>
 *   <li>the {@code token} query parameter (never logged);</li>
 *   <li>the configured cookie.</li>
 * </ol>
 * In dev mode a request with no token may name its user instead: {@code ?user_id=N&name=...&picture=...}. With a
 * connect hook, a request that brings neither is the hook's to decide ({@link #bringsNoCredential}, {@link ConnectHook}).
 *
 * <p>Thread-safe and stateless past construction.
 */
public final class Authenticator {
    /** The one subprotocol the gateway speaks; the server selects it whenever the client offers it (RFC 6455 §4.2.2). */
    public static final String SUBPROTOCOL = "inbox.v1";
    /** Prefix of the offered subprotocol that carries the token. */
    public static final String TOKEN_SUBPROTOCOL_PREFIX = "inbox.token.";

    private static final String BEARER = "bearer ";

    private final TokenVerifier verifier;
    private final String tokenCookie;
    private final boolean dev;

    /**
     * @param verifier    checks tokens; {@code null} only in dev mode or with a connect hook, when no key is
     *                    configured: tokens are refused then
     * @param tokenCookie cookie that may carry the token, or {@code null}
     * @param dev         whether {@code ?user_id=} is accepted without a token
     * @param connectHook whether a connect hook signs in requests without a credential
     */
    public Authenticator(TokenVerifier verifier, String tokenCookie, boolean dev, boolean connectHook) {
        if (verifier == null && !dev && !connectHook) {
            throw new IllegalArgumentException("a token verifier is required outside dev mode without a connect hook");
        }
        this.verifier = verifier;
        this.tokenCookie = tokenCookie;
        this.dev = dev;
    }

    /** Without a connect hook. */
    public Authenticator(TokenVerifier verifier, String tokenCookie, boolean dev) {
        this(verifier, tokenCookie, dev, false);
    }

    /**
     * Whether the request carries no credential at all: no token anywhere, and in dev mode no {@code ?user_id=}. Such
     * a request is the connect hook's to decide, when there is one; a request with a credential, even a bad one, never
     * is (a bad token gets 401 as without a hook).
     */
    public boolean bringsNoCredential(HttpRequest request, QueryStringDecoder query) {
        return findToken(request, query) == null && !(dev && first(query, "user_id") != null);
    }

    public AuthenticatedUser authenticate(HttpRequest request, QueryStringDecoder query)
            throws AuthenticationException {
        String token = findToken(request, query);
        if (token != null) {
            if (verifier == null) {
                throw new AuthenticationException("tokens are not accepted: no token key is configured");
            }
            return verifier.verify(token);
        }
        if (dev) {
            return devUser(query);
        }
        throw new AuthenticationException("missing token (Authorization: Bearer, subprotocol "
                + TOKEN_SUBPROTOCOL_PREFIX + "<jwt>, ?token= or cookie)");
    }

    private String findToken(HttpRequest request, QueryStringDecoder query) {
        String authorization = request.headers().get(HttpHeaderNames.AUTHORIZATION);
        if (authorization != null && authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            String t = authorization.substring(BEARER.length()).trim();
            if (!t.isEmpty()) {
                return t;
            }
        }
        for (String protocols : request.headers().getAll(HttpHeaderNames.SEC_WEBSOCKET_PROTOCOL)) {
            for (String p : protocols.split(",")) {
                String offered = p.trim();
                if (offered.startsWith(TOKEN_SUBPROTOCOL_PREFIX)
                        && offered.length() > TOKEN_SUBPROTOCOL_PREFIX.length()) {
                    return offered.substring(TOKEN_SUBPROTOCOL_PREFIX.length());
                }
            }
        }
        List<String> fromQuery = query.parameters().get("token");
        if (fromQuery != null && !fromQuery.isEmpty() && !fromQuery.get(0).isEmpty()) {
            return fromQuery.get(0);
        }
        if (tokenCookie != null) {
            String cookieHeader = request.headers().get(HttpHeaderNames.COOKIE);
            if (cookieHeader != null) {
                Set<Cookie> cookies = ServerCookieDecoder.STRICT.decode(cookieHeader);
                for (Cookie c : cookies) {
                    if (c.name().equals(tokenCookie) && !c.value().isEmpty()) {
                        return c.value();
                    }
                }
            }
        }
        return null;
    }

    private static AuthenticatedUser devUser(QueryStringDecoder query) throws AuthenticationException {
        String raw = first(query, "user_id");
        if (raw == null) {
            throw new AuthenticationException("missing token, or in dev mode ?user_id=N");
        }
        long id;
        try {
            id = Long.parseLong(raw);
        } catch (NumberFormatException e) {
            id = -1;
        }
        if (!Ids.isValid(id)) {
            throw new AuthenticationException("user_id must be a positive integer below 2^53");
        }
        return new AuthenticatedUser(id, first(query, "name"), first(query, "picture"), Long.MAX_VALUE);
    }

    private static String first(QueryStringDecoder query, String name) {
        List<String> values = query.parameters().get(name);
        return values == null || values.isEmpty() || values.get(0).isEmpty() ? null : values.get(0);
    }
}
