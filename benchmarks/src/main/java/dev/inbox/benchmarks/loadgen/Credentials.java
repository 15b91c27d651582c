package dev.inbox.benchmarks.loadgen;

import com.nimbusds.jose.JWSSigner;
import dev.inbox.testkit.Tokens;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;

/**
 * How a user authenticates: in dev mode {@code ?user_id=N&name=uN} on the URL; otherwise an HS256 JWT minted by the
 * test kit's {@link Tokens} ({@code sub} = user id, {@code name}, {@code exp} an hour ahead by default), sent as
 * {@code Authorization: Bearer}. Not thread-safe: used by the thread that opens the connections.
 */
final class Credentials {
    private final JWSSigner signer;
    private final Duration ttl;
    private long cachedUser = -1;
    private HttpHeaders cachedHeaders;

    /** {@code jwtSecret} null means dev mode. */
    Credentials(String jwtSecret, Duration ttl) {
        try {
            this.signer = jwtSecret == null ? null : Tokens.signer(jwtSecret);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--jwt-secret: " + e.getMessage(), e);
        }
        this.ttl = ttl;
    }

    URI uri(URI node, long userId) {
        return signer != null ? node : URI.create(node + "?user_id=" + userId + "&name=u" + userId);
    }

    /** The upgrade request's extra headers; a user's connections are opened one after the other and share one token. */
    HttpHeaders headers(long userId) {
        if (signer == null) {
            return EmptyHttpHeaders.INSTANCE;
        }
        if (userId != cachedUser) {
            cachedHeaders = new DefaultHttpHeaders().set(HttpHeaderNames.AUTHORIZATION, "Bearer " + token(userId));
            cachedUser = userId;
        }
        return cachedHeaders;
    }

    String token(long userId) {
        return Tokens.hs256(signer, userId, "u" + userId, null, Instant.now().plus(ttl));
    }
}
