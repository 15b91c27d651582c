package dev.inbox.testkit;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;

/**
 * Mints HS256 tokens the way an identity provider would, with Nimbus: for the tests, the soak and the load generator
 * ({@code sub} the user id, {@code name}, optionally {@code picture}, issued now, expiring when asked).
 */
public final class Tokens {
    private Tokens() {}

    public static String hs256(String secret, long userId, String name, String picture, Instant expiresAt) {
        return hs256(signer(secret), userId, name, picture, expiresAt);
    }

    /** The same with a signer made once ({@link #signer}), for a caller minting many. */
    public static String hs256(JWSSigner signer, long userId, String name, String picture, Instant expiresAt) {
        JWTClaimsSet.Builder claims = new JWTClaimsSet.Builder()
                .subject(Long.toString(userId))
                .issueTime(new Date())
                .expirationTime(Date.from(expiresAt));
        if (name != null) {
            claims.claim("name", name);
        }
        if (picture != null) {
            claims.claim("picture", picture);
        }
        return sign(signer, claims.build());
    }

    public static String hs256(String secret, long userId, Duration ttl) {
        return hs256(secret, userId, "User " + userId, null, Instant.now().plus(ttl));
    }

    public static String sign(String secret, JWTClaimsSet claims) {
        return sign(signer(secret), claims);
    }

    public static String sign(JWSSigner signer, JWTClaimsSet claims) {
        try {
            SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims);
            jwt.sign(signer);
            return jwt.serialize();
        } catch (JOSEException e) {
            throw new IllegalStateException("signing a token: " + e.getMessage(), e);
        }
    }

    /**
     * An HS256 signer for {@code secret}.
     *
     * @throws IllegalArgumentException when the secret is too short for HS256 (under 32 bytes)
     */
    public static JWSSigner signer(String secret) {
        try {
            return new MACSigner(secret.getBytes(StandardCharsets.UTF_8));
        } catch (JOSEException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }
}
