package dev.inbox.gateway.typing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.inbox.gateway.testing.GatewayFixture;
import dev.inbox.testkit.WsClient;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** TYPING on one node, over real sockets (the two-node case is {@code relay.TypingAndReadsAcrossNodesIT}). */
class TypingIT {
    private GatewayFixture node;

    @AfterEach
    void stop() {
        if (node != null) {
            node.close();
        }
    }

    static String typing(long conversationId) {
        return "{\"type\":\"TYPING\",\"conversation_id\":" + conversationId + "}";
    }

    static String text(long conversationId, String message) {
        return "{\"type\":\"TEXT\",\"conversation_id\":" + conversationId + ",\"message\":\"" + message + "\"}";
    }

    private String metrics() {
        return node.admin("GET", "/metrics", null, false).body();
    }

    /** The value of one counter row of a scrape, 0 when absent. */
    static double counter(String scrape, String row) {
        for (String line : scrape.split("\n")) {
            if (line.startsWith(row + " ")) {
                return Double.parseDouble(line.substring(row.length() + 1));
            }
        }
        return 0;
    }

    @Test
    void typingReachesEveryOtherMemberButNoConnectionOfTheSender() {
        node = GatewayFixture.start();
        node.members(1, 1, 2, 3);
        WsClient ann = node.connect(1);
        WsClient annOtherTab = node.connect(1);
        WsClient bob = node.connect(2);
        WsClient cat = node.connect(3);

        ann.send(typing(1));
        Map<String, Object> atBob = bob.nextJson();
        assertEquals(Map.of("type", "TYPING", "conversation_id", 1L, "sender_id", 1L, "sender_name", "User 1"), atBob);
        assertEquals(atBob, cat.nextJson());

        // The sender's connections got nothing before the message that follows: no TYPING of their own.
        ann.send(text(1, "after typing"));
        assertEquals("TEXT", ann.nextJson().get("type"));
        assertEquals("after typing", annOtherTab.nextJson().get("message"));
        assertEquals("after typing", bob.nextJson().get("message"));
        assertEquals("after typing", cat.nextJson().get("message"));
        String m = metrics();
        assertTrue(m.contains("inbox_events_received_total{type=\"typing\"} 1.0"), m);
        assertTrue(m.contains("inbox_events_forwarded_total{type=\"typing\"} 1.0"), m);
    }

    @Test
    void extrasWithinTheIntervalAreDroppedSilentlyAndCounted() {
        node = GatewayFixture.start("--typing-interval", "1h");
        node.members(1, 1, 2);
        WsClient ann = node.connect(1);
        WsClient bob = node.connect(2);

        for (int i = 0; i < 5; i++) {
            ann.send(typing(1));
        }
        assertEquals("TYPING", bob.nextJson().get("type"));
        GatewayFixture.await(
                "four TYPING coalesced",
                () -> metrics().contains("inbox_typing_dropped_total{reason=\"coalesced\"} 4.0"));
        ann.send(text(1, "marker"));
        assertEquals("marker", bob.nextJson().get("message"), "only one TYPING reached Bob");
        assertEquals("marker", ann.nextJson().get("message"), "the sender got no error for the extras");
        // Another conversation is coalesced apart.
        node.members(2, 1, 2);
        ann.send(typing(2));
        assertEquals(2L, bob.nextJson().get("conversation_id"));
    }

    @Test
    void aNonMemberGetsNotAMemberAndNobodySeesItsTyping() {
        node = GatewayFixture.start();
        node.members(1, 1, 2);
        WsClient ann = node.connect(1);
        WsClient bob = node.connect(2);
        WsClient eve = node.connect(9);

        eve.send(typing(1));
        Map<String, Object> error = eve.nextJson();
        assertEquals("ERROR", error.get("type"));
        assertEquals("not_a_member", error.get("code"));
        assertEquals(1L, error.get("conversation_id"));
        eve.send(typing(77)); // unknown conversation: the same answer
        assertEquals("not_a_member", eve.nextJson().get("code"));

        ann.send(text(1, "marker"));
        assertEquals("marker", bob.nextJson().get("message"), "Eve's TYPING reached nobody");
    }

    @Test
    void aTypingFloodIsDroppedWithoutAnErrorStormAndLeavesMessagesAlone() {
        node = GatewayFixture.start("--typing-interval", "1ms", "--event-rate-limit", "1", "--event-rate-burst", "2");
        node.members(1, 1, 2);
        WsClient ann = node.connect(1);
        WsClient bob = node.connect(2);

        for (int i = 0; i < 50; i++) {
            ann.send(typing(1));
        }
        // Every TYPING is either within the rate (received) or dropped for it; how many refills the bucket got
        // depends on how fast the node read them, so the split is checked, not fixed.
        GatewayFixture.await("all 50 TYPING judged", () -> {
            String m = metrics();
            return counter(m, "inbox_events_received_total{type=\"typing\"}")
                            + counter(m, "inbox_typing_dropped_total{reason=\"rate_limited\"}")
                    == 50;
        });
        String judged = metrics();
        double limited = counter(judged, "inbox_typing_dropped_total{reason=\"rate_limited\"}");
        assertTrue(limited > 0, "the flood went past the burst of 2: " + limited);
        ann.send(text(1, "still heard"));
        Map<String, Object> first = ann.nextJson();
        assertEquals("TEXT", first.get("type"), "no ERROR for a dropped TYPING: " + first);
        assertEquals("still heard", first.get("message"));
        int typings = 0;
        for (Map<String, Object> f = bob.nextJson(); !"TEXT".equals(f.get("type")); f = bob.nextJson()) {
            assertEquals("TYPING", f.get("type"));
            typings++;
        }
        assertTrue(typings >= 1, "the burst went through");
        // Read after Bob's marker: every TYPING was forwarded, or not, on the owner loop before the marker's admission.
        double forwarded = counter(metrics(), "inbox_events_forwarded_total{type=\"typing\"}");
        assertEquals(forwarded, typings, "Bob got exactly the TYPING the node forwarded");
    }

    @Test
    void aTypingFrameWithBadFieldsGetsTheDecodersError() {
        node = GatewayFixture.start();
        WsClient ann = node.connect(1);
        ann.send("{\"type\":\"TYPING\"}");
        assertEquals("missing_field", ann.nextJson().get("code"));
        ann.send("{\"type\":\"TYPING\",\"conversation_id\":\"1\"}");
        assertEquals("wrong_type", ann.nextJson().get("code"));
    }
}
