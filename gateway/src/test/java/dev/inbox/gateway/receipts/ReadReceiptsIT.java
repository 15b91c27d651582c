package dev.inbox.gateway.receipts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.inbox.gateway.testing.GatewayFixture;
import dev.inbox.testkit.Json;
import dev.inbox.testkit.WsClient;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** READ, READS and UNREAD on one node (positions in memory), over real sockets. */
class ReadReceiptsIT {
    private GatewayFixture node;

    @AfterEach
    void stop() {
        if (node != null) {
            node.close();
        }
    }

    static String text(long conversationId, String message) {
        return "{\"type\":\"TEXT\",\"conversation_id\":" + conversationId + ",\"message\":\"" + message + "\"}";
    }

    static String read(long conversationId, long messageId) {
        return "{\"type\":\"READ\",\"conversation_id\":" + conversationId + ",\"message_id\":" + messageId + "}";
    }

    static String reads(long conversationId) {
        return "{\"type\":\"READS\",\"conversation_id\":" + conversationId + "}";
    }

    /** Ann sends {@code n} messages to {@code conversationId}; every client in {@code drain} takes them; the ids. */
    static long[] annSends(WsClient ann, long conversationId, int n, WsClient... drain) {
        long[] ids = new long[n];
        for (int i = 0; i < n; i++) {
            ann.send(text(conversationId, "m" + i));
            ids[i] = (Long) ann.nextJson().get("message_id");
            for (WsClient c : drain) {
                assertEquals(ids[i], c.nextJson().get("message_id"));
            }
        }
        return ids;
    }

    static Map<String, Object> readEvent(long conversationId, long userId, long messageId) {
        return Map.of("type", "READ", "conversation_id", conversationId, "user_id", userId, "message_id", messageId);
    }

    @Test
    void aReadMovesForwardOnlyAndReachesEveryMemberAndEveryTabOfTheReader() {
        node = GatewayFixture.start();
        node.members(1, 1, 2);
        WsClient ann = node.connect(1);
        WsClient bob = node.connect(2);
        WsClient bobOtherTab = node.connect(2);
        long[] ids = annSends(ann, 1, 3, bob, bobOtherTab);

        bob.send(read(1, ids[1]));
        assertEquals(readEvent(1, 2, ids[1]), bob.nextJson(), "the reading connection hears it too");
        assertEquals(readEvent(1, 2, ids[1]), bobOtherTab.nextJson(), "so another tab can clear its badge");
        assertEquals(readEvent(1, 2, ids[1]), ann.nextJson());

        bob.send(read(1, ids[0])); // behind: a no-op, no event, no error
        bob.send(read(1, ids[1])); // the same: likewise
        bob.send(reads(1));
        Map<String, Object> answer = bob.nextJson();
        assertEquals("READS", answer.get("type"), "nothing came of the READs that went back: " + answer);
        assertEquals(1L, answer.get("conversation_id"));
        assertEquals(1L, answer.get("unread"), "one of Ann's messages is after Bob's position");
        assertEquals(List.of(Map.of("user_id", 2L, "message_id", ids[1])), answer.get("positions"));

        ann.send(reads(1));
        Map<String, Object> annAnswer = ann.nextJson();
        assertEquals(0L, annAnswer.get("unread"), "a reader's own messages are never unread to them");

        ann.send(text(1, "marker"));
        assertEquals("marker", bobOtherTab.nextJson().get("message"), "the no-op READs sent nothing");
        String m = node.admin("GET", "/metrics", null, false).body();
        assertTrue(m.contains("inbox_read_positions_total{outcome=\"moved\"} 1.0"), m);
        assertTrue(m.contains("inbox_read_positions_total{outcome=\"behind\"} 2.0"), m);
        assertTrue(m.contains("inbox_events_forwarded_total{type=\"read\"} 1.0"), m);
    }

