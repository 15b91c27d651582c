package dev.inbox.testkit;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;

/** Mints HS256 tokens the way an identity provider would, with Nimbus. */
public final class Tokens {
    private Tokens() {
    }

    public static String hs256(String secret, long userId, String name, String picture, Instant expiresAt) {
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
        return sign(secret, claims.build());
    }

    public static String hs256(String secret, long userId, Duration ttl) {
        return hs256(secret, userId, "User " + userId, null, Instant.now().plus(ttl));
    }

    public static String sign(String secret, JWTClaimsSet claims) {
        try {
            SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims);
            jwt.sign(new MACSigner(secret.getBytes(StandardCharsets.UTF_8)));
            return jwt.serialize();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }
}
