package dev.inbox.gateway.inbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.inbox.gateway.testing.GatewayFixture;
import dev.inbox.testkit.Json;
import dev.inbox.testkit.PrometheusText;
import dev.inbox.testkit.RedisServer;
import dev.inbox.testkit.WsClient;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code HISTORY} frames and the admin history API over real sockets, on a single node (in-memory history) and on a
 * node with a real redis-server (a Redis Stream per conversation): what a member pages back through is what members
 * received, in order; trimming is said; a non-member reads nothing; the page bound caps, never refuses.
 */
class HistoryIT {
    private static final long ANN = 1;
    private static final long BOB = 2;
    private static final long EVE = 3;
    private static final long C = 77;

    private RedisServer redis;
    private GatewayFixture node;

    @AfterEach
    void stop() {
        if (node != null) {
            node.close();
        }
        if (redis != null) {
            redis.close();
        }
    }

    /** A node of {@code kind} ("local" or "redis") with {@code flags}, Ann and Bob members of C. */
    private void start(String kind, String... flags) {
        List<String> args = new ArrayList<>();
        if (kind.equals("redis")) {
            redis = RedisServer.start();
            args.addAll(List.of("--redis", redis.uri(), "--redis-timeout", "2s"));
        }
        args.addAll(List.of(flags));
        node = GatewayFixture.start(args.toArray(new String[0])).awaitReady();
        node.members(C, ANN, BOB);
    }

    /** Ann sends {@code n} messages to C; the events as Bob received them, in order. */
    private List<Map<String, Object>> exchange(WsClient ann, WsClient bob, int n) {
        for (int i = 0; i < n; i++) {
            ann.send("{\"type\":\"TEXT\",\"conversation_id\":" + C + ",\"message\":\"m" + i + "\",\"client_msg_id\":\"c"
                    + i + "\"}");
        }
        for (int i = 0; i < n; i++) {
            assertEquals("TEXT", ann.nextJson().get("type"));
        }
        List<Map<String, Object>> received = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            received.add(bob.nextJson());
        }
        return received;
    }

    private static Map<String, Object> history(WsClient client, String extra) {
        client.send("{\"type\":\"HISTORY\",\"conversation_id\":" + C + extra + "}");
        return client.nextJson();
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> events(Map<String, Object> page) {
        assertEquals("HISTORY", page.get("type"), page::toString);
        assertEquals(C, page.get("conversation_id"));
        return (List<Map<String, Object>>) page.get("events");
    }

    @ParameterizedTest
    @ValueSource(strings = {"local", "redis"})
    void aMemberPagesBackThroughEveryEventItMissedInOrder(String kind) {
        start(kind);
        WsClient ann = node.connect(ANN);
        WsClient bob = node.connect(BOB);
        List<Map<String, Object>> received = exchange(ann, bob, 30);

        // A fresh connection of Bob's, as after a reconnect: pages of 7, newest first.
        WsClient later = node.connect(BOB);
        List<Map<String, Object>> paged = new ArrayList<>();
        String before = "";
        Map<String, Object> page;
        List<Map<String, Object>> events;
        int pages = 0;
        do {
            page = history(later, ",\"limit\":7" + before);
            events = events(page);
            paged.addAll(0, events);
            pages++;
            if (!events.isEmpty()) {
                assertEquals(events.get(0).get("message_id"), page.get("before"), "before: the oldest id of the page");
                before = ",\"before\":" + page.get("before");
            }
        } while (events.size() == 7);
        assertEquals(5, pages, "30 events in pages of 7: 7, 7, 7, 7, 2");
        assertEquals(received, paged, "every event as members received it, once, in order");
        assertEquals(false, page.get("trimmed"), "the conversation's start, not the history's");
        for (Map<String, Object> e : paged) {
            assertNull(e.get("client_msg_id"), "the sender's client_msg_id is not in the history");
        }

        // The backend reads the same through the admin API.
        HttpResponse<String> admin = node.admin(
                "GET",
                "/api/conversations/" + C + "/history?limit=3&before="
                        + received.get(10).get("message_id"),
                null);
        assertEquals(200, admin.statusCode(), admin.body());
        assertEquals(received.subList(7, 10), events(Json.parse(admin.body())));
        PrometheusText metrics =
                new PrometheusText(node.admin("GET", "/metrics", null).body());
        assertEquals(
                pages + 1.0,
                metrics.sum("inbox_history_reads_total", "outcome=\"ok\""),
                "every page read is counted, the admin API's too");
    }

    @ParameterizedTest
    @ValueSource(strings = {"local", "redis"})
    void pastTheCountBoundTheLastPageSaysTrimmed(String kind) {
        start(kind, "--history-max-events", "10");
        WsClient ann = node.connect(ANN);
        WsClient bob = node.connect(BOB);
        List<Map<String, Object>> received = exchange(ann, bob, 150);

        List<Map<String, Object>> paged = new ArrayList<>();
        String before = "";
        Map<String, Object> page;
        List<Map<String, Object>> events;
        do {
            page = history(bob, ",\"limit\":100" + before);
            events = events(page);
            paged.addAll(0, events);
            if (!events.isEmpty()) {
                before = ",\"before\":" + page.get("before");
            }
        } while (events.size() == 100);
        assertTrue(paged.size() >= 10 && paged.size() < 150, "kept: " + paged.size());
        assertEquals(received.subList(150 - paged.size(), 150), paged, "the newest, whole and in order");
        assertEquals(true, page.get("trimmed"), "older events existed and are gone");
        Map<String, Object> beyond = history(bob, ",\"before\":" + paged.get(0).get("message_id"));
        assertEquals(List.of(), events(beyond));
        assertEquals(true, beyond.get("trimmed"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"local", "redis"})
    void aNonMemberReadsNothingAndALimitOverThePageMaxIsCapped(String kind) {
        start(kind, "--history-page-max", "5");
        WsClient ann = node.connect(ANN);
        WsClient bob = node.connect(BOB);
        List<Map<String, Object>> received = exchange(ann, bob, 12);

        WsClient eve = node.connect(EVE);
        eve.send("{\"type\":\"HISTORY\",\"conversation_id\":" + C + ",\"client_msg_id\":\"h1\"}");
        Map<String, Object> refused = eve.nextJson();
        assertEquals("ERROR", refused.get("type"));
        assertEquals("not_a_member", refused.get("code"));
        assertEquals(C, refused.get("conversation_id"));
        assertEquals("h1", refused.get("client_msg_id"));

        assertEquals(received.subList(7, 12), events(history(bob, ",\"limit\":1000000")), "capped at 5, not refused");
        assertEquals(received.subList(7, 12), events(history(bob, "")), "no limit: a full page");

        Map<String, Object> bad = history(bob, ",\"before\":\"soon\"");
        assertEquals("ERROR", bad.get("type"));
        assertEquals("wrong_type", bad.get("code"));
        HttpResponse<String> badAdmin = node.admin("GET", "/api/conversations/" + C + "/history?limit=0", null);
        assertEquals(400, badAdmin.statusCode());
        assertEquals("wrong_type", Json.parse(badAdmin.body()).get("error"));
        assertFalse(bob.isClosedByServer(), "bad requests leave the connection open");
    }
}
