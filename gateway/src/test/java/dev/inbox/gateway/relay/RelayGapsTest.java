package dev.inbox.gateway.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.inbox.gateway.auth.AuthenticatedUser;
import dev.inbox.gateway.health.Readiness;
import dev.inbox.gateway.metrics.GatewayMetrics;
import dev.inbox.gateway.routing.InboxSession;
import dev.inbox.gateway.routing.UserGroups;
import dev.inbox.protocol.ServerFrameEncoder;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Which connections a relay gap closes: those open at any moment of it, except a user's first connection joining
 * after the new Redis connection was up; never before the resubscription, never one that joined after it.
 */
class RelayGapsTest {
    private final GatewayMetrics metrics = new GatewayMetrics();
    private final ServerFrameEncoder encoder = new ServerFrameEncoder();
    private final UserGroups groups = new UserGroups();
    private final Readiness readiness = new Readiness();
    /** A window of one nanosecond: every close is due at once, so running the channel's tasks runs the sweep. */
    private final RelayGaps gaps = new RelayGaps(groups, readiness, metrics, Duration.ofNanos(1));

    private final List<EmbeddedChannel> channels = new ArrayList<>();

    RelayGapsTest() {
        groups.joinListener(gaps);
        readiness.ready();
    }

    @AfterEach
    void nothingIsLeftOver() {
        for (EmbeddedChannel ch : channels) {
            ch.runPendingTasks();
            assertNull(ch.readOutbound(), "every close frame was looked at");
            ch.finishAndReleaseAll();
        }
    }

    /** A connection of {@code userId}, joined now. */
    private EmbeddedChannel join(long userId) {
        EmbeddedChannel ch = new EmbeddedChannel();
        channels.add(ch);
        groups.join(
                new InboxSession(ch, new AuthenticatedUser(userId, null, null, Long.MAX_VALUE), 0, encoder, metrics));
        return ch;
    }

    /** Runs the channel's pending tasks (the sweep) and returns the close code it sent, or -1. */
    private static int closeSent(EmbeddedChannel ch) {
        ch.runPendingTasks();
        Object out = ch.readOutbound();
        if (out == null) {
            return -1;
        }
        CloseWebSocketFrame close = (CloseWebSocketFrame) out;
        try {
            return close.statusCode();
        } finally {
            close.release();
        }
    }

    /** The node's first connection to Redis: the gap a node starts in ends, and it is steady. */
    private void firstConnection() {
        assertTrue(gaps.resubscribed(gaps.reconnected()));
    }

    @Test
    void aConnectionOpenWhenTheGapBeganIsClosedWith4002OnlyOnceResubscribed() {
        firstConnection();
        EmbeddedChannel ann = join(1);
        gaps.interrupted();
        int epoch = gaps.reconnected();
        assertEquals(-1, closeSent(ann), "not while the users are not subscribed again");
        assertTrue(gaps.resubscribed(epoch));
        assertEquals(4002, closeSent(ann));
    }

    @Test
    void fromTheInterruptionOnAConnectionItWillCloseIsGivenNoLiveEvents() {
        firstConnection();
        join(1);
        InboxSession ann = groups.sessionsOf(1)[0];
        assertFalse(groups.missedRelay(ann));
        gaps.interrupted();
        assertTrue(groups.missedRelay(ann), "at once, not only when the gap ends");
        int epoch = gaps.reconnected();
        join(2);
        InboxSession bob = groups.sessionsOf(2)[0]; // first of its user after the reconnect: covered
        assertTrue(gaps.resubscribed(epoch));
        assertTrue(groups.missedRelay(ann), "until its close");
        assertFalse(groups.missedRelay(bob));
        assertEquals(4002, closeSent(channels.get(0)));
        assertEquals(-1, closeSent(channels.get(1)));
    }

    @Test
    void aConnectionJoiningBeforeTheNewConnectionIsUpIsClosed() {
        firstConnection();
        gaps.interrupted();
        EmbeddedChannel ann = join(1); // first of its user, but its SUBSCRIBE went nowhere
        assertTrue(gaps.resubscribed(gaps.reconnected()));
        assertEquals(4002, closeSent(ann));
    }

