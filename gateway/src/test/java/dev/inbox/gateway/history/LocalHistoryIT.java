package dev.inbox.gateway.history;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.inbox.gateway.testing.GatewayFixture;
import dev.inbox.testkit.WsClient;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The single node's in-memory history, written by real messages through a node: the bytes members received. */
class LocalHistoryIT {
    private static final long ANN = 1;
    private static final long BOB = 2;
    private static final long C = 42;

    private GatewayFixture node;

    @AfterEach
    void stop() {
        node.close();
    }

    private List<String> exchange(int n) {
        node.members(C, ANN, BOB);
        WsClient ann = node.connect(ANN);
        WsClient bob = node.connect(BOB);
        for (int i = 0; i < n; i++) {
            ann.send("{\"type\":\"TEXT\",\"conversation_id\":" + C + ",\"message\":\"m" + i + "\",\"client_msg_id\":\"c"
                    + i + "\"}");
        }
        List<String> received = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            received.add(bob.next());
            ann.next();
        }
        return received;
    }

    private static List<String> texts(HistoryPage page) {
        return page.events().stream()
                .map(e -> new String(e.frame(), StandardCharsets.UTF_8))
                .toList();
    }

    @Test
    void theHistoryHoldsWhatMembersReceivedWithoutTheSendersClientMsgId() {
        node = GatewayFixture.start();
        List<String> received = exchange(20);
        HistoryPage all =
                node.server().history().after(C, 0, 100).toCompletableFuture().join();
        assertEquals(received, texts(all));
        assertFalse(all.trimmed());
        assertFalse(texts(all).get(0).contains("client_msg_id"));
    }

    @Test
    void theCountBoundTrimsTheOldestAndSaysSo() {
        node = GatewayFixture.start("--history-max-events", "5");
        List<String> received = exchange(12);
        HistoryPage kept =
                node.server().history().after(C, 0, 100).toCompletableFuture().join();
        assertEquals(received.subList(7, 12), texts(kept));
        assertTrue(kept.trimmed());
    }
}
