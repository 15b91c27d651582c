package dev.inbox.gateway.inbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.inbox.gateway.auth.AuthenticatedUser;
import dev.inbox.gateway.metrics.GatewayMetrics;
import dev.inbox.gateway.routing.InboxSession;
import dev.inbox.protocol.ServerFrameEncoder;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Keepalive under EmbeddedChannel time control: time is frozen and only moves with {@code advanceTimeBy}. The sweep
 * runs once a tick (1 s with these intervals) and judges by the time it runs at, so a jump of many ticks is judged
 * as one.
 */
class KeepaliveTest {
    private static final GatewayMetrics METRICS = new GatewayMetrics();
    private static final Duration PING = Duration.ofSeconds(30);
    private static final Duration IDLE = Duration.ofSeconds(75);

    private EmbeddedChannel ch;

    private static ConnectionHandler connection(InboxSession session) {
        return new ConnectionHandler(
                new Keepalive(PING, IDLE), 65_536, Duration.ofSeconds(5), PassOnEndpoint.INSTANCE, session);
    }

    @BeforeEach
    void connect() {
        ch = new EmbeddedChannel();
        ch.freezeTime();
        InboxSession session = new InboxSession(
                ch, new AuthenticatedUser(1, "Ann", null, Long.MAX_VALUE), 0, new ServerFrameEncoder(), METRICS);
        ch.pipeline().addLast("connection", connection(session));
    }

    @AfterEach
    void nothingIsLeftOver() {
        assertFalse(ch.finish(), "no unread inbound or outbound messages");
    }

    private void advance(Duration d) {
        ch.advanceTimeBy(d.toNanos(), TimeUnit.NANOSECONDS);
        ch.runScheduledPendingTasks();
    }

    /** The client pongs: heard from, and nothing passes on. */
    private void clientPongs() {
        ch.writeInbound(new PongWebSocketFrame());
        assertNull(ch.readInbound(), "control frames stop at the connection handler");
    }

    /** The client sends a frame; the keepalive passes it on unchanged. */
    private void clientSends(WebSocketFrame frame) {
        ch.writeInbound(frame);
        Object passed = ch.readInbound();
        assertTrue(passed == frame, "frames pass through the keepalive");
        frame.release();
    }

    private void assertPinged() {
        Object o = ch.readOutbound();
        assertInstanceOf(PingWebSocketFrame.class, o, "expected a ping, got " + o);
        ((PingWebSocketFrame) o).release();
    }

    @Test
    void nothingHappensBeforeThePingInterval() {
        advance(PING.minusSeconds(1));
        assertNull(ch.readOutbound());
        assertTrue(ch.isActive());
    }

    @Test
    void channelThatKeepsReadingIsNeitherPingedNorClosed() {
        for (int i = 0; i < 20; i++) { // 400 s, far past the idle timeout
            advance(Duration.ofSeconds(20));
            clientSends(new TextWebSocketFrame("{}"));
        }
        assertNull(ch.readOutbound(), "a chatty client is never pinged");
        assertTrue(ch.isActive());
    }

    @Test
    void pongsCountAsReading() {
        for (int i = 0; i < 20; i++) {
            advance(Duration.ofSeconds(20));
            clientPongs();
        }
        assertNull(ch.readOutbound());
        assertTrue(ch.isActive());
    }

    @Test
    void removedHandlerNoLongerChecks() {
        ch.pipeline().remove("connection");
        advance(IDLE.multipliedBy(4));
        assertNull(ch.readOutbound());
        assertTrue(ch.isActive());
    }

    @Test
    void closedChannelIsNoLongerChecked() {
        ch.close();
        advance(IDLE.multipliedBy(4));
        assertNull(ch.readOutbound());
    }

    @Test
    void quietChannelIsPingedAfterThePingInterval() {
        advance(PING);
        assertPinged();
        assertNull(ch.readOutbound());
        assertTrue(ch.isActive(), "a ping does not close");
    }

    @Test
    void clientThatAnswersPingsStaysOpenAndIsPingedEveryInterval() {
        for (int i = 0; i < 10; i++) {
            advance(PING);
            assertPinged();
            clientPongs();
        }
        assertNull(ch.readOutbound());
        assertTrue(ch.isActive());
    }

    @Test
    void silentChannelPastTheIdleTimeoutIsClosedWith4000() {
        advance(PING); // 30 s: ping
        assertPinged();
        advance(PING); // 60 s: ping
        assertPinged();
        assertTrue(ch.isActive(), "still within the idle timeout");
        advance(PING); // past 75 s: closed at the timeout

        Object o = ch.readOutbound();
        assertInstanceOf(CloseWebSocketFrame.class, o, "expected a close, got " + o);
        CloseWebSocketFrame close = (CloseWebSocketFrame) o;
        try {
            assertEquals(4000, close.statusCode());
        } finally {
            close.release();
        }
        assertTrue(ch.isOpen(), "waiting for the client's answer to the close frame");
        ch.advanceTimeBy(InboxSession.CLOSE_HANDSHAKE_TIMEOUT.toNanos(), TimeUnit.NANOSECONDS);
        ch.runScheduledPendingTasks();
        assertFalse(ch.isOpen(), "closed when the client does not answer");
    }

