package dev.inbox.gateway.auth;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jose.proc.SingleKeyJWSKeySelector;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.proc.BadJWTException;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import dev.inbox.gateway.config.ConfigException;
import dev.inbox.gateway.config.GatewayConfig;
import dev.inbox.protocol.Ids;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.text.ParseException;
import java.util.Base64;
import java.util.Date;
import java.util.HashSet;
import java.util.Set;
import javax.crypto.spec.SecretKeySpec;

/**
 * Verifies a JWT with Nimbus JOSE+JWT against the one configured key: HS256 with a secret, or RS256/ES256 with a
 * PEM public key. Exactly one algorithm is accepted, so a token cannot pick its own ({@code alg:none}, or HS256
 * signed with the public key). {@code sub} must be a user id, {@code exp} must be present and in the future (60 s
 * of clock skew, Nimbus's default), {@code iss}/{@code aud} must match when configured.
 *
 * <p>With {@code keepClaims} (a node with a publish hook) the user carries the token's payload, the claims object
 * exactly as the token held it, so the hook can be sent them (docs/operations.md, "Hooks").
 *
 * <p>Thread-safe. Runs on the event loop during the handshake: an HMAC costs microseconds, an RSA or EC check tens.
 */
public final class TokenVerifier {
    private final DefaultJWTProcessor<SecurityContext> processor = new DefaultJWTProcessor<>();
    private final boolean keepClaims;

    /**
     * @throws ConfigException when the key file cannot be read or holds no RSA or P-256 public key
     */
    public TokenVerifier(GatewayConfig.Auth auth) throws ConfigException {
        this(auth, false);
    }

    /**
     * @param keepClaims whether each user keeps its token's claims JSON ({@link AuthenticatedUser#claimsJson})
     * @throws ConfigException when the key file cannot be read or holds no RSA or P-256 public key
     */
    public TokenVerifier(GatewayConfig.Auth auth, boolean keepClaims) throws ConfigException {
        this.keepClaims = keepClaims;
        Key key;
        JWSAlgorithm alg;
        if (auth.jwtSecret() != null) {
            key = new SecretKeySpec(auth.jwtSecret(), "HmacSHA256");
            alg = JWSAlgorithm.HS256;
        } else if (auth.jwtPublicKey() != null) {
            PublicKey pub = readPublicKey(auth);
            key = pub;
            alg = pub instanceof ECPublicKey ? JWSAlgorithm.ES256 : JWSAlgorithm.RS256;
        } else {
            throw new IllegalArgumentException("no token key configured");
        }
        processor.setJWSKeySelector(new SingleKeyJWSKeySelector<>(alg, key));
        JWTClaimsSet.Builder exact = new JWTClaimsSet.Builder();
        if (auth.issuer() != null) {
            exact.issuer(auth.issuer());
        }
        Set<String> required = new HashSet<>(Set.of("sub", "exp"));
        processor.setJWTClaimsSetVerifier(new DefaultJWTClaimsVerifier<>(auth.audience(), exact.build(), required));
    }

    /** Checks {@code token} and returns the user it names. */
    public AuthenticatedUser verify(String token) throws AuthenticationException {
        JWTClaimsSet claims;
        try {
            claims = processor.process(token, null);
        } catch (BadJWTException e) {
            // Claims problems: expired, wrong issuer or audience, missing sub/exp. Nimbus's text names the claim.
            throw new AuthenticationException("token rejected: " + e.getMessage());
        } catch (ParseException | BadJOSEException e) {
            throw new AuthenticationException("token rejected: not a valid signed JWT");
        } catch (com.nimbusds.jose.JOSEException e) {
            throw new AuthenticationException("token rejected: signature could not be checked");
        }
        long id;
        try {
            id = Long.parseLong(claims.getSubject());
        } catch (NumberFormatException e) {
            throw new AuthenticationException("token rejected: sub must be a positive integer user id");
        }
        if (!Ids.isValid(id) || !claims.getSubject().equals(Long.toString(id))) {
            // Canonical form only ("5", not "05" or "+5"), so one user has one spelling everywhere.
            throw new AuthenticationException("token rejected: sub must be a positive integer user id");
        }
        Date exp = claims.getExpirationTime();
        return new AuthenticatedUser(
                id,
                stringClaim(claims, "name"),
                stringClaim(claims, "picture"),
                exp.getTime(),
                keepClaims ? payload(token) : null);
    }

    /**
     * The verified token's payload: its middle part, base64url-decoded. Nimbus has just parsed it as a JSON object,
     * so it is one; sent as it came, the backend sees the claims the signature covered, not a re-serialization.
     */
    private static String payload(String token) {
        int start = token.indexOf('.') + 1;
        int end = token.indexOf('.', start);
        return new String(Base64.getUrlDecoder().decode(token.substring(start, end)), StandardCharsets.UTF_8);
    }

    private static String stringClaim(JWTClaimsSet claims, String name) {
        Object v = claims.getClaim(name);
        return v instanceof String s && !s.isEmpty() ? s : null;
    }

    private static PublicKey readPublicKey(GatewayConfig.Auth auth) throws ConfigException {
        String pem;
        try {
            pem = Files.readString(auth.jwtPublicKey(), StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new ConfigException("jwt-public-key: " + auth.jwtPublicKey() + ": " + e.getMessage());
        }
        String body = pem.replaceAll("-----(BEGIN|END) PUBLIC KEY-----", "").replaceAll("\\s", "");
        byte[] der;
        try {
            der = Base64.getDecoder().decode(body);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(
                    "jwt-public-key: " + auth.jwtPublicKey() + " (expected: a PEM '-----BEGIN PUBLIC KEY-----' block)");
        }
        for (String algorithm : new String[] {"RSA", "EC"}) {
            try {
                PublicKey key = KeyFactory.getInstance(algorithm).generatePublic(new X509EncodedKeySpec(der));
                if (key instanceof ECPublicKey ec
                        && ec.getParams().getCurve().getField().getFieldSize() != 256) {
                    throw new ConfigException(
                            "jwt-public-key: " + auth.jwtPublicKey() + " (expected: an EC key on P-256 for ES256)");
                }
                return key;
            } catch (GeneralSecurityException e) {
                // not this algorithm; try the next
            }
        }
        throw new ConfigException(
                "jwt-public-key: " + auth.jwtPublicKey() + " (expected: an RSA or EC P-256 public key in PEM)");
    }
}
