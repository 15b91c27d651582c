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
 * Keepalive under EmbeddedChannel time control: time is frozen and only moves with {@code advanceTimeBy}.
 */
class KeepaliveHandlerTest {
    private static final GatewayMetrics METRICS = new GatewayMetrics();
    private static final Duration PING = Duration.ofSeconds(30);
    private static final Duration IDLE = Duration.ofSeconds(75);

    private EmbeddedChannel ch;

    @BeforeEach
    void connect() {
        ch = new EmbeddedChannel();
        ch.freezeTime();
        ch.attr(InboxSession.KEY)
                .set(new InboxSession(
                        ch,
                        new AuthenticatedUser(1, "Ann", null, Long.MAX_VALUE),
                        0,
                        new ServerFrameEncoder(),
                        METRICS));
        ch.pipeline().addLast("keepalive", new KeepaliveHandler(PING, IDLE));
    }

    @AfterEach
    void nothingIsLeftOver() {
        assertFalse(ch.finish(), "no unread inbound or outbound messages");
    }

    private void advance(Duration d) {
        ch.advanceTimeBy(d.toNanos(), TimeUnit.NANOSECONDS);
        ch.runScheduledPendingTasks();
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
            clientSends(new PongWebSocketFrame());
        }
        assertNull(ch.readOutbound());
        assertTrue(ch.isActive());
    }

    @Test
    void removedHandlerNoLongerChecks() {
        ch.pipeline().remove("keepalive");
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
            clientSends(new PongWebSocketFrame());
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
        bare.pipeline().addLast(new KeepaliveHandler(PING, IDLE));
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
        cy.attr(InboxSession.KEY)
                .set(new InboxSession(
                        cy,
                        new AuthenticatedUser(3, "Cy", null, System.currentTimeMillis() + 45_000),
                        0,
                        new ServerFrameEncoder(),
                        METRICS));
        cy.pipeline().addLast("keepalive", new KeepaliveHandler(PING, IDLE));
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
        cy.attr(InboxSession.KEY)
                .set(new InboxSession(
                        cy,
                        new AuthenticatedUser(3, "Cy", null, System.currentTimeMillis() - 1),
                        0,
                        new ServerFrameEncoder(),
                        METRICS));
        cy.pipeline().addLast("keepalive", new KeepaliveHandler(PING, IDLE));
        cy.runScheduledPendingTasks();
        Object o = cy.readOutbound();
        assertInstanceOf(CloseWebSocketFrame.class, o, "closed at once, got " + o);
        assertEquals(4501, ((CloseWebSocketFrame) o).statusCode());
        ((CloseWebSocketFrame) o).release();
        assertFalse(cy.finish());
    }
}