    @Test
    void readsWithinTheIntervalMakeOneEventAtItsEndAfterTheFirstWentAtOnce() {
        long intervalMs = 2000;
        node = GatewayFixture.start("--read-interval", intervalMs + "ms");
        node.members(1, 1, 2);
        WsClient ann = node.connect(1);
        WsClient bob = node.connect(2);
        WsClient bobOtherTab = node.connect(2);
        long[] ids = annSends(ann, 1, 10, bob, bobOtherTab);

        bob.send(read(1, ids[0]));
        assertEquals(readEvent(1, 2, ids[0]), bobOtherTab.nextJson(), "the first move goes at once");
        long firstAt = System.nanoTime();
        for (int i = 1; i < ids.length; i++) {
            bob.send(read(1, ids[i]));
        }
        bob.send(reads(1));
        Map<String, Object> answer = bob.nextJson();
        assertEquals(readEvent(1, 2, ids[0]), answer, "the reading tab's own event came first");
        answer = bob.nextJson();
        assertEquals("READS", answer.get("type"), "the later moves are held, not sent one by one: " + answer);
        assertEquals(
                List.of(Map.of("user_id", 2L, "message_id", ids[9])),
                answer.get("positions"),
                "the stored position moved at once");

        assertEquals(readEvent(1, 2, ids[0]), ann.nextJson());
        for (WsClient c : List.of(bob, bobOtherTab, ann)) {
            assertEquals(readEvent(1, 2, ids[9]), c.nextJson(), "the newest, as the one event for the rest");
        }
        long lagMs = (System.nanoTime() - firstAt) / 1_000_000;
        assertTrue(lagMs < intervalMs + 1500, "the held position went at the window's end, not " + lagMs + " ms later");

        ann.send(text(1, "marker"));
        assertEquals("marker", bobOtherTab.nextJson().get("message"), "nothing else was sent");
        String m = node.admin("GET", "/metrics", null, false).body();
        assertTrue(m.contains("inbox_read_positions_total{outcome=\"moved\"} 10.0"), m);
        assertTrue(m.contains("inbox_events_forwarded_total{type=\"read\"} 2.0"), m);
        assertTrue(m.contains("inbox_read_events_coalesced_total 8.0"), m);
    }

    @Test
    void aBurstOfReadsNeverSendsAPositionBackAndAlwaysSendsTheLast() {
        node = GatewayFixture.start(); // the default interval, 1 s
        node.members(1, 1, 2);
        WsClient ann = node.connect(1);
        WsClient bob = node.connect(2);
        WsClient bobOtherTab = node.connect(2);
        long[] ids = annSends(ann, 1, 30, bob, bobOtherTab);

        for (long id : ids) {
            bob.send(read(1, id));
        }
        long last = ids[ids.length - 1];
        List<Long> seen = ReadEventsSeen.until(bobOtherTab, 2, last, ids);
        assertEquals(ids[0], seen.get(0), "the first move went at once");
        assertEquals(seen, ReadEventsSeen.until(ann, 2, last, ids), "every member saw the same events");
        assertEquals(seen, ReadEventsSeen.until(bob, 2, last, ids));
        assertTrue(seen.size() < ids.length, "30 READs in a burst made fewer events: " + seen);

        ann.send(text(1, "marker"));
        assertEquals("marker", bobOtherTab.nextJson().get("message"), "nothing after the last position");
        String m = node.admin("GET", "/metrics", null, false).body();
        assertTrue(m.contains("inbox_events_forwarded_total{type=\"read\"} " + seen.size() + ".0"), m);
        assertTrue(m.contains("inbox_read_events_coalesced_total " + (ids.length - seen.size()) + ".0"), m);
    }

    @Test
    void aReadIntervalOfZeroSendsEveryMove() {
        node = GatewayFixture.start("--read-interval", "0");
        node.members(1, 1, 2);
        WsClient ann = node.connect(1);
        WsClient bob = node.connect(2);
        long[] ids = annSends(ann, 1, 5, bob);
        for (long id : ids) {
            bob.send(read(1, id));
        }
        for (long id : ids) {
            assertEquals(readEvent(1, 2, id), ann.nextJson());
        }
        assertTrue(node.admin("GET", "/metrics", null, false).body().contains("inbox_read_events_coalesced_total 0.0"));
    }

