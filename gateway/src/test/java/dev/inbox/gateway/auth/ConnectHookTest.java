package dev.inbox.gateway.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.inbox.testkit.Json;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The connect hook's contract on the wire: the body the gateway sends, and which answers name a user. */
class ConnectHookTest {
    private static AuthenticatedUser user(String json) throws ConnectHook.MalformedAnswer {
        return ConnectHook.user(json.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void aFullAnswerNamesTheUser() throws Exception {
        AuthenticatedUser u =
                user("{\"user_id\":42,\"name\":\"Ann\",\"picture\":\"https://a/p.png\",\"expires_at\":1900000000}");
        assertEquals(new AuthenticatedUser(42, "Ann", "https://a/p.png", 1_900_000_000_000L), u);
    }

    @Test
    void onlyUserIdIsRequiredAndWithoutExpiryTheConnectionNeverExpires() throws Exception {
        assertEquals(new AuthenticatedUser(7, null, null, Long.MAX_VALUE), user("{\"user_id\":7}"));
        assertEquals(
                new AuthenticatedUser(7, null, null, Long.MAX_VALUE),
                user("{\"name\":null,\"picture\":\"\",\"expires_at\":null,\"user_id\":7}"));
    }

    @Test
    void unknownFieldsAreIgnoredSoTheBackendMaySendMore() throws Exception {
        assertEquals(
                7,
                user("{\"user_id\":7,\"is_staff\":true,\"groups\":[1,{\"a\":[2]}],\"extra\":{\"user_id\":9}}")
                        .id());
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "",
                "not json",
                "[1]",
                "{}",
                "{\"name\":\"Ann\"}",
                "{\"user_id\":\"7\"}",
                "{\"user_id\":7.5}",
                "{\"user_id\":null}",
                "{\"user_id\":0}",
                "{\"user_id\":-3}",
                "{\"user_id\":9007199254740992}",
                "{\"user_id\":99999999999999999999999}",
                "{\"user_id\":7,\"user_id\":8}",
                "{\"user_id\":7,\"name\":5}",
                "{\"user_id\":7,\"picture\":{}}",
                "{\"user_id\":7,\"expires_at\":\"soon\"}",
                "{\"user_id\":7,\"expires_at\":1.5}",
                "{\"user_id\":7,\"expires_at\":9223372036854775807}",
                "{\"user_id\":7}{\"user_id\":8}",
                "{\"user_id\":7"
            })
    void anAnswerWithoutAValidUserIsMalformed(String body) {
        ConnectHook.MalformedAnswer e = assertThrows(ConnectHook.MalformedAnswer.class, () -> user(body));
        assertTrue(!e.getMessage().isEmpty());
    }

    @Test
    void theRequestBodyCarriesTheFourFieldsAndNullsForWhatIsMissing() {
        Map<String, Object> body = Json.parse(new String(
                ConnectHook.requestBody("192.0.2.7", "https://app.example.com", "Browser \"1\"", "/ws/inbox/"),
                StandardCharsets.UTF_8));
        assertEquals(
                Map.of(
                        "client_address", "192.0.2.7",
                        "origin", "https://app.example.com",
                        "user_agent", "Browser \"1\"",
                        "path", "/ws/inbox/"),
                body);
        Map<String, Object> bare =
                Json.parse(new String(ConnectHook.requestBody(null, null, null, "/ws/inbox"), StandardCharsets.UTF_8));
        assertEquals(4, bare.size());
        assertNull(bare.get("client_address"));
        assertNull(bare.get("origin"));
        assertNull(bare.get("user_agent"));
        assertEquals("/ws/inbox", bare.get("path"));
    }
}
