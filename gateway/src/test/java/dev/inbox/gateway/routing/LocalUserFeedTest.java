package dev.inbox.gateway.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class LocalUserFeedTest {
    private static UserFeed.Read read(LocalUserFeed feed, long user, UserFeed.Id after) {
        return feed.read(user, after, 100).toCompletableFuture().join();
    }

    private static List<Long> messages(UserFeed.Read read) {
        return read.entries().stream().map(UserFeed.Entry::messageId).toList();
    }

    @Test
    void eachMemberGetsTheEntryInDeliveryOrderAndOnlyTheirOwn() {
        LocalUserFeed feed = new LocalUserFeed(100, 10);
        UserFeed.Id start = read(feed, 1, null).lastId();
        feed.append(new long[] {1, 2}, 7, 101);
        feed.append(new long[] {2}, 8, 201);
        feed.append(new long[] {1}, 9, 102);
        UserFeed.Read ann = read(feed, 1, start);
        assertEquals(List.of(101L, 102L), messages(ann));
        assertEquals(
                List.of(7L, 9L),
                ann.entries().stream().map(UserFeed.Entry::conversationId).toList());
        assertEquals(2, ann.added());
        assertEquals(List.of(), read(feed, 1, ann.lastId()).entries(), "nothing after the last id");
    }

    @Test
    void pastItsLengthTheOldestGoAndTheCountsSaySo() {
        LocalUserFeed feed = new LocalUserFeed(3, 10);
        UserFeed.Id start = read(feed, 1, null).lastId();
        for (long m = 1; m <= 20; m++) {
            feed.append(new long[] {1}, 7, m);
        }
        UserFeed.Read r = read(feed, 1, start);
        assertEquals(List.of(18L, 19L, 20L), messages(r));
        assertEquals(20, r.added());
        assertEquals(3, r.length(), "fewer held than added since the start: trimmed past it");
    }

    @Test
    void aDroppedFeedComesBackWithAnotherEpoch() {
        LocalUserFeed feed = new LocalUserFeed(10, 1);
        String first = read(feed, 1, null).epoch();
        feed.append(new long[] {2}, 7, 1); // a second user's feed pushes the first out
        assertNotEquals(first, read(feed, 1, null).epoch());
    }
}