    @Test
    void aReadBeyondTheLastMessageIsBadReadPositionAndAStrangersIsNotAMember() {
        node = GatewayFixture.start();
        node.members(1, 1, 2);
        WsClient ann = node.connect(1);
        WsClient bob = node.connect(2);
        WsClient eve = node.connect(9);
        long[] ids = annSends(ann, 1, 1, bob);

        bob.send(read(1, ids[0] + 1));
        Map<String, Object> error = bob.nextJson();
        assertEquals("ERROR", error.get("type"));
        assertEquals("bad_read_position", error.get("code"));
        assertEquals(1L, error.get("conversation_id"));

        eve.send(read(1, ids[0]));
        assertEquals("not_a_member", eve.nextJson().get("code"));
        eve.send(reads(1));
        assertEquals("not_a_member", eve.nextJson().get("code"));
        eve.send(read(55, 1_000_000_000_000_001L));
        assertEquals("not_a_member", eve.nextJson().get("code"));

        bob.send(reads(1));
        Map<String, Object> answer = bob.nextJson();
        assertEquals(List.of(), answer.get("positions"), "the refused READ stored nothing");
        assertEquals(1L, answer.get("unread"));
        ann.send(text(1, "marker"));
        assertEquals("marker", bob.nextJson().get("message"), "the refused READs reached nobody");
    }

    @Test
    void unreadListsConversationsWithUnreadMessagesAndTheAdminApiReadsTheSame() {
        node = GatewayFixture.start();
        node.members(1, 1, 2);
        node.members(2, 1, 2);
        WsClient ann = node.connect(1);
        WsClient bob = node.connect(2);
        long[] one = annSends(ann, 1, 3, bob);
        long[] two = annSends(ann, 2, 2, bob);
        bob.send(read(1, one[0]));
        bob.nextJson();
        ann.nextJson();
        bob.send(read(2, two[1]));
        bob.nextJson();
        ann.nextJson();

        bob.send("{\"type\":\"UNREAD\"}");
        assertEquals(
                Map.of("type", "UNREAD", "conversations", List.of(Map.of("conversation_id", 1L, "unread", 2L))),
                bob.nextJson(),
                "conversation 2 is read to its end: left out");

        HttpResponse<String> unread = node.admin("GET", "/api/users/2/unread", null);
        assertEquals(200, unread.statusCode(), unread.body());
        assertEquals(
                Map.of("user_id", 2L, "conversations", List.of(Map.of("conversation_id", 1L, "unread", 2L))),
                Json.parse(unread.body()));
        HttpResponse<String> positions = node.admin("GET", "/api/conversations/1/reads", null);
        assertEquals(200, positions.statusCode(), positions.body());
        assertEquals(
                Map.of("conversation_id", 1L, "positions", List.of(Map.of("user_id", 2L, "message_id", one[0]))),
                Json.parse(positions.body()));
        assertEquals(401, node.admin("GET", "/api/users/2/unread", null, false).statusCode());
    }

    @Test
    void anUnreadCountPastTheMaximumIsCapped() {
        node = GatewayFixture.start("--unread-max", "3");
        node.members(1, 1, 2);
        WsClient ann = node.connect(1);
        WsClient bob = node.connect(2);
        annSends(ann, 1, 5, bob);
        bob.send(reads(1));
        Map<String, Object> answer = bob.nextJson();
        assertEquals(3L, answer.get("unread"));
        assertEquals(true, answer.get("unread_capped"));
    }

    @Test
    void receiptFramesPastTheirRateGetRateLimited() {
        node = GatewayFixture.start("--event-rate-limit", "1", "--event-rate-burst", "1");
        node.members(1, 1, 2);
        WsClient bob = node.connect(2);
        bob.send(reads(1));
        bob.send(reads(1));
        bob.send(reads(1));
        int answers = 0;
        int limited = 0;
        for (int i = 0; i < 3; i++) {
            Map<String, Object> f = bob.nextJson();
            if ("READS".equals(f.get("type"))) {
                answers++;
            } else {
                assertEquals("rate_limited", f.get("code"), f.toString());
                limited++;
            }
        }
        assertTrue(answers >= 1 && limited >= 1, answers + " answered, " + limited + " limited");
    }
}
