package dev.inbox.gateway.receipts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.inbox.testkit.WsClient;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/** What the coalesced {@code READ} events of one reader look like to a client, for the single- and two-node tests. */
public final class ReadEventsSeen {
    private ReadEventsSeen() {}

    /**
     * The {@code READ} events of {@code readerId} that {@code client} gets until the one naming {@code last}, each
     * checked to be ahead of the one before and to be one of {@code ids}: never a position going back, never one
     * nobody read. Fails (after the client's wait) when {@code last} never comes.
     */
    public static List<Long> until(WsClient client, long readerId, long last, long[] ids) {
        List<Long> got = new ArrayList<>();
        long before = 0;
        while (before != last) {
            Map<String, Object> e = client.nextJson();
            assertEquals("READ", e.get("type"), "after " + got + ": " + e);
            assertEquals(readerId, e.get("user_id"), e.toString());
            long at = (Long) e.get("message_id");
            assertTrue(at > before, "a position went back: " + got + " then " + at);
            assertTrue(Arrays.stream(ids).anyMatch(id -> id == at), at + " is not a position read");
            got.add(at);
            before = at;
        }
        return got;
    }
}
