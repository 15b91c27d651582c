package dev.inbox.gateway.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.inbox.gateway.testing.GatewayFixture;
import dev.inbox.protocol.Ids;
import dev.inbox.testkit.Json;
import dev.inbox.testkit.WsClient;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Routing by conversation_id over real sockets, with the JDK's WebSocket client. */
class RoutingIT {
    private GatewayFixture gw;

    @BeforeEach
    void start() {
        gw = GatewayFixture.start();
    }

    @AfterEach
    void stop() {
        gw.close();
    }

    static String text(long conversationId, String message, String clientMsgId) {
        return "{\"type\":\"TEXT\",\"conversation_id\":" + conversationId + ",\"message\":\"" + message + "\""
                + (clientMsgId == null ? "" : ",\"client_msg_id\":\"" + clientMsgId + "\"") + "}";
    }

    @Test
    void twoMembersExchangeMessagesInTheSeedShape() {
        gw.members(100, 1, 2);
        WsClient ann = gw.connect(1);
        WsClient bob = gw.connect(2);

        ann.send(text(100, "Hello", "c-1"));
        Map<String, Object> ack = ann.nextJson();
        Map<String, Object> got = bob.nextJson();

        assertEquals(
                List.of("type", "message", "conversation_id", "sender_id", "sender_name", "created_at", "message_id"),
                List.copyOf(got.keySet()),
                "the seed's fields, in order; no picture claim, no avatar");
        assertEquals("TEXT", got.get("type"));
        assertEquals("Hello", got.get("message"));
        assertEquals(100L, got.get("conversation_id"));
        assertEquals(1L, got.get("sender_id"));
        assertEquals("User 1", got.get("sender_name"));
        assertTrue(
                ((String) got.get("created_at")).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z"),
                got.get("created_at").toString());
        long id = (Long) got.get("message_id");
        assertTrue(id > 0 && id <= Ids.MAX_SAFE, "message_id within JavaScript's exact range: " + id);

        assertEquals("c-1", ack.get("client_msg_id"), "the sender's own connection gets its acknowledgement");
        assertEquals(id, ack.get("message_id"));
        assertFalse(got.containsKey("client_msg_id"), "the client's id is not shown to others");

        bob.send(text(100, "Hi Ann", null));
        Map<String, Object> reply = ann.nextJson();
        assertEquals("Hi Ann", reply.get("message"));
        assertEquals(2L, reply.get("sender_id"));
        assertTrue((Long) reply.get("message_id") > id, "ids increase within a conversation");
        assertEquals(reply.get("message_id"), bob.nextJson().get("message_id"));
    }

    @Test
    void everyConnectionOfEveryMemberGetsEveryMessageInOrder() {
        gw.members(7, 1, 2);
        WsClient senderTab = gw.connect(1);
        WsClient senderOtherTab = gw.connect(1);
        List<WsClient> bobDevices = List.of(gw.connect(2), gw.connect(2), gw.connect(2));

        for (int i = 0; i < 50; i++) {
            senderTab.send(text(7, "m" + i, "c" + i));
        }
        long last = 0;
        for (int i = 0; i < 50; i++) {
            Map<String, Object> ack = senderTab.nextJson();
            assertEquals("m" + i, ack.get("message"));
            assertEquals("c" + i, ack.get("client_msg_id"));
            Map<String, Object> mine = senderOtherTab.nextJson();
            assertEquals("m" + i, mine.get("message"), "the sender's other tabs get the message too");
            assertFalse(mine.containsKey("client_msg_id"));
            for (WsClient device : bobDevices) {
                Map<String, Object> e = device.nextJson();
                assertEquals("m" + i, e.get("message"), "in order on every device");
                assertEquals(ack.get("message_id"), e.get("message_id"));
            }
            long id = (Long) ack.get("message_id");
            assertTrue(id > last);
            last = id;
        }
    }

    @Test
    void nonMemberReceivesNothingOfTheConversation() {
        gw.members(10, 1, 2);
        WsClient ann = gw.connect(1);
        WsClient bob = gw.connect(2);
        WsClient eve = gw.connect(3);

        ann.send(text(10, "secret", null));
        assertEquals("secret", bob.nextJson().get("message"));
        ann.next();

        // Barrier: let Eve in and send again. A conversation's messages reach each connection in order, so had
        // "secret" been written to Eve it would arrive before "public".
        gw.members(10, 1, 2, 3);
        ann.send(text(10, "public", null));
        assertEquals("public", eve.nextJson().get("message"));
        assertEquals(0, eve.pending());
    }