    @Test
    void aUsersFirstConnectionJoiningAfterTheReconnectMissedNothingAndStaysOpen() {
        firstConnection();
        gaps.interrupted();
        int epoch = gaps.reconnected();
        EmbeddedChannel ann = join(1); // its own SUBSCRIBE goes out on the new connection
        EmbeddedChannel annTab2 = join(1); // a second one: counted as open during the gap
        assertTrue(gaps.resubscribed(epoch));
        assertEquals(-1, closeSent(ann));
        assertEquals(4002, closeSent(annTab2));
    }

    @Test
    void aFurtherConnectionOfAUserPresentDuringTheResubscriptionIsClosed() {
        firstConnection();
        EmbeddedChannel ann = join(1);
        gaps.interrupted();
        int epoch = gaps.reconnected();
        EmbeddedChannel annTab2 = join(1); // its group's channel may not be subscribed again yet
        assertTrue(gaps.resubscribed(epoch));
        assertEquals(4002, closeSent(ann));
        assertEquals(4002, closeSent(annTab2));
    }

    @Test
    void aConnectionJoiningAfterTheGapEndedStaysOpen() {
        firstConnection();
        gaps.interrupted();
        assertTrue(gaps.resubscribed(gaps.reconnected()));
        EmbeddedChannel ann = join(1);
        assertEquals(-1, closeSent(ann));
        gaps.interrupted();
        assertTrue(gaps.resubscribed(gaps.reconnected()));
        assertEquals(4002, closeSent(ann), "the next gap closes it");
    }

    @Test
    void anInterruptionDuringTheResubscriptionStartsOverAndTheOldResubscriptionEndsNothing() {
        firstConnection();
        gaps.interrupted();
        int first = gaps.reconnected();
        EmbeddedChannel ann = join(1); // covered by the new connection... which is lost too
        gaps.interrupted();
        assertFalse(gaps.resubscribed(first), "a resubscription on a connection that is gone ends nothing");
        assertFalse(gaps.resubscribing(first));
        assertEquals(-1, closeSent(ann));
        int second = gaps.reconnected();
        assertTrue(gaps.resubscribing(second));
        assertTrue(gaps.resubscribed(second));
        assertEquals(4002, closeSent(ann));
        assertEquals(
                1.0,
                metrics.scrape(null)
                        .lines()
                        .filter(l -> l.startsWith("inbox_relay_gaps_total"))
                        .mapToDouble(l -> Double.parseDouble(l.substring(l.indexOf(' ') + 1)))
                        .sum(),
                "one gap, as users saw it");
    }

    @Test
    void aConnectionJoiningBeforeTheNodesFirstRedisConnectionIsClosed() {
        EmbeddedChannel ann = join(1); // nothing can have been subscribed for it
        assertEquals("relay not subscribed yet", readiness.notReadyReason());
        assertTrue(gaps.resubscribed(gaps.reconnected()));
        assertEquals(4002, closeSent(ann));
        assertNull(readiness.notReadyReason());
        assertTrue(metrics.scrape(null).contains("inbox_relay_gaps_total 0.0"), "starting is not an interruption");
    }

    @Test
    void theNodeIsNotReadyFromTheInterruptionUntilTheResubscription() {
        firstConnection();
        gaps.interrupted();
        assertEquals("relay subscriptions interrupted", readiness.notReadyReason());
        int epoch = gaps.reconnected();
        assertEquals("relay subscriptions interrupted", readiness.notReadyReason());
        gaps.resubscribed(epoch);
        assertNull(readiness.notReadyReason());
    }

    @Test
    void aConnectionThatLeftBeforeTheEndIsPassedOver() {
        firstConnection();
        EmbeddedChannel ann = join(1);
        gaps.interrupted();
        ann.close();
        groups.leave(groups.sessionsOf(1)[0]);
        assertTrue(gaps.resubscribed(gaps.reconnected()));
        assertEquals(-1, closeSent(ann));
    }
}
