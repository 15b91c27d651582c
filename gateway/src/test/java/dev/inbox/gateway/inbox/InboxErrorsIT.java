package dev.inbox.gateway.inbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.inbox.gateway.testing.GatewayFixture;
import dev.inbox.testkit.WsClient;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Every error code over a real socket; ordinary bad input never costs the connection. */
class InboxErrorsIT {
    private GatewayFixture gw;
    private WsClient ann;

    @BeforeEach
    void start() {
        gw = GatewayFixture.start("--max-message-chars", "10", "--max-frame-bytes", "4096");
        gw.members(1, 1);
        ann = gw.connect(1);
    }

    @AfterEach
    void stop() {
        gw.close();
    }

    private Map<String, Object> errorFor(String frame) {
        ann.send(frame);
        Map<String, Object> e = ann.nextJson();
        assertEquals("ERROR", e.get("type"), e.toString());
        assertTrue(e.get("message") instanceof String s && !s.isEmpty(), "every error explains itself");
        return e;
    }

    private void assertStillServes() {
        ann.send("{\"type\":\"TEXT\",\"conversation_id\":1,\"message\":\"ok\"}");
        assertEquals("ok", ann.nextJson().get("message"), "the connection stays open and usable");
    }

    @Test
    void malformedJsonGetsBadJson() {
        assertEquals("bad_json", errorFor("{\"type\":\"TEXT\",").get("code"));
        assertEquals("bad_json", errorFor("not json").get("code"));
        assertStillServes();
    }

    /** docs/protocol.md: nested deeper than 32 is bad_json, a top-level array too (it got bad_frame: issue 11). */
    @Test
    void nestingDeeperThan32GetsBadJson() {
        assertEquals("bad_json", errorFor("[".repeat(4_000)).get("code")); // within this node's 4096-byte frames
        assertEquals("bad_json", errorFor("[".repeat(33) + "]".repeat(33)).get("code"));
        assertEquals(
                "bad_json",
                errorFor("{\"x\":" + "[".repeat(32) + "]".repeat(32)
                                + ",\"type\":\"TEXT\",\"conversation_id\":1,\"message\":\"a\"}")
                        .get("code"));
        assertStillServes();
    }

    @Test
    void jsonThatIsNotOneObjectGetsBadFrame() {
        assertEquals("bad_frame", errorFor("[1,2,3]").get("code"));
        assertEquals(
                "bad_frame",
                errorFor("{\"type\":\"TEXT\",\"conversation_id\":1,\"message\":\"a\"} {}")
                        .get("code"));
        Map<String, Object> dup =
                errorFor("{\"type\":\"TEXT\",\"conversation_id\":1,\"conversation_id\":2,\"message\":\"a\"}");
        assertEquals("bad_frame", dup.get("code"));
        assertStillServes();
    }

    @Test
    void missingFieldGetsMissingFieldWithWhatWasReadable() {
        Map<String, Object> e = errorFor("{\"type\":\"TEXT\",\"conversation_id\":1,\"client_msg_id\":\"x1\"}");
        assertEquals("missing_field", e.get("code"));
        assertEquals(1L, e.get("conversation_id"));
        assertEquals("x1", e.get("client_msg_id"));
        assertStillServes();
    }

    @Test
    void wrongTypeGetsWrongType() {
        Map<String, Object> e =
                errorFor("{\"type\":\"TEXT\",\"message\":42,\"conversation_id\":1,\"client_msg_id\":\"x2\"}");
        assertEquals("wrong_type", e.get("code"));
        assertEquals(1L, e.get("conversation_id"), "fields after the bad one are still read for the error");
        assertEquals("x2", e.get("client_msg_id"));
        assertEquals(
                "wrong_type",
                errorFor("{\"type\":\"TEXT\",\"conversation_id\":\"1\",\"message\":\"a\"}")
                        .get("code"));
        assertEquals(
                "wrong_type",
                errorFor("{\"type\":\"TEXT\",\"conversation_id\":1e400,\"message\":\"a\"}")
                        .get("code"));
        assertEquals(
                "wrong_type",
                errorFor("{\"type\":\"TEXT\",\"conversation_id\":9007199254740992,\"message\":\"a\"}")
                        .get("code"));
        assertStillServes();
    }

    @Test
    void overlongMessageGetsMessageTooLong() {
        Map<String, Object> e = errorFor("{\"type\":\"TEXT\",\"conversation_id\":1,\"message\":\"12345678901\"}");
        assertEquals("message_too_long", e.get("code"));
        assertEquals(1L, e.get("conversation_id"));
        ann.send(
                "{\"type\":\"TEXT\",\"conversation_id\":1,\"message\":\"\uD83D\uDE00\uD83D\uDE00\uD83D\uDE00\uD83D\uDE00"
                        + "\uD83D\uDE00\uD83D\uDE00\uD83D\uDE00\uD83D\uDE00\uD83D\uDE00\uD83D\uDE00\"}");
        assertEquals(1L, ann.nextJson().get("sender_id"), "ten emoji are ten characters, within the limit");
    }

    @Test
    void unknownTypeGetsUnknownType() {
        assertEquals(
                "unknown_type",
                errorFor("{\"type\":\"VIDEO\",\"conversation_id\":1,\"message\":\"a\"}")
                        .get("code"));
        assertStillServes();
    }

    @Test
    void nonMemberConversationGetsNotAMember() {
        Map<String, Object> e = errorFor("{\"type\":\"TEXT\",\"conversation_id\":999,\"message\":\"a\"}");
        assertEquals("not_a_member", e.get("code"));
        assertEquals(999L, e.get("conversation_id"));
        assertStillServes();
    }

    @Test
    void binaryFrameGetsBinaryNotSupported() {
        ann.sendBinary("{\"type\":\"TEXT\"}".getBytes(StandardCharsets.UTF_8));
        assertEquals("binary_not_supported", ann.nextJson().get("code"));
        assertStillServes();
    }

    @Test
    void frameOverTheMaximumClosesWith1009() {
        ann.send("{\"type\":\"TEXT\",\"conversation_id\":1,\"message\":\"" + "x".repeat(5000) + "\"}");
        assertEquals(1009, ann.awaitClose());
        GatewayFixture.await("the connection is gone", () -> gw.server().connectionCount() == 0);
    }

    @Test
    void fragmentedMessageIsReassembled() {
        ann.socket()
                .sendText("{\"type\":\"TEXT\",\"conversation_id\":1,", false)
                .join();
        ann.socket().sendText("\"message\":\"two parts\"}", true).join();
        assertEquals("two parts", ann.nextJson().get("message"));
    }

    @Test
    void fragmentedMessageOverTheMaximumClosesWith1009() {
        String chunk = "x".repeat(3000);
        ann.socket()
                .sendText("{\"type\":\"TEXT\",\"conversation_id\":1,\"message\":\"" + chunk, false)
                .join();
        ann.socket().sendText(chunk + "\"}", true).join();
        assertEquals(1009, ann.awaitClose());
        assertFalse(ann.pending() > 0);
    }
}
