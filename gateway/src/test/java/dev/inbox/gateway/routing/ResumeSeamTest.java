package dev.inbox.gateway.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.inbox.gateway.auth.AuthenticatedUser;
import dev.inbox.gateway.metrics.GatewayMetrics;
import dev.inbox.protocol.ServerEvent;
import dev.inbox.protocol.ServerFrameEncoder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The seam between a resume's replay and live events: a message that was still on its way from Redis when the feed
 * was read arrives live after {@code RESUMED}, and must not reach the client a second time; nothing else may be lost.
 */
class ResumeSeamTest {
    private static final ServerFrameEncoder ENCODER = new ServerFrameEncoder();
    private static final long CONVERSATION = 7;
    /** Message ids have 16 digits; the tests count from here. */
    private static final long BASE = 1_000_000_000_000_000L;

    private EmbeddedChannel ch;
    private InboxSession session;

    @BeforeEach
    void connect() {
        ch = new EmbeddedChannel();
        session = new InboxSession(
                ch, new AuthenticatedUser(1, "Ann", null, Long.MAX_VALUE), 0, ENCODER, new GatewayMetrics());
    }

    @AfterEach
    void nothingIsLeftOver() {
        ch.finishAndReleaseAll();
    }

    private static ByteBuf message(long conversation, long id) {
        return ENCODER.encodeEvent(
                ByteBufAllocator.DEFAULT,
                new ServerEvent("TEXT", "m" + id, conversation, 2, "Bob", null, 0, BASE + id),
                null);
    }

    private static ByteBuf ack(long conversation, long id) {
        return ENCODER.encodeEvent(
                ByteBufAllocator.DEFAULT,
                new ServerEvent("TEXT", "m" + id, conversation, 1, "Ann", null, 0, BASE + id),
                "c-" + id);
    }

    /** The payloads written to the client, in order. */
    private List<String> written() {
        ch.flush();
        List<String> out = new ArrayList<>();
        for (Object o; (o = ch.readOutbound()) != null; ) {
            ByteBuf b = (ByteBuf) o;
            out.add(ServerFrameEncoder.payloadOf(b).toString(StandardCharsets.UTF_8));
            b.release();
        }
        return out;
    }

    private static boolean has(List<String> frames, String fragment) {
        return frames.stream().anyMatch(f -> f.contains(fragment));
    }

    @Test
    void aReplayedMessageArrivingLiveAfterTheReplayIsDroppedAndNewerOnesPass() {
        session.startHolding();
        assertTrue(session.stopHolding().isEmpty());
        session.watchSeam(Map.of(CONVERSATION, BASE + 10)); // the replay ended at 10

        session.writeFrame(message(CONVERSATION, 9)); // published before the feed read, late from Redis
        session.writeFrame(message(CONVERSATION, 10));
        session.writeFrame(message(CONVERSATION, 11)); // the first newer one closes the seam for the conversation
        session.writeFrame(message(3, 5)); // another conversation, never resumed there: passes

        List<String> frames = written();
        assertEquals(2, frames.size(), frames.toString());
        assertTrue(has(frames, "\"message_id\":" + (BASE + 11)));
        assertTrue(has(frames, "\"conversation_id\":3"));
    }

    @Test
    void acknowledgementsAndReadEventsAreNeverTakenForDuplicates() {
        session.startHolding();
        session.stopHolding();
        session.watchSeam(Map.of(CONVERSATION, BASE + 10));

        session.writeFrame(ack(CONVERSATION, 8)); // a resend's ack carries the original id: its sender needs it
        session.writeFrame(ENCODER.encodeRead(ByteBufAllocator.DEFAULT, CONVERSATION, 2, BASE + 5)); // Bob read up to 5

        List<String> frames = written();
        assertEquals(2, frames.size(), frames.toString());
        assertTrue(has(frames, "\"client_msg_id\":\"c-8\""));
        assertTrue(has(frames, "\"type\":\"READ\""));
    }

    @Test
    void heldFramesAreJudgedTheSameWayAtTheEndOfTheReplay() {
        session.startHolding();
        session.writeFrame(message(CONVERSATION, 10));
        session.writeFrame(ack(CONVERSATION, 4));
        session.writeFrame(ENCODER.encodeRead(ByteBufAllocator.DEFAULT, CONVERSATION, 2, BASE + 3));
        session.writeFrame(message(CONVERSATION, 12));
        assertTrue(written().isEmpty(), "held while the replay runs");

        Map<Long, Long> delivered = Map.of(CONVERSATION, BASE + 10);
        int kept = 0;
        for (ByteBuf held : session.stopHolding()) {
            if (InboxSession.alreadyDelivered(held, delivered)) {
                held.release();
            } else {
                session.writeNow(held);
                kept++;
            }
        }
        assertEquals(3, kept, "only the replayed message 10 is dropped");
        written();
    }

    @Test
    void withNothingToWatchTheSeamCostsNothing() {
        session.watchSeam(Map.of());
        session.writeFrame(message(CONVERSATION, 1));
        assertEquals(1, written().size());
        assertFalse(session.isHolding());
    }
}
