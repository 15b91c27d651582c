package dev.inbox.gateway.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.inbox.gateway.config.ConfigException;
import dev.inbox.gateway.config.ConfigLoader;
import dev.inbox.gateway.server.InboxServer;
import dev.inbox.gateway.testing.GatewayFixture;
import dev.inbox.testkit.GatewayProcess;
import dev.inbox.testkit.PrometheusText;
import dev.inbox.testkit.RedisServer;
import dev.inbox.testkit.WsClient;
import io.lettuce.core.Consumer;
import io.lettuce.core.Range;
import io.lettuce.core.RedisClient;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.XAutoClaimArgs;
import io.lettuce.core.XGroupCreateArgs;
import io.lettuce.core.XReadArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The outbox as a backend sees it: a node on a real redis-server, clients sending, and the test playing the backend
 * with Lettuce and a consumer group (docs/clustering.md, "The outbox").
 */
class OutboxIT {
    private static final String GROUP = "backend";
    private static final long ANN = 1;
    private static final long BOB = 2;

    private RedisServer redis;
    private RedisClient backendClient;
    private RedisCommands<String, String> backend;
    private final List<GatewayFixture> nodes = new ArrayList<>();

    @BeforeEach
    void start() {
        redis = RedisServer.start();
        backendClient = RedisClient.create(redis.uri());
        StatefulRedisConnection<String, String> c = backendClient.connect();
        backend = c.sync();
    }

    @AfterEach
    void stop() {
        for (GatewayFixture n : nodes) {
            n.close();
        }
        backendClient.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        redis.close();
    }

    private GatewayFixture node(String... flags) {
        List<String> args = new ArrayList<>(
                List.of("--redis", redis.uri(), "--redis-ping-interval", "500ms", "--redis-timeout", "2s"));
        args.addAll(List.of(flags));
        GatewayFixture n = GatewayFixture.start(args.toArray(new String[0])).awaitReady();
        nodes.add(n);
        return n;
    }

    private static String text(long conversation, String message, String clientMsgId) {
        return "{\"type\":\"TEXT\",\"conversation_id\":" + conversation + ",\"message\":\"" + message
                + "\",\"client_msg_id\":\"" + clientMsgId + "\"}";
    }

    /** The stream keys as a backend finds them. */
    private List<String> streams() {
        return new ArrayList<>(new TreeSet<>(backend.smembers(RedisKeys.STREAMS)));
    }

    private long entries() {
        long n = 0;
        for (String s : streams()) {
            n += backend.xlen(s);
        }
        return n;
    }

    private void createGroup() {
        for (String s : streams()) {
            backend.xgroupCreate(XReadArgs.StreamOffset.from(s, "0-0"), GROUP, XGroupCreateArgs.Builder.mkstream());
        }
    }

    @SuppressWarnings("unchecked")
    private List<StreamMessage<String, String>> read(String consumer, long count) {
        List<String> s = streams();
        XReadArgs.StreamOffset<String>[] offsets = new XReadArgs.StreamOffset[s.size()];
        for (int i = 0; i < offsets.length; i++) {
            offsets[i] = XReadArgs.StreamOffset.lastConsumed(s.get(i));
        }
        return backend.xreadgroup(Consumer.from(GROUP, consumer), XReadArgs.Builder.count(count), offsets);
    }

    private void ack(StreamMessage<String, String> m) {
        backend.xack(m.getStream(), GROUP, m.getId());
    }

