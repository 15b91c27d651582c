package dev.inbox.gateway.inbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.inbox.gateway.auth.AuthenticatedUser;
import dev.inbox.gateway.metrics.GatewayMetrics;
import dev.inbox.gateway.routing.InboxSession;
import dev.inbox.protocol.ServerFrameEncoder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameEncoder;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The contract an {@link InboxEndpoint} relies on: it gets complete text and binary messages untouched, and never a
 * control frame, a protocol violation, or anything after the connection started closing.
 */
class ConnectionHandlerTest {
    private static final GatewayMetrics METRICS = new GatewayMetrics();
    private static final Keepalive KEEPALIVE = new Keepalive(Duration.ofHours(1), Duration.ofHours(2));
    private static final int MAX_MESSAGE_BYTES = 32;

    /** Records what reaches the endpoint (the payload as text) and releases it. */
    private static final class RecordingEndpoint implements InboxEndpoint {
        final List<String> received = new ArrayList<>();

        @Override
        public void start(InboxSession session) {}

        @Override
        public void message(InboxSession session, WebSocketFrame frame) {
            try {
                received.add(
                        frame.getClass().getSimpleName() + ":" + frame.content().toString(StandardCharsets.UTF_8));
            } finally {
                frame.release();
            }
        }

        @Override
        public void closed(InboxSession session) {}
    }

    private final RecordingEndpoint endpoint = new RecordingEndpoint();
    private EmbeddedChannel ch;
    private InboxSession session;

    @BeforeEach
    void connect() {
        ch = new EmbeddedChannel();
        session = new InboxSession(
                ch, new AuthenticatedUser(1, "Ann", null, Long.MAX_VALUE), 0, new ServerFrameEncoder(), METRICS);
        ch.pipeline()
                .addLast(
                        "connection",
                        new ConnectionHandler(KEEPALIVE, MAX_MESSAGE_BYTES, Duration.ofSeconds(5), endpoint, session));
    }

    @AfterEach
    void nothingIsLeftOver() {
        assertFalse(ch.finish(), "no unread inbound or outbound messages");
    }

    @Test
    void textAndBinaryMessagesReachTheEndpointAsSent() {
        ch.writeInbound(new TextWebSocketFrame("h\u00e9llo"));
        ch.writeInbound(new BinaryWebSocketFrame(Unpooled.copiedBuffer("bytes", StandardCharsets.UTF_8)));

        assertEquals(List.of("TextWebSocketFrame:h\u00e9llo", "BinaryWebSocketFrame:bytes"), endpoint.received);
        assertNull(ch.readOutbound(), "data messages are the endpoint's to answer");
    }

    @Test
    void controlFramesNeverReachTheEndpoint() {
        ch.writeInbound(new PingWebSocketFrame(Unpooled.copiedBuffer("p", StandardCharsets.UTF_8)));
        ch.writeInbound(new PongWebSocketFrame(Unpooled.copiedBuffer("q", StandardCharsets.UTF_8)));

        PongWebSocketFrame pong = assertInstanceOf(PongWebSocketFrame.class, ch.readOutbound());
        try {
            assertEquals("p", pong.content().toString(StandardCharsets.UTF_8));
        } finally {
            pong.release();
        }
        ch.writeInbound(new CloseWebSocketFrame(1000, "bye"));
        CloseWebSocketFrame echo = assertInstanceOf(CloseWebSocketFrame.class, ch.readOutbound());
        try {
            assertEquals(1000, echo.statusCode());
        } finally {
            echo.release();
        }
        assertEquals(List.of(), endpoint.received);
        assertFalse(ch.isOpen(), "the close is echoed, then the connection is closed");
    }

    @Test
    void nothingReachesTheEndpointOnceClosing() {
        session.markClosing(); // as after our close frame, still in flight while the peer's last frames arrive

        ch.writeInbound(new TextWebSocketFrame("late"));
        ch.writeInbound(new BinaryWebSocketFrame(Unpooled.copiedBuffer("late", StandardCharsets.UTF_8)));
        ch.writeInbound(new PingWebSocketFrame(Unpooled.copiedBuffer("late", StandardCharsets.UTF_8)));

        assertEquals(List.of(), endpoint.received);
        assertNull(ch.readOutbound(), "not even a pong");
        ch.close();
    }