    @Test
    void senderWhoIsNotAMemberGetsNotAMemberAndNothingIsDelivered() {
        gw.members(11, 1, 2);
        WsClient ann = gw.connect(1);
        WsClient bob = gw.connect(2);
        WsClient eve = gw.connect(3);

        eve.send(text(11, "let me in", "e-1"));
        Map<String, Object> error = eve.nextJson();
        assertEquals("ERROR", error.get("type"));
        assertEquals("not_a_member", error.get("code"));
        assertEquals(11L, error.get("conversation_id"));
        assertEquals("e-1", error.get("client_msg_id"));

        ann.send(text(11, "after", null));
        assertEquals("after", bob.nextJson().get("message"), "the refused message never arrived first");
        assertEquals("after", ann.nextJson().get("message"));
    }

    @Test
    void serverOwnedFieldsInAClientFrameAreIgnored() {
        gw.members(12, 1, 2);
        WsClient ann = gw.connect(1);
        WsClient bob = gw.connect(2);

        ann.send("{\"type\":\"TEXT\",\"conversation_id\":12,\"message\":\"hi\",\"sender_id\":2,"
                + "\"sender_name\":\"Bob\",\"message_id\":1,\"created_at\":\"1999-01-01T00:00:00.000Z\"}");
        Map<String, Object> got = bob.nextJson();
        assertEquals(1L, got.get("sender_id"), "sender_id comes from the token, never the frame");
        assertEquals("User 1", got.get("sender_name"));
        assertFalse("1999-01-01T00:00:00.000Z".equals(got.get("created_at")));
        assertTrue((Long) got.get("message_id") > 1);
    }

    @Test
    void removedMemberStopsReceivingAndReaddedMemberStartsAgain() {
        gw.members(13, 1, 2);
        WsClient ann = gw.connect(1);
        WsClient bob = gw.connect(2);

        assertEquals(
                200, gw.admin("DELETE", "/api/conversations/13/members/2", null).statusCode());
        ann.send(text(13, "bob is gone", null));
        ann.next();
        assertEquals(
                200, gw.admin("POST", "/api/conversations/13/members/2", null).statusCode());
        ann.send(text(13, "bob is back", null));
        assertEquals("bob is back", bob.nextJson().get("message"));
        assertEquals(0, bob.pending());
    }

    @Test
    void adminPublishUsesTheSameDeliveryPathAndShape() {
        gw.members(14, 1, 2);
        WsClient ann = gw.connect(1);
        WsClient bob = gw.connect(2);

        HttpResponse<String> r = gw.admin(
                "POST",
                "/api/conversations/14/messages",
                "{\"sender_id\":1,\"message\":\"from the backend\",\"type\":\"TEXT\",\"sender_name\":\"Ann\","
                        + "\"sender_avatar\":\"https://cdn.example/ann.png\"}");
        assertEquals(200, r.statusCode(), r.body());
        Map<String, Object> body = Json.parse(r.body());
        for (WsClient c : List.of(ann, bob)) {
            Map<String, Object> e = c.nextJson();
            assertEquals(
                    List.of(
                            "type",
                            "message",
                            "conversation_id",
                            "sender_id",
                            "sender_name",
                            "sender_avatar",
                            "created_at",
                            "message_id"),
                    List.copyOf(e.keySet()));
            assertEquals("from the backend", e.get("message"));
            assertEquals("Ann", e.get("sender_name"));
            assertEquals("https://cdn.example/ann.png", e.get("sender_avatar"));
            assertEquals(body.get("message_id"), e.get("message_id"));
        }
        HttpResponse<String> forbidden = gw.admin(
                "POST", "/api/conversations/14/messages", "{\"sender_id\":9,\"message\":\"x\",\"type\":\"TEXT\"}");
        assertEquals(403, forbidden.statusCode(), forbidden.body());
        assertEquals("not_a_member", Json.parse(forbidden.body()).get("error"));
    }

    @Test
    void oneConnectionCarriesEveryConversationEachTagged() {
        gw.members(20, 1, 2);
        gw.members(21, 1, 3);
        WsClient ann = gw.connect(1);
        WsClient bob = gw.connect(2);
        WsClient cat = gw.connect(3);

        bob.send(text(20, "to 20", null));
        cat.send(text(21, "to 21", null));
        assertEquals(20L, bob.nextJson().get("conversation_id"));
        assertEquals(21L, cat.nextJson().get("conversation_id"));
        Set<Object> seen =
                Set.of(ann.nextJson().get("conversation_id"), ann.nextJson().get("conversation_id"));
        assertEquals(Set.of(20L, 21L), seen);
    }
}
