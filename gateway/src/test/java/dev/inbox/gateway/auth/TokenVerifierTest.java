package dev.inbox.gateway.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import dev.inbox.gateway.config.ConfigException;
import dev.inbox.gateway.config.GatewayConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.interfaces.ECPrivateKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TokenVerifierTest {
    private static final byte[] SECRET = "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.UTF_8);
    private static final byte[] OTHER_SECRET = "fedcba9876543210fedcba9876543210".getBytes(StandardCharsets.UTF_8);

    private static KeyPair rsa;
    private static KeyPair otherRsa;
    private static KeyPair ec;
    private static KeyPair otherEc;

    @TempDir
    Path dir;

    @BeforeAll
    static void generateKeys() throws GeneralSecurityException {
        KeyPairGenerator r = KeyPairGenerator.getInstance("RSA");
        r.initialize(2048);
        rsa = r.generateKeyPair();
        otherRsa = r.generateKeyPair();
        KeyPairGenerator e = KeyPairGenerator.getInstance("EC");
        e.initialize(new ECGenParameterSpec("secp256r1"));
        ec = e.generateKeyPair();
        otherEc = e.generateKeyPair();
    }

    // ---- helpers ------------------------------------------------------------------------------------------

    private static GatewayConfig.Auth hs256(String issuer, String audience) {
        return new GatewayConfig.Auth(SECRET, null, issuer, audience, null, List.of());
    }

    private GatewayConfig.Auth publicKey(PublicKey key) throws IOException {
        return new GatewayConfig.Auth(null, pem(key), null, null, null, List.of());
    }

    private Path pem(PublicKey key) throws IOException {
        String body = Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(key.getEncoded());
        return Files.writeString(
                Files.createTempFile(dir, "key", ".pem"),
                "-----BEGIN PUBLIC KEY-----\n" + body + "\n-----END PUBLIC KEY-----\n",
                StandardCharsets.US_ASCII);
    }

    private static Instant inAnHour() {
        return Instant.now().plus(1, ChronoUnit.HOURS).truncatedTo(ChronoUnit.SECONDS);
    }

    private static JWTClaimsSet.Builder claims(String sub) {
        return new JWTClaimsSet.Builder().subject(sub).issueTime(new Date()).expirationTime(Date.from(inAnHour()));
    }

    private static String sign(JWSAlgorithm alg, JWSSigner signer, JWTClaimsSet claims) {
        try {
            SignedJWT jwt = new SignedJWT(new JWSHeader(alg), claims);
            jwt.sign(signer);
            return jwt.serialize();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String hs256Token(byte[] secret, JWTClaimsSet claims) {
        try {
            return sign(JWSAlgorithm.HS256, new MACSigner(secret), claims);
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String rs256Token(KeyPair keys, JWTClaimsSet claims) {
        return sign(JWSAlgorithm.RS256, new RSASSASigner(keys.getPrivate()), claims);
    }

    private static String es256Token(KeyPair keys, JWTClaimsSet claims) {
        try {
            return sign(JWSAlgorithm.ES256, new ECDSASigner((ECPrivateKey) keys.getPrivate()), claims);
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Expects {@code token} to be refused with a message that does not echo it. */
    private static AuthenticationException refused(TokenVerifier verifier, String token) {
        AuthenticationException e = assertThrows(AuthenticationException.class, () -> verifier.verify(token));
        assertTrue(e.getMessage().startsWith("token rejected"), e::getMessage);
        assertFalse(e.getMessage().contains(token), "the message goes to the client and must not echo the token");
        return e;
    }

    // ---- HS256 --------------------------------------------------------------------------------------------

    @Test
    void validHs256TokenGivesTheUserItNames() throws Exception {
        Instant exp = inAnHour();
        String token = hs256Token(
                SECRET,
                new JWTClaimsSet.Builder()
                        .subject("42")
                        .claim("name", "Ann")
                        .claim("picture", "https://cdn.example/ann.png")
                        .expirationTime(Date.from(exp))
                        .build());

        AuthenticatedUser user = new TokenVerifier(hs256(null, null)).verify(token);

        assertEquals(new AuthenticatedUser(42, "Ann", "https://cdn.example/ann.png", exp.toEpochMilli()), user);
    }

    @Test
    void nameAndPictureAreOptionalAndMustBeNonEmptyStrings() throws Exception {
        TokenVerifier v = new TokenVerifier(hs256(null, null));

        AuthenticatedUser bare = v.verify(hs256Token(SECRET, claims("7").build()));
        assertNull(bare.name());
        assertNull(bare.avatar());

        AuthenticatedUser odd = v.verify(hs256Token(
                SECRET, claims("7").claim("name", 12).claim("picture", "").build()));
        assertNull(odd.name(), "a non-string name is ignored");
        assertNull(odd.avatar(), "an empty picture is ignored");
    }

    @Test
    void largestSafeUserIdIsAccepted() throws Exception {
        AuthenticatedUser user = new TokenVerifier(hs256(null, null))
                .verify(hs256Token(SECRET, claims("9007199254740991").build()));
        assertEquals(9_007_199_254_740_991L, user.id());
    }

    @Test
    void expiredTokenIsRefused() throws Exception {
        String token = hs256Token(
                SECRET,
                claims("42")
                        .expirationTime(Date.from(Instant.now().minus(10, ChronoUnit.MINUTES)))
                        .build());
        refused(new TokenVerifier(hs256(null, null)), token);
    }

    @Test
    void tokenExpiredWithinTheClockSkewIsReturnedWithItsPastExpiry() throws Exception {
        // Nimbus allows 60 s of skew; the caller (HandshakeHandler) compares expiresAtMillis with the clock itself.
        Instant exp = Instant.now().minus(10, ChronoUnit.SECONDS).truncatedTo(ChronoUnit.SECONDS);
        AuthenticatedUser user = new TokenVerifier(hs256(null, null))
                .verify(hs256Token(
                        SECRET, claims("42").expirationTime(Date.from(exp)).build()));
        assertEquals(exp.toEpochMilli(), user.expiresAtMillis());
    }

    @Test
    void tokenNotYetValidIsRefused() throws Exception {
        String token = hs256Token(
                SECRET,
                claims("42")
                        .notBeforeTime(Date.from(Instant.now().plus(10, ChronoUnit.MINUTES)))
                        .build());
        refused(new TokenVerifier(hs256(null, null)), token);
    }

    @Test
    void tokenWithoutExpIsRefused() throws Exception {
        String token =
                hs256Token(SECRET, new JWTClaimsSet.Builder().subject("42").build());
        AuthenticationException e = refused(new TokenVerifier(hs256(null, null)), token);
        assertTrue(e.getMessage().contains("exp"), e::getMessage);
    }

    @Test
    void tokenWithoutSubIsRefused() throws Exception {
        String token = hs256Token(
                SECRET,
                new JWTClaimsSet.Builder().expirationTime(Date.from(inAnHour())).build());
        AuthenticationException e = refused(new TokenVerifier(hs256(null, null)), token);
        assertTrue(e.getMessage().contains("sub"), e::getMessage);
    }

    @ParameterizedTest
    @ValueSource(
            strings = {"abc", "0", "-5", "1.5", "", " 7", "9007199254740992", "99999999999999999999", "0x10", "05", "+5"
            })
    void subThatIsNotAPositiveSafeIntegerIsRefused(String sub) throws Exception {
        TokenVerifier v = new TokenVerifier(hs256(null, null));
        AuthenticationException e = refused(v, hs256Token(SECRET, claims(sub).build()));
        assertTrue(e.getMessage().contains("sub"), e::getMessage);
    }

    @Test
    void tokenSignedWithAnotherSecretIsRefused() throws Exception {
        refused(
                new TokenVerifier(hs256(null, null)),
                hs256Token(OTHER_SECRET, claims("42").build()));
    }

    @Test
    void tamperedPayloadIsRefused() throws Exception {
        String token = hs256Token(SECRET, claims("42").build());
        String[] parts = token.split("\\.");
        String forged = Base64.getUrlEncoder()
                .withoutPadding()
                .encodeToString(claims("1").build().toString().getBytes(StandardCharsets.UTF_8));
        refused(new TokenVerifier(hs256(null, null)), parts[0] + "." + forged + "." + parts[2]);
    }

    @Test
    void hs512TokenIsRefusedWhenConfiguredForHs256() throws Exception {
        byte[] longSecret = (new String(SECRET, StandardCharsets.UTF_8) + new String(SECRET, StandardCharsets.UTF_8))
                .getBytes(StandardCharsets.UTF_8);
        TokenVerifier v = new TokenVerifier(new GatewayConfig.Auth(longSecret, null, null, null, null, List.of()));
        refused(
                v,
                sign(JWSAlgorithm.HS512, new MACSigner(longSecret), claims("42").build()));
    }

    @Test
    void unsignedAlgNoneTokenIsRefused() throws Exception {
        String token = new PlainJWT(claims("42").build()).serialize();
        assertTrue(token.endsWith("."), "an unsecured JWT has an empty signature");
        refused(new TokenVerifier(hs256(null, null)), token);
    }

    @ParameterizedTest
    @ValueSource(strings = {"garbage", "a.b.c", "a.b", "..", "eyJhbGciOiJIUzI1NiJ9..."})
    void malformedTokenIsRefused(String token) throws Exception {
        refused(new TokenVerifier(hs256(null, null)), token);
    }

    // ---- RS256 / ES256 ----------------------------------------------------------------------------------------

    @Test
    void validRs256TokenIsAccepted() throws Exception {
        TokenVerifier v = new TokenVerifier(publicKey(rsa.getPublic()));
        assertEquals(42, v.verify(rs256Token(rsa, claims("42").build())).id());
    }

    @Test
    void rs256TokenFromAnotherKeyIsRefused() throws Exception {
        refused(
                new TokenVerifier(publicKey(rsa.getPublic())),
                rs256Token(otherRsa, claims("42").build()));
    }

    @Test
    void hs256TokenIsRefusedWhenConfiguredForRs256() throws Exception {
        TokenVerifier v = new TokenVerifier(publicKey(rsa.getPublic()));
        // The classic algorithm confusion: HMAC keyed with the (public) key's own bytes.
        Path pem = pem(rsa.getPublic());
        refused(v, hs256Token(Files.readAllBytes(pem), claims("42").build()));
        refused(v, hs256Token(rsa.getPublic().getEncoded(), claims("42").build()));
        refused(v, hs256Token(SECRET, claims("42").build()));
    }

    @Test
    void es256TokenIsRefusedWhenConfiguredForRs256() throws Exception {
        refused(
                new TokenVerifier(publicKey(rsa.getPublic())),
                es256Token(ec, claims("42").build()));
    }

    @Test
    void validEs256TokenIsAccepted() throws Exception {
        Instant exp = inAnHour();
        TokenVerifier v = new TokenVerifier(publicKey(ec.getPublic()));
        AuthenticatedUser user = v.verify(es256Token(
                ec,
                claims("9").claim("name", "Bo").expirationTime(Date.from(exp)).build()));
        assertEquals(new AuthenticatedUser(9, "Bo", null, exp.toEpochMilli()), user);
    }

    @Test
    void es256TokenFromAnotherKeyIsRefused() throws Exception {
        refused(
                new TokenVerifier(publicKey(ec.getPublic())),
                es256Token(otherEc, claims("42").build()));
    }

    @Test
    void rs256AndHs256TokensAreRefusedWhenConfiguredForEs256() throws Exception {
        TokenVerifier v = new TokenVerifier(publicKey(ec.getPublic()));
        refused(v, rs256Token(rsa, claims("42").build()));
        refused(v, hs256Token(ec.getPublic().getEncoded(), claims("42").build()));
    }

    @Test
    void unsignedAlgNoneTokenIsRefusedWhenConfiguredForAPublicKey() throws Exception {
        refused(
                new TokenVerifier(publicKey(rsa.getPublic())),
                new PlainJWT(claims("42").build()).serialize());
    }

    @Test
    void ecKeyOffP256IsAConfigurationError() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp384r1"));
        GatewayConfig.Auth auth = publicKey(g.generateKeyPair().getPublic());
        ConfigException e = assertThrows(ConfigException.class, () -> new TokenVerifier(auth));
        assertTrue(
                e.getMessage().startsWith("jwt-public-key: ") && e.getMessage().contains("P-256"), e::getMessage);
    }

    @Test
    void keyFileWithoutAKeyIsAConfigurationError() throws Exception {
        Path notBase64 =
                Files.writeString(dir.resolve("a.pem"), "-----BEGIN PUBLIC KEY-----\n!!!\n-----END PUBLIC KEY-----\n");
        Path notAKey =
                Files.writeString(dir.resolve("b.pem"), "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n");
        for (Path p : List.of(notBase64, notAKey)) {
            GatewayConfig.Auth auth = new GatewayConfig.Auth(null, p, null, null, null, List.of());
            ConfigException e = assertThrows(ConfigException.class, () -> new TokenVerifier(auth));
            assertTrue(e.getMessage().startsWith("jwt-public-key: " + p), e::getMessage);
        }
    }

    @Test
    void unreadableKeyFileIsAConfigurationError() {
        Path missing = dir.resolve("missing.pem");
        GatewayConfig.Auth auth = new GatewayConfig.Auth(null, missing, null, null, null, List.of());
        ConfigException e = assertThrows(ConfigException.class, () -> new TokenVerifier(auth));
        assertTrue(e.getMessage().startsWith("jwt-public-key: " + missing), e::getMessage);
    }

    @Test
    void noKeyAtAllIsAProgrammingError() {
        GatewayConfig.Auth auth = new GatewayConfig.Auth(null, null, null, null, null, List.of());
        assertThrows(IllegalArgumentException.class, () -> new TokenVerifier(auth));
    }

    // ---- issuer and audience ----------------------------------------------------------------------------------

    @Test
    void configuredIssuerMustMatch() throws Exception {
        TokenVerifier v = new TokenVerifier(hs256("https://idp.example", null));

        assertEquals(
                42,
                v.verify(hs256Token(
                                SECRET,
                                claims("42").issuer("https://idp.example").build()))
                        .id());
        refused(
                v,
                hs256Token(SECRET, claims("42").issuer("https://evil.example").build()));
        refused(v, hs256Token(SECRET, claims("42").build()));
    }

    @Test
    void anyIssuerIsAcceptedWhenNoneIsConfigured() throws Exception {
        TokenVerifier v = new TokenVerifier(hs256(null, null));
        assertEquals(
                42,
                v.verify(hs256Token(
                                SECRET,
                                claims("42").issuer("https://anyone.example").build()))
                        .id());
    }

    @Test
    void configuredAudienceMustBeAmongTheTokensAudiences() throws Exception {
        TokenVerifier v = new TokenVerifier(hs256(null, "inbox"));

        assertEquals(
                42,
                v.verify(hs256Token(SECRET, claims("42").audience("inbox").build()))
                        .id());
        assertEquals(
                42,
                v.verify(hs256Token(
                                SECRET,
                                claims("42")
                                        .audience(List.of("billing", "inbox"))
                                        .build()))
                        .id());
        refused(v, hs256Token(SECRET, claims("42").audience("billing").build()));
        refused(v, hs256Token(SECRET, claims("42").build()));
    }

    @Test
    void issuerAndAudienceAreCheckedTogether() throws Exception {
        TokenVerifier v = new TokenVerifier(hs256("https://idp.example", "inbox"));

        assertEquals(
                42,
                v.verify(hs256Token(
                                SECRET,
                                claims("42")
                                        .issuer("https://idp.example")
                                        .audience("inbox")
                                        .build()))
                        .id());
        refused(v, hs256Token(SECRET, claims("42").issuer("https://idp.example").build()));
        refused(v, hs256Token(SECRET, claims("42").audience("inbox").build()));
    }
}