    @Test
    void protocolViolationIsAnsweredWithItsCodeAndNeverReachesTheEndpoint() {
        ch.pipeline()
                .fireExceptionCaught(
                        new CorruptedWebSocketFrameException(WebSocketCloseStatus.INVALID_PAYLOAD_DATA, "bad UTF-8"));

        CloseWebSocketFrame close = assertInstanceOf(CloseWebSocketFrame.class, ch.readOutbound());
        try {
            assertEquals(1007, close.statusCode());
        } finally {
            close.release();
        }
        assertEquals(List.of(), endpoint.received);
        assertFalse(ch.isOpen());
    }

    // ---- messages: UTF-8 and fragments -------------------------------------------------------------------------

    private static io.netty.buffer.ByteBuf bytes(int... b) {
        byte[] a = new byte[b.length];
        for (int i = 0; i < b.length; i++) {
            a[i] = (byte) b[i];
        }
        return Unpooled.wrappedBuffer(a);
    }

    private void assertClosedWith(int code) {
        CloseWebSocketFrame close = assertInstanceOf(CloseWebSocketFrame.class, ch.readOutbound());
        try {
            assertEquals(code, close.statusCode());
        } finally {
            close.release();
        }
        assertEquals(List.of(), endpoint.received);
        ch.close();
    }

    @Test
    void fragmentsAreReassembledIntoOneMessageAndACharacterMaySpanTwo() {
        // "hé" + "llo": é (C3 A9) split across the first two fragments.
        ch.writeInbound(new TextWebSocketFrame(false, 0, bytes('h', 0xC3)));
        ch.writeInbound(new PingWebSocketFrame(Unpooled.copiedBuffer("p", StandardCharsets.UTF_8))); // allowed between
        ch.writeInbound(new ContinuationWebSocketFrame(false, 0, bytes(0xA9, 'l')));
        assertEquals(List.of(), endpoint.received, "nothing before the last fragment");
        ch.writeInbound(new ContinuationWebSocketFrame(true, 0, bytes('l', 'o')));
        ch.writeInbound(new BinaryWebSocketFrame(false, 0, bytes(1, 2)));
        ch.writeInbound(new ContinuationWebSocketFrame(true, 0, bytes(3)));

        assertEquals(
                List.of("TextWebSocketFrame:h\u00e9llo", "BinaryWebSocketFrame:\u0001\u0002\u0003"), endpoint.received);
        PongWebSocketFrame pong = assertInstanceOf(PongWebSocketFrame.class, ch.readOutbound());
        pong.release();
    }

    @Test
    void invalidUtf8InOneFrameClosesWith1007() {
        ch.writeInbound(new TextWebSocketFrame(bytes('a', 0xC0, 0x80)));
        assertClosedWith(1007);
    }

    @Test
    void invalidUtf8IsCaughtAtTheFragmentThatCarriesItNotAtTheEnd() {
        ch.writeInbound(new TextWebSocketFrame(false, 0, bytes('a')));
        ch.writeInbound(new ContinuationWebSocketFrame(false, 0, bytes(0xED, 0xA0, 0x80))); // a surrogate
        assertClosedWith(1007);
    }

    @Test
    void aMessageEndingInsideACharacterClosesWith1007() {
        ch.writeInbound(new TextWebSocketFrame(false, 0, bytes('a')));
        ch.writeInbound(new ContinuationWebSocketFrame(true, 0, bytes(0xE2, 0x82))); // two of three bytes of €
        assertClosedWith(1007);
    }

    @Test
    void binaryMessagesAreNotCheckedForUtf8() {
        ch.writeInbound(new BinaryWebSocketFrame(false, 0, bytes(0xFF)));
        ch.writeInbound(new ContinuationWebSocketFrame(true, 0, bytes(0xC0)));
        assertEquals(1, endpoint.received.size());
    }

    @Test
    void aFragmentedMessageOverTheMaximumClosesWith1009() {
        ch.writeInbound(new TextWebSocketFrame(false, 0, Unpooled.wrappedBuffer(new byte[MAX_MESSAGE_BYTES - 1])));
        ch.writeInbound(new ContinuationWebSocketFrame(true, 0, bytes('x', 'y')));
        assertClosedWith(1009);
    }

