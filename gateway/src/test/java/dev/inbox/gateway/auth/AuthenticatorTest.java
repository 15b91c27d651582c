package dev.inbox.gateway.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Which requests are the connect hook's to decide: those with no credential at all, and only those. */
class AuthenticatorTest {
    private static final Authenticator KEYLESS_WITH_HOOK = new Authenticator(null, "inbox_token", false, true);
    private static final Authenticator DEV_WITH_HOOK = new Authenticator(null, "inbox_token", true, true);

    private static boolean noCredential(Authenticator a, String uri, Map<String, String> headers) {
        HttpRequest r = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, uri);
        headers.forEach((n, v) -> r.headers().add(n, v));
        return a.bringsNoCredential(r, new QueryStringDecoder(uri));
    }

    @Test
    void aSessionCookieOrAnotherAuthorizationSchemeIsNoCredential() {
        assertTrue(noCredential(KEYLESS_WITH_HOOK, "/ws/inbox/", Map.of()));
        assertTrue(noCredential(KEYLESS_WITH_HOOK, "/ws/inbox/", Map.of("Cookie", "sessionid=abc; csrftoken=x")));
        assertTrue(noCredential(KEYLESS_WITH_HOOK, "/ws/inbox/", Map.of("Authorization", "Token abc")));
        assertTrue(noCredential(KEYLESS_WITH_HOOK, "/ws/inbox/", Map.of("Authorization", "Bearer ")));
    }

    @Test
    void aTokenAnywhereIsACredentialEvenABadOne() {
        assertFalse(noCredential(KEYLESS_WITH_HOOK, "/ws/inbox/", Map.of("Authorization", "Bearer not.a.jwt")));
        assertFalse(noCredential(KEYLESS_WITH_HOOK, "/ws/inbox/?token=x", Map.of()));
        assertFalse(noCredential(KEYLESS_WITH_HOOK, "/ws/inbox/", Map.of("Cookie", "sessionid=abc; inbox_token=x")));
        assertFalse(noCredential(
                KEYLESS_WITH_HOOK, "/ws/inbox/", Map.of("Sec-WebSocket-Protocol", "inbox.v1, inbox.token.x")));
    }

    @Test
    void inDevModeAUserIdIsACredentialAndOnlyThere() {
        assertFalse(noCredential(DEV_WITH_HOOK, "/ws/inbox/?user_id=7", Map.of()));
        assertTrue(noCredential(DEV_WITH_HOOK, "/ws/inbox/", Map.of("Cookie", "sessionid=abc")));
        assertTrue(noCredential(KEYLESS_WITH_HOOK, "/ws/inbox/?user_id=7", Map.of()));
    }

    @Test
    void withoutAKeyATokenIsRefusedAndOutsideDevModeAKeylessNodeNeedsAHook() {
        HttpRequest r = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/ws/inbox/?token=x");
        AuthenticationException e = assertThrows(
                AuthenticationException.class,
                () -> KEYLESS_WITH_HOOK.authenticate(r, new QueryStringDecoder(r.uri())));
        assertEquals("tokens are not accepted: no token key is configured", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Authenticator(null, "inbox_token", false, false));
    }
}