    @Test
    void silentChannelWithoutASessionIsClosedWithoutACloseFrame() {
        EmbeddedChannel bare = new EmbeddedChannel();
        bare.freezeTime();
        bare.pipeline().addLast(connection(null));
        for (int i = 0; i < 3; i++) {
            bare.advanceTimeBy(PING.toNanos(), TimeUnit.NANOSECONDS);
            bare.runScheduledPendingTasks();
        }
        Object o;
        while ((o = bare.readOutbound()) != null) {
            assertInstanceOf(PingWebSocketFrame.class, o);
            ((PingWebSocketFrame) o).release();
        }
        assertFalse(bare.isOpen());
        assertFalse(bare.finish());
    }

    @Test
    void readingResetsTheSilence() {
        advance(PING);
        assertPinged();
        advance(PING);
        assertPinged();
        clientSends(new TextWebSocketFrame("{}")); // at 60 s
        advance(PING); // 90 s: heard from 30 s ago: a ping, not a close
        assertPinged();
        assertTrue(ch.isActive());
    }

    // ---- token expiry ----------------------------------------------------------------------------------------

    /** A connection whose token expires in 45 s, between the first ping (30 s) and the second (60 s). */
    private EmbeddedChannel expiringIn45s() {
        EmbeddedChannel cy = new EmbeddedChannel();
        cy.freezeTime();
        InboxSession session = new InboxSession(
                cy,
                new AuthenticatedUser(3, "Cy", null, System.currentTimeMillis() + 45_000),
                0,
                new ServerFrameEncoder(),
                METRICS);
        cy.pipeline().addLast("connection", connection(session));
        return cy;
    }

    @Test
    void connectionIsClosedWith4501WhenTheTokenExpires() {
        EmbeddedChannel cy = expiringIn45s();
        cy.advanceTimeBy(PING.toNanos(), TimeUnit.NANOSECONDS); // 30 s: pinged, still open
        cy.runScheduledPendingTasks();
        Object ping = cy.readOutbound();
        assertInstanceOf(PingWebSocketFrame.class, ping);
        ((PingWebSocketFrame) ping).release();
        cy.writeInbound(new TextWebSocketFrame("{}")); // it keeps talking: only the token ends it
        ((TextWebSocketFrame) cy.readInbound()).release();

        cy.advanceTimeBy(14, TimeUnit.SECONDS); // 44 s
        cy.runScheduledPendingTasks();
        assertNull(cy.readOutbound(), "open until the token expires");
        assertTrue(cy.isActive());

        cy.advanceTimeBy(1, TimeUnit.SECONDS); // 45 s: at the expiry, not at the next ping
        cy.runScheduledPendingTasks();
        Object o = cy.readOutbound();
        assertInstanceOf(CloseWebSocketFrame.class, o, "expected a close, got " + o);
        CloseWebSocketFrame close = (CloseWebSocketFrame) o;
        try {
            assertEquals(4501, close.statusCode());
        } finally {
            close.release();
        }
        cy.advanceTimeBy(InboxSession.CLOSE_HANDSHAKE_TIMEOUT.toNanos(), TimeUnit.NANOSECONDS);
        cy.runScheduledPendingTasks();
        assertFalse(cy.isOpen(), "closed when the client does not answer");
        assertFalse(cy.finish());
    }

    @Test
    void anExpiredTokenIsNotPingedFirst() {
        EmbeddedChannel cy = new EmbeddedChannel();
        cy.freezeTime();
        InboxSession session = new InboxSession(
                cy,
                new AuthenticatedUser(3, "Cy", null, System.currentTimeMillis() - 1),
                0,
                new ServerFrameEncoder(),
                METRICS);
        cy.pipeline().addLast("connection", connection(session));
        cy.advanceTimeBy(1, TimeUnit.SECONDS); // the first sweep
        cy.runScheduledPendingTasks();
        Object o = cy.readOutbound();
        assertInstanceOf(CloseWebSocketFrame.class, o, "closed at the first sweep, got " + o);
        assertEquals(4501, ((CloseWebSocketFrame) o).statusCode());
        ((CloseWebSocketFrame) o).release();
        assertFalse(cy.finish());
    }

    @Test
    void theIdleCloseComesWithinOneTickOfTheTimeout() {
        long closedAtMillis = -1;
        for (long t = 100; t <= IDLE.toMillis() + 2_000 && closedAtMillis < 0; t += 100) {
            ch.advanceTimeBy(100, TimeUnit.MILLISECONDS);
            ch.runScheduledPendingTasks();
            for (Object o; (o = ch.readOutbound()) != null; ) {
                if (o instanceof CloseWebSocketFrame close) {
                    assertEquals(4000, close.statusCode());
                    closedAtMillis = t;
                }
                io.netty.util.ReferenceCountUtil.release(o);
            }
        }
        assertTrue(
                closedAtMillis >= IDLE.toMillis() && closedAtMillis <= IDLE.toMillis() + 1_000,
                "closed at " + closedAtMillis + " ms, the timeout is " + IDLE.toMillis() + " ms and the tick 1 s");
        ch.advanceTimeBy(InboxSession.CLOSE_HANDSHAKE_TIMEOUT.toNanos(), TimeUnit.NANOSECONDS);
        ch.runScheduledPendingTasks();
    }

    @Test
    void theTickIsATenthOfTheShortestIntervalWithinTenMillisecondsAndOneSecond() {
        assertEquals(Duration.ofSeconds(1), new Keepalive(PING, IDLE).tick());
        assertEquals(Duration.ofMillis(200), new Keepalive(Duration.ofSeconds(2), Duration.ofSeconds(5)).tick());
        assertEquals(Duration.ofMillis(10), new Keepalive(Duration.ofMillis(20), Duration.ofMillis(50)).tick());
    }
}