    @Test
    void anOpenFragmentedMessageIsReleasedWhenTheConnectionCloses() {
        io.netty.buffer.ByteBuf first = Unpooled.buffer(4).writeBytes(new byte[] {'a', 'b'});
        ch.writeInbound(new TextWebSocketFrame(false, 0, first));
        assertEquals(1, first.refCnt(), "held while the message is open");
        ch.close();
        assertEquals(0, first.refCnt(), "released with the connection");
    }

    @Test
    void aMessageInThousandsOfFragmentsIsReassembledWhole() {
        int fragments = 3 * ConnectionHandler.MAX_FRAGMENT_COMPONENTS;
        EmbeddedChannel c = new EmbeddedChannel();
        InboxSession bob = new InboxSession(
                c, new AuthenticatedUser(2, "Bob", null, Long.MAX_VALUE), 0, new ServerFrameEncoder(), METRICS);
        RecordingEndpoint bobs = new RecordingEndpoint();
        c.pipeline().addLast(new ConnectionHandler(KEEPALIVE, fragments, Duration.ofSeconds(5), bobs, bob));
        c.writeInbound(new TextWebSocketFrame(false, 0, bytes('a')));
        for (int i = 1; i < fragments - 1; i++) {
            c.writeInbound(new ContinuationWebSocketFrame(false, 0, Unpooled.EMPTY_BUFFER)); // empty ones too
            c.writeInbound(new ContinuationWebSocketFrame(false, 0, bytes('a')));
        }
        c.writeInbound(new ContinuationWebSocketFrame(true, 0, bytes('a')));

        assertEquals(List.of("TextWebSocketFrame:" + "a".repeat(fragments)), bobs.received);
        assertFalse(c.finish());
    }

    /**
     * Once the 101 is written, Netty's frame encoder leaves and this handler encodes: the same bytes on the wire (hex,
     * RFC 6455 §5.2: FIN and opcode, then the unmasked length), one pipeline context less per connection.
     */
    @Test
    void afterTheUpgradeItEncodesFramesInPlaceOfNettysEncoder() {
        EmbeddedChannel c = new EmbeddedChannel();
        InboxSession cy = new InboxSession(
                c, new AuthenticatedUser(3, "Cy", null, Long.MAX_VALUE), 0, new ServerFrameEncoder(), METRICS);
        c.pipeline()
                .addLast(InboxSession.FRAME_ENCODER, new WebSocket13FrameEncoder(false))
                .addLast(new ConnectionHandler(KEEPALIVE, MAX_MESSAGE_BYTES, Duration.ofSeconds(5), endpoint, cy));
        c.pipeline()
                .fireUserEventTriggered(
                        new WebSocketServerProtocolHandler.HandshakeComplete("/ws", EmptyHttpHeaders.INSTANCE, null));
        assertNull(c.pipeline().get(InboxSession.FRAME_ENCODER), "Netty's encoder is gone");

        c.writeInbound(new PingWebSocketFrame(Unpooled.copiedBuffer("p", StandardCharsets.US_ASCII)));
        assertWire(c, "8a0170"); // pong, 1 byte: "p"
        ByteBuf encoded = Unpooled.wrappedBuffer(ByteBufUtil.decodeHexDump("810178")); // text "x", already a frame
        cy.writeNow(encoded);
        cy.flushFrames();
        assertEquals(encoded, c.readOutbound(), "an encoded frame passes as it is");
        encoded.release();
        c.writeAndFlush(new TextWebSocketFrame("hi"));
        assertWire(c, "81026869");
        cy.close(1000, "");
        assertWire(c, "880203e8"); // close, 2 bytes: 1000
        assertFalse(c.finish());
    }

    private static void assertWire(EmbeddedChannel c, String hex) {
        ByteBuf wire = Unpooled.buffer();
        for (Object o; (o = c.readOutbound()) != null; ) {
            ByteBuf b = assertInstanceOf(ByteBuf.class, o, "bytes on the wire");
            wire.writeBytes(b);
            b.release();
        }
        try {
            assertEquals(hex, ByteBufUtil.hexDump(wire));
        } finally {
            wire.release();
        }
    }
}
