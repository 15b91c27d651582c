package dev.inbox.benchmarks.loadgen;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;

/**
 * How a user authenticates: in dev mode {@code ?user_id=N&name=uN} on the URL; otherwise an HS256 JWT minted here
 * with Nimbus ({@code sub} = user id, {@code name}, {@code exp} an hour ahead by default), sent as
 * {@code Authorization: Bearer}. Not thread-safe: used by the thread that opens the connections.
 */
final class Credentials {
    private final MACSigner signer;
    private final Duration ttl;
    private long cachedUser = -1;
    private HttpHeaders cachedHeaders;

    /** {@code jwtSecret} null means dev mode. */
    Credentials(String jwtSecret, Duration ttl) {
        try {
            this.signer = jwtSecret == null ? null : new MACSigner(jwtSecret.getBytes(StandardCharsets.UTF_8));
        } catch (JOSEException e) {
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
        Instant now = Instant.now();
        JWTClaimsSet claims = new JWTClaimsSet.Builder()
                .subject(Long.toString(userId))
                .claim("name", "u" + userId)
                .issueTime(Date.from(now))
                .expirationTime(Date.from(now.plus(ttl)))
                .build();
        try {
            SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims);
            jwt.sign(signer);
            return jwt.serialize();
        } catch (JOSEException e) {
            throw new IllegalStateException("signing a token: " + e.getMessage(), e);
        }
    }
}