    @Test
    void aBackendSavesEveryMessageExactlyOnceThoughOneConsumerCrashesBeforeItsAck() {
        GatewayFixture node = node("--outbox-partitions", "4");
        assertEquals(4, streams().size(), "the node lists its partition streams for backends");
        assertEquals("4", backend.get(RedisKeys.PARTITIONS));
        createGroup();
        for (long conversation = 1; conversation <= 6; conversation++) {
            node.members(conversation, ANN, BOB);
        }
        WsClient ann = node.connect(ANN);
        WsClient bob = node.connect(BOB);

        int sent = 60;
        // message_id is unique within its conversation: the backend's idempotency key is the pair.
        Map<String, Map<String, Object>> received = new LinkedHashMap<>();
        Map<String, String> clientMsgIds = new HashMap<>();
        for (int i = 0; i < sent; i++) {
            ann.send(text(1 + i % 6, "m" + i, "c" + i));
        }
        for (int i = 0; i < sent; i++) {
            Map<String, Object> atBob = bob.nextJson();
            received.put(key(atBob.get("conversation_id"), atBob.get("message_id")), atBob);
            Map<String, Object> ack = ann.nextJson();
            clientMsgIds.put(key(ack.get("conversation_id"), ack.get("message_id")), (String) ack.get("client_msg_id"));
        }
        GatewayFixture.await("every message is in the outbox", () -> entries() == sent);
        assertOrderPerConversation();

        // The backend: save (keyed by message_id, its idempotency key), then ack.
        Map<String, Map<String, String>> saved = new HashMap<>();
        int deliveries = 0;
        for (StreamMessage<String, String> m : read("worker-1", 10)) {
            saved.putIfAbsent(key(m.getBody()), m.getBody());
            ack(m);
            deliveries++;
        }
        // A consumer that reads, saves, and dies before it acknowledges.
        List<StreamMessage<String, String>> lost = read("worker-crashing", 10);
        assertFalse(lost.isEmpty());
        for (StreamMessage<String, String> m : lost) {
            saved.putIfAbsent(key(m.getBody()), m.getBody());
            deliveries++;
        }
        // Another consumer claims what has been pending too long, and finishes the job.
        Set<String> reclaimed = new HashSet<>();
        GatewayFixture.await("the crashed consumer's entries are claimed again", () -> {
            for (String s : streams()) {
                for (StreamMessage<String, String> m : backend.xautoclaim(
                                s,
                                XAutoClaimArgs.Builder.xautoclaim(
                                        Consumer.from(GROUP, "worker-2"), Duration.ofMillis(50), "0-0"))
                        .getMessages()) {
                    saved.putIfAbsent(key(m.getBody()), m.getBody());
                    ack(m);
                    reclaimed.add(s + " " + m.getId()); // entry ids are per stream
                }
            }
            return reclaimed.size() == lost.size();
        });
        deliveries += reclaimed.size();
        for (List<StreamMessage<String, String>> batch = read("worker-2", 7);
                !batch.isEmpty();
                batch = read("worker-2", 7)) {
            for (StreamMessage<String, String> m : batch) {
                saved.putIfAbsent(key(m.getBody()), m.getBody());
                ack(m);
                deliveries++;
            }
        }

        assertEquals(sent + lost.size(), deliveries, "at least once: the lost ones twice");
        assertEquals(received.keySet(), saved.keySet(), "every message saved, once each by its id");
        for (Map.Entry<String, Map<String, Object>> e : received.entrySet()) {
            Map<String, String> entry = saved.get(e.getKey());
            Map<String, Object> event = e.getValue();
            assertEquals(
                    List.of(
                            "message_id",
                            "conversation_id",
                            "type",
                            "message",
                            "sender_id",
                            "sender_name",
                            "sender_avatar",
                            "created_at",
                            "client_msg_id",
                            "source"),
                    new ArrayList<>(entry.keySet()),
                    "the contract's fields, in its order");
            assertEquals(String.valueOf(event.get("message_id")), entry.get("message_id"));
            assertEquals(String.valueOf(event.get("conversation_id")), entry.get("conversation_id"));
            assertEquals(event.get("type"), entry.get("type"));
            assertEquals(event.get("message"), entry.get("message"));
            assertEquals(String.valueOf(event.get("sender_id")), entry.get("sender_id"));
            assertEquals(event.get("created_at"), entry.get("created_at"));
            assertEquals(nullToEmpty(event.get("sender_name")), entry.get("sender_name"));
            assertEquals(nullToEmpty(event.get("sender_avatar")), entry.get("sender_avatar"));
            assertEquals(clientMsgIds.get(e.getKey()), entry.get("client_msg_id"));
            assertEquals("client", entry.get("source"));
        }
        for (String s : streams()) {
            assertEquals(0, backend.xpending(s, GROUP).getCount(), "everything acknowledged");
        }
    }

    /** Within each stream, a conversation's entries come in increasing message_id order. */
    private void assertOrderPerConversation() {
        for (String s : streams()) {
            Map<String, Long> last = new HashMap<>();
            for (StreamMessage<String, String> m : backend.xrange(s, Range.create("-", "+"))) {
                String conversation = m.getBody().get("conversation_id");
                long id = Long.parseLong(m.getBody().get("message_id"));
                assertEquals(s, new String(new RedisKeys(4).conversation(Long.parseLong(conversation))[3]));
                assertTrue(id > last.getOrDefault(conversation, 0L), "in message_id order in " + s);
                last.put(conversation, id);
            }
        }
    }

