package dev.inbox.gateway.receipts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.inbox.gateway.metrics.GatewayMetrics;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The windows of one loop's coalescer, on an embedded loop whose clock the test moves. */
class ReadEventCoalescerTest {
    private static final long INTERVAL_MS = 250;
    private static final long[] MEMBERS = {1, 2};

    /** What was sent: conversation, reader, position. */
    private record Sent(long conversationId, long readerId, long messageId) {}

    private final EmbeddedChannel ch = new EmbeddedChannel();
    private final GatewayMetrics metrics = new GatewayMetrics();
    private final List<Sent> sent = new ArrayList<>();
    private final ReadEventCoalescer coalescer;

    ReadEventCoalescerTest() {
        ch.freezeTime();
        coalescer = new ReadEventCoalescer(
                ch.eventLoop(),
                TimeUnit.MILLISECONDS.toNanos(INTERVAL_MS),
                (c, r, m, members) -> sent.add(new Sent(c, r, m)),
                metrics.events());
    }

    @AfterEach
    void finish() {
        assertFalse(ch.finish());
    }

    private void endWindow() {
        ch.advanceTimeBy(INTERVAL_MS, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
    }

    private double coalesced() {
        for (String line : metrics.scrape("text/plain").split("\n")) {
            if (line.startsWith("inbox_read_events_coalesced_total ")) {
                return Double.parseDouble(line.substring(line.indexOf(' ') + 1));
            }
        }
        throw new AssertionError("no inbox_read_events_coalesced_total in the scrape");
    }

    @Test
    void theFirstMoveGoesAtOnceAndTheNewestOfTheRestAtTheWindowsEnd() {
        coalescer.moved(7, 2, 100, MEMBERS);
        assertEquals(List.of(new Sent(7, 2, 100)), sent, "the first move is not held");
        coalescer.moved(7, 2, 101, MEMBERS);
        coalescer.moved(7, 2, 102, MEMBERS);
        coalescer.moved(7, 2, 103, MEMBERS);
        assertEquals(1, sent.size(), "the rest wait for the window's end");

        ch.advanceTimeBy(INTERVAL_MS - 1, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        assertEquals(1, sent.size(), "not before the window ends");
        ch.advanceTimeBy(1, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        assertEquals(List.of(new Sent(7, 2, 100), new Sent(7, 2, 103)), sent, "the newest, once");
        assertEquals(2.0, coalesced(), "101 and 102 never went");
    }

    @Test
    void aSteadyReaderSendsOneEventPerWindowAndTheWindowsCloseWhenItStops() {
        coalescer.moved(7, 2, 100, MEMBERS);
        for (long m = 101; m <= 105; m++) {
            coalescer.moved(7, 2, m, MEMBERS);
            endWindow();
        }
        assertEquals(
                List.of(
                        new Sent(7, 2, 100),
                        new Sent(7, 2, 101),
                        new Sent(7, 2, 102),
                        new Sent(7, 2, 103),
                        new Sent(7, 2, 104),
                        new Sent(7, 2, 105)),
                sent);
        assertEquals(1, coalescer.open(), "the window after a send stays open");
        endWindow();
        assertEquals(0, coalescer.open(), "a window that held nothing closes: the pair is forgotten");
        coalescer.moved(7, 2, 106, MEMBERS);
        assertEquals(new Sent(7, 2, 106), sent.get(sent.size() - 1), "a quiet pair's next move goes at once again");
        endWindow();
        endWindow();
        assertEquals(0, coalescer.open());
        assertEquals(-1, ch.runScheduledPendingTasks(), "no task is left scheduled once every window closed");
    }

    @Test
    void aPositionArrivingOutOfOrderIsNeverSentAfterANewerOne() {
        coalescer.moved(7, 2, 100, MEMBERS);
        coalescer.moved(7, 2, 99, MEMBERS);
        coalescer.moved(7, 2, 105, MEMBERS);
        coalescer.moved(7, 2, 104, MEMBERS);
        endWindow();
        coalescer.moved(7, 2, 103, MEMBERS);
        endWindow();
        assertEquals(List.of(new Sent(7, 2, 100), new Sent(7, 2, 105)), sent);
        assertEquals(3.0, coalesced(), "99, 104 and 103");
    }

    @Test
    void readersAndConversationsHaveWindowsOfTheirOwn() {
        coalescer.moved(7, 2, 100, MEMBERS);
        coalescer.moved(7, 1, 100, MEMBERS);
        coalescer.moved(8, 2, 200, MEMBERS);
        coalescer.moved(7, 2, 101, MEMBERS);
        assertEquals(List.of(new Sent(7, 2, 100), new Sent(7, 1, 100), new Sent(8, 2, 200)), sent);
        endWindow();
        assertEquals(new Sent(7, 2, 101), sent.get(3));
        assertEquals(4, sent.size());
    }

    @Test
    void pastTheBoundANewPairIsSentAtOnceWithoutAWindow() {
        for (int reader = 1; reader <= ReadEventCoalescer.MOST_OPEN; reader++) {
            coalescer.moved(7, reader, 100, MEMBERS);
        }
        assertEquals(ReadEventCoalescer.MOST_OPEN, coalescer.open());
        coalescer.moved(7, 0, 100, MEMBERS);
        coalescer.moved(7, 0, 101, MEMBERS);
        assertEquals(ReadEventCoalescer.MOST_OPEN, coalescer.open(), "the map does not grow past its bound");
        assertEquals(new Sent(7, 0, 101), sent.get(sent.size() - 1), "an untracked pair loses nothing");
        endWindow();
        assertEquals(0, coalescer.open());
    }
}
