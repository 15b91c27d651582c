package dev.inbox.gateway.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.inbox.gateway.history.ConversationHistory;
import dev.inbox.gateway.history.HistoryEvent;
import dev.inbox.gateway.history.HistoryPage;
import dev.inbox.gateway.testing.GatewayFixture;
import dev.inbox.testkit.RedisServer;
import dev.inbox.testkit.WsClient;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The Redis history as the node reads it, written by real messages through a real node on a real redis-server: the
 * events are the very bytes members received, in id order, and every trim (count, age, a lost stream) reads as
 * {@code trimmed}, never as a silent gap.
 */
class RedisConversationHistoryIT {
    private static final long ANN = 1;
    private static final long BOB = 2;
    private static final long C = 42;

    private RedisServer redis;
    private GatewayFixture node;

    @BeforeEach
    void startRedis() {
        redis = RedisServer.start();
    }

    @AfterEach
    void stop() {
        if (node != null) {
            node.close();
        }
        redis.close();
    }

    private ConversationHistory start(String... flags) {
        List<String> args = new ArrayList<>(List.of("--redis", redis.uri(), "--redis-timeout", "2s"));
        args.addAll(List.of(flags));
        node = GatewayFixture.start(args.toArray(new String[0])).awaitReady();
        node.members(C, ANN, BOB);
        return node.server().history();
    }

    /** Ann sends {@code n} messages; what Bob received, in order. */
    private static List<String> exchange(WsClient ann, WsClient bob, int n, String prefix) {
        for (int i = 0; i < n; i++) {
            ann.send("{\"type\":\"TEXT\",\"conversation_id\":" + C + ",\"message\":\"" + prefix + i + "\"}");
        }
        for (int i = 0; i < n; i++) {
            String ack = ann.next();
            assertFalse(ack.contains("\"ERROR\""), ack);
        }
        List<String> received = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            received.add(bob.next());
        }
        return received;
    }

    private static HistoryPage read(CompletionStage<HistoryPage> page) {
        return page.toCompletableFuture().join();
    }

    private static List<String> texts(HistoryPage page) {
        return page.events().stream()
                .map(e -> new String(e.frame(), StandardCharsets.UTF_8))
                .toList();
    }

    private static long idOf(String event) {
        return ((Number) dev.inbox.testkit.Json.parse(event).get("message_id")).longValue();
    }

    @Test
    void theHistoryHoldsTheEventsMembersReceivedInOrderAndPagesBackwardsOverAllOfThem() {
        ConversationHistory history = start();
        WsClient ann = node.connect(ANN);
        WsClient bob = node.connect(BOB);
        List<String> received = exchange(ann, bob, 30, "m");

        HistoryPage all = read(history.after(C, 0, 100));
        assertEquals(received, texts(all), "the same bytes, in the same order");
        assertFalse(all.trimmed());
        for (HistoryEvent e : all.events()) {
            assertEquals(idOf(new String(e.frame(), StandardCharsets.UTF_8)), e.messageId());
        }

        List<String> paged = new ArrayList<>();
        long before = Long.MAX_VALUE;
        HistoryPage page;
        do {
            page = read(history.before(C, before, 7));
            paged.addAll(0, texts(page));
            if (!page.events().isEmpty()) {
                before = page.events().get(0).messageId();
            }
        } while (page.events().size() == 7);
        assertEquals(received, paged);
        assertFalse(page.trimmed(), "the conversation's first event is still there");

        long tenth = idOf(received.get(9));
        assertEquals(received.subList(10, 15), texts(read(history.after(C, tenth, 5))));
        assertEquals(received.subList(4, 9), texts(read(history.before(C, tenth, 5))));
        assertEquals(List.of(), read(history.after(C + 1, 0, 5)).events(), "a conversation without events");
        assertFalse(read(history.after(C + 1, 0, 5)).trimmed());
    }

    @Test
    void pastTheCountBoundTheOldestAreTrimmedAndAReaderBehindThemIsToldSo() {
        // MAXLEN ~ trims whole stream nodes (100 entries): 250 events under a bound of 10 lose at least 100.
        ConversationHistory history = start("--history-max-events", "10");
        WsClient ann = node.connect(ANN);
        WsClient bob = node.connect(BOB);
        List<String> received = exchange(ann, bob, 250, "m");

        HistoryPage kept = read(history.after(C, 0, 1000));
        assertTrue(kept.trimmed(), "the first events are gone");
        List<String> texts = texts(kept);
        assertTrue(texts.size() >= 10 && texts.size() <= 150, "kept: " + texts.size());
        assertEquals(received.subList(received.size() - texts.size(), received.size()), texts, "the newest, whole");

        long lastGone = idOf(received.get(received.size() - texts.size() - 1));
        HistoryPage fromLastGone = read(history.after(C, lastGone, 1000));
        assertFalse(fromLastGone.trimmed(), "everything after the last trimmed event is there");
        assertEquals(texts, texts(fromLastGone));
        assertTrue(read(history.after(C, lastGone - 1, 1000)).trimmed());

        HistoryPage oldest = read(history.before(C, kept.events().get(0).messageId(), 10));
        assertEquals(List.of(), oldest.events());
        assertTrue(oldest.trimmed(), "older events existed and are gone");
    }

    @Test
    void anIdleConversationsHistoryExpiresAndReadsAsTrimmedAlsoAfterANewStreamStarts() throws IOException {
        ConversationHistory history = start("--history-max-age", "1s");
        WsClient ann = node.connect(ANN);
        WsClient bob = node.connect(BOB);
        List<String> before = exchange(ann, bob, 3, "old");
        long lastOld = idOf(before.get(2));
        String key = new String(new RedisKeys(16).history(C)[0], StandardCharsets.US_ASCII);
        assertEquals(":1", redis.command("EXISTS " + key));
        GatewayFixture.await("the idle history expires", () -> {
            try {
                return ":0".equals(redis.command("EXISTS " + key));
            } catch (IOException e) {
                return false;
            }
        });

        HistoryPage gone = read(history.after(C, 0, 10));
        assertEquals(List.of(), gone.events());
        assertTrue(gone.trimmed(), "three events existed");
        assertFalse(read(history.after(C, lastOld, 10)).trimmed(), "nothing after the last was lost");

        List<String> after = exchange(ann, bob, 1, "new");
        HistoryPage fresh = read(history.after(C, 0, 10));
        assertEquals(after, texts(fresh));
        assertTrue(fresh.trimmed(), "the new stream knows the old events are gone");
        HistoryPage fromLastOld = read(history.after(C, lastOld, 10));
        assertEquals(after, texts(fromLastOld));
        assertFalse(fromLastOld.trimmed());
    }

    @Test
    void withHistoryOffNothingIsWritten() throws IOException {
        ConversationHistory history = start("--history", "false");
        WsClient ann = node.connect(ANN);
        WsClient bob = node.connect(BOB);
        exchange(ann, bob, 3, "m");
        String key = new String(new RedisKeys(16).history(C)[0], StandardCharsets.US_ASCII);
        assertEquals(":0", redis.command("EXISTS " + key));
        assertEquals(List.of(), read(history.after(C, 0, 10)).events());
    }
}