    /** The backend's idempotency key: message_id is unique within its conversation. */
    private static String key(Object conversationId, Object messageId) {
        return conversationId + "/" + messageId;
    }

    private static String key(Map<String, String> entry) {
        return key(entry.get("conversation_id"), entry.get("message_id"));
    }

    private static String nullToEmpty(Object o) {
        return o == null ? "" : o.toString();
    }

    @Test
    void anAdminPublishIsInTheOutboxWithSourceAdminAndNoClientMsgId() {
        GatewayFixture node = node();
        node.members(7, ANN, BOB);
        HttpResponse<String> r = node.admin(
                "POST",
                "/api/conversations/7/messages",
                "{\"sender_id\":1,\"message\":\"from the backend\",\"type\":\"TEXT\",\"sender_name\":\"Ann\"}");
        assertEquals(200, r.statusCode(), r.body());
        String stream = new String(new RedisKeys(16).conversation(7)[3]);
        List<StreamMessage<String, String>> entries = backend.xrange(stream, Range.create("-", "+"));
        assertEquals(1, entries.size());
        Map<String, String> entry = entries.get(0).getBody();
        assertEquals("admin", entry.get("source"));
        assertEquals("", entry.get("client_msg_id"));
        assertEquals("Ann", entry.get("sender_name"));
        assertEquals("from the backend", entry.get("message"));
        assertTrue(r.body().contains("\"message_id\":" + entry.get("message_id")), r.body());
    }

    @Test
    void withTheOutboxOffNothingIsWrittenToAnyStream() {
        GatewayFixture node = node("--outbox", "false");
        node.members(1, ANN, BOB);
        WsClient ann = node.connect(ANN);
        WsClient bob = node.connect(BOB);
        ann.send(text(1, "no backend reads this", "x"));
        assertEquals("no backend reads this", bob.nextJson().get("message"));
        assertEquals(List.of(), backend.keys("*outbox"), "no stream");
        assertEquals(0L, backend.exists(RedisKeys.STREAMS), "no streams listed");
        assertEquals("16", backend.get(RedisKeys.PARTITIONS), "the key layout is still agreed");
        assertTrue(Double.isNaN(metrics(node).value("inbox_outbox_entries")), "no outbox meters");
    }

    @Test
    void aFullOutboxRefusesTheMessageAndDeliversNothing() {
        GatewayFixture node = node("--outbox-partitions", "1", "--outbox-max-length", "3");
        node.members(1, ANN, BOB);
        WsClient ann = node.connect(ANN);
        WsClient bob = node.connect(BOB);
        for (int i = 0; i < 3; i++) {
            ann.send(text(1, "m" + i, "c" + i));
            assertEquals("m" + i, bob.nextJson().get("message"));
            ann.nextJson();
        }
        byte[][] keys = new RedisKeys(1).conversation(1);
        String seq = backend.get(new String(keys[2]));

        ann.send(text(1, "one too many", "c3"));
        Map<String, Object> error = ann.nextJson();
        assertEquals("ERROR", error.get("type"));
        assertEquals("outbox_full", error.get("code"));
        assertEquals(1L, error.get("conversation_id"));
        assertEquals("c3", error.get("client_msg_id"));
        assertEquals(seq, backend.get(new String(keys[2])), "no message_id was used up");
        assertEquals(3L, backend.xlen(new String(keys[3])));

        HttpResponse<String> r = node.admin(
                "POST", "/api/conversations/1/messages", "{\"sender_id\":1,\"message\":\"admin\",\"type\":\"TEXT\"}");
        assertEquals(503, r.statusCode());
        assertTrue(r.body().contains("\"error\":\"outbox_full\""), r.body());

        ann.send(text(1, "marker", "c4"));
        assertEquals("outbox_full", ann.nextJson().get("code"));
        assertEquals(0, bob.pending(), "the refused messages reached nobody");
        assertEquals(3.0, metrics(node).value("inbox_outbox_refused_total"));
    }

    @Test
    void aFullOutboxWithTheTrimPolicyDropsItsOldestEntryAndCountsIt() {
        GatewayFixture node =
                node("--outbox-partitions", "1", "--outbox-max-length", "3", "--outbox-when-full", "trim");
        node.members(1, ANN, BOB);
        WsClient ann = node.connect(ANN);
        WsClient bob = node.connect(BOB);
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            ann.send(text(1, "m" + i, "c" + i));
            ids.add(String.valueOf(bob.nextJson().get("message_id")));
        }
        String stream = new String(new RedisKeys(1).stream(0));
        List<String> kept = new ArrayList<>();
        for (StreamMessage<String, String> m : backend.xrange(stream, Range.create("-", "+"))) {
            kept.add(m.getBody().get("message_id"));
        }
        assertEquals(ids.subList(2, 5), kept, "the length stays at the bound; the oldest went");
        assertEquals(2.0, metrics(node).sum("inbox_outbox_dropped_total", "reason=\"full\""));
    }

    @Test
    void theJanitorTrimsWhatTheGroupAcknowledgedAndTheMetersShowLagAndPending() {
        GatewayFixture node = node("--outbox-partitions", "2", "--outbox-janitor-interval", "100ms");
        createGroup();
        node.members(1, ANN, BOB);
        node.members(2, ANN, BOB);
        WsClient ann = node.connect(ANN);
        for (int i = 0; i < 6; i++) {
            ann.send(text(1 + i % 2, "m" + i, "c" + i));
            ann.nextJson();
        }
        GatewayFixture.await("the meters show six entries, none delivered to the group", () -> {
            PrometheusText m = metrics(node);
            return m.value("inbox_outbox_entries") == 6
                    && m.sum("inbox_outbox_lag", "group=\"backend\"") == 6
                    && m.sum("inbox_outbox_pending", "group=\"backend\"") == 0;
        });
        List<StreamMessage<String, String>> batch = read("worker", 2); // two from each stream
        assertEquals(4, batch.size());
        GatewayFixture.await("the meters show four delivered, four pending", () -> {
            PrometheusText m = metrics(node);
            return m.sum("inbox_outbox_lag", "group=\"backend\"") == 2
                    && m.sum("inbox_outbox_pending", "group=\"backend\"") == 4
                    && m.value("inbox_outbox_entries") == 6;
        });
        ack(batch.get(0));
        ack(batch.get(2));
        GatewayFixture.await("the acknowledged entries are trimmed", () -> entries() == 4);
        for (StreamMessage<String, String> m : batch) {
            ack(m);
        }
        GatewayFixture.await("all acknowledged entries are trimmed", () -> entries() == 2);
        assertEquals(0.0, metrics(node).sum("inbox_outbox_dropped_total", "reason=\"expired\""));
    }

    @Test
    void entriesOlderThanTheAgeBoundExpireAndTheUnacknowledgedOnesAreCounted() {
        GatewayFixture node =
                node("--outbox-partitions", "1", "--outbox-janitor-interval", "100ms", "--outbox-max-age", "1500ms");
        createGroup();
        node.members(1, ANN, BOB);
        WsClient ann = node.connect(ANN);
        for (int i = 0; i < 3; i++) {
            ann.send(text(1, "m" + i, "c" + i));
            ann.nextJson();
        }
        ack(read("worker", 1).get(0)); // the first is the backend's, the two others never will be
        GatewayFixture.await("everything has gone, by acknowledgement or age", () -> entries() == 0);
        assertEquals(2.0, metrics(node).sum("inbox_outbox_dropped_total", "reason=\"expired\""));
    }

    @Test
    void aNodeWithAnotherPartitionCountRefusesToStart() {
        node("--outbox-partitions", "16");
        List<String> args = new ArrayList<>(GatewayProcess.onLoopback(
                "--jwt-secret",
                GatewayFixture.SECRET,
                "--api-key",
                GatewayFixture.API_KEY,
                "--redis",
                redis.uri(),
                "--outbox-partitions",
                "8"));
        ConfigException e = assertThrows(
                ConfigException.class,
                () -> InboxServer.start(ConfigLoader.load(args.toArray(new String[0]), Map.of()))
                        .close());
        assertTrue(e.getMessage().startsWith("outbox-partitions: 8 (expected: 16, "), e.getMessage());
        assertEquals("16", backend.get(RedisKeys.PARTITIONS), "the first node's number stands");
    }

    private static PrometheusText metrics(GatewayFixture node) {
        return new PrometheusText(node.admin("GET", "/metrics", null, false).body());
    }
}
