package dev.inbox.gateway.inbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.inbox.gateway.auth.AuthenticatedUser;
import dev.inbox.gateway.history.HistoryReader;
import dev.inbox.gateway.history.NoHistory;
import dev.inbox.gateway.metrics.GatewayMetrics;
import dev.inbox.gateway.routing.ClockMessageIds;
import dev.inbox.gateway.routing.ConversationRouter;
import dev.inbox.gateway.routing.EventLoops;
import dev.inbox.gateway.routing.InMemoryMembership;
import dev.inbox.gateway.routing.InboxSession;
import dev.inbox.gateway.routing.LocalAdmission;
import dev.inbox.gateway.routing.UserGroups;
import dev.inbox.protocol.ClientMessageDecoder;
import dev.inbox.protocol.ServerFrameEncoder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufInputStream;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.ClosedChannelException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The frame handler behind the UTF-8 validator, the fragment aggregator and the control-frame handler, as
 * {@code InboxChannelInitializer} wires them. Routing runs for real: the router's {@link EventLoops} is the channel's own {@code EmbeddedEventLoop}, which
 * is always "in the event loop", so every stage completes inside {@code writeInbound}.
 */
class InboxFrameHandlerTest {
    private static final GatewayMetrics METRICS = new GatewayMetrics();
    private static final int MAX_FRAME_BYTES = 1024;
    /** Rate and burst high enough that no test here meets the rate limit unless it sets its own. */
    private static final int UNLIMITED = Integer.MAX_VALUE / 2;

    private static final int MAX_MESSAGE_CHARS = 16;
    private static final long CONVERSATION = 5;

    private final ServerFrameEncoder encoder = new ServerFrameEncoder();
    private final UserGroups groups = new UserGroups();
    private final InMemoryMembership membership = new InMemoryMembership();
    private final AuthenticatedUser ann =
            new AuthenticatedUser(1, "Ann", "https://cdn.example/ann.png", Long.MAX_VALUE);
    private EmbeddedChannel ch;
    private EventLoops loops;
    private InboxFrameHandler handler;
    private InboxSession session;

    @BeforeEach
    void connect() {
        ch = new EmbeddedChannel();
        loops = new EventLoops(ch.eventLoop());
        ConversationRouter router = new ConversationRouter(
                new LocalAdmission(membership, new ClockMessageIds(), false),
                loops,
                groups,
                encoder,
                ByteBufAllocator.DEFAULT,
                METRICS);
        handler = new InboxFrameHandler(
                new ClientMessageDecoder(MAX_MESSAGE_CHARS, MAX_FRAME_BYTES),
                router,
                groups,
                UNLIMITED,
                UNLIMITED,
                new HistoryRequests(membership, new HistoryReader(NoHistory.INSTANCE, 100, 1 << 20), encoder, METRICS),
                new Resumer(null, (c, a, n) -> null, membership, 10, 10, 1, 0, Duration.ZERO, METRICS));
        session = start(ch, ann);
    }

    @AfterEach
    void nothingIsLeftOver() {
        assertFalse(ch.finish(), "no unread inbound or outbound messages");
        assertEquals(0, groups.connectionCount(), "a closed connection leaves its user group");
    }

    /** Long enough that no test sees a ping. */
    private static final Keepalive KEEPALIVE = new Keepalive(Duration.ofHours(1), Duration.ofHours(2));

    /**
     * Wires {@code c} the way {@code InboxChannelInitializer.upgraded} does, and starts the session. Every channel is
     * filed under the one loop in {@link #loops}: an {@code EmbeddedEventLoop} is always "in the event loop", so
     * delivery writes to each channel in place.
     */
    private InboxSession start(EmbeddedChannel c, AuthenticatedUser user) {
        InboxSession s = new InboxSession(c, user, loops.indexOf(ch.eventLoop()), encoder, METRICS);
        c.pipeline()
                .addLast(
                        "connection",
                        new ConnectionHandler(KEEPALIVE, MAX_FRAME_BYTES, Duration.ofSeconds(5), handler, s));
        handler.start(s);
        return s;
    }

    private static TextWebSocketFrame text(String json) {
        return new TextWebSocketFrame(json);
    }

    /** Reads one outbound message that must be a complete server text frame and returns its JSON fields. */
    private static Map<String, Object> readJsonFrame(EmbeddedChannel c) {
        Object o = c.readOutbound();
        assertInstanceOf(ByteBuf.class, o, "expected an encoded frame, got " + o);
        ByteBuf frame = (ByteBuf) o;
        try {
            assertEquals((byte) 0x81, frame.getByte(frame.readerIndex()), "FIN + text opcode");
            ByteBuf payload = ServerFrameEncoder.payloadOf(frame);
            int len7 = frame.getByte(frame.readerIndex() + 1) & 0x7F;
            assertEquals(0, frame.getByte(frame.readerIndex() + 1) & 0x80, "server frames are unmasked");
            if (len7 < 126) {
                assertEquals(len7, payload.readableBytes(), "header length matches the payload");
            }
            return parse(payload);
        } finally {
            frame.release();
        }
    }

    private static Map<String, Object> parse(ByteBuf payload) {
        Map<String, Object> out = new HashMap<>();
        try (JsonParser p = new JsonFactory().createParser((InputStream) new ByteBufInputStream(payload.duplicate()))) {
            assertEquals(JsonToken.START_OBJECT, p.nextToken());
            for (JsonToken t = p.nextToken(); t == JsonToken.FIELD_NAME; t = p.nextToken()) {
                String name = p.currentName();
                JsonToken v = p.nextToken();
                out.put(name, v == JsonToken.VALUE_NUMBER_INT ? (Object) p.getLongValue() : p.getText());
            }
            assertNull(p.nextToken(), "one JSON object");
        } catch (IOException e) {
            throw new AssertionError("payload is not JSON: " + payload.toString(StandardCharsets.UTF_8), e);
        }
        return out;
    }

    private static Map<String, Object> readError(EmbeddedChannel c, String code) {
        Map<String, Object> error = readJsonFrame(c);
        assertEquals("ERROR", error.get("type"), error::toString);
        assertEquals(code, error.get("code"), error::toString);
        assertTrue(error.get("message") instanceof String m && !m.isEmpty(), error::toString);
        return error;
    }

    private static CloseWebSocketFrame readClose(EmbeddedChannel c) {
        Object o = c.readOutbound();
        assertInstanceOf(CloseWebSocketFrame.class, o, "expected a close frame, got " + o);
        return (CloseWebSocketFrame) o;
    }

    /** The connection was failed (a protocol violation) or answered the client's close: closed after the frame. */
    private static void assertFailedWith(EmbeddedChannel c, int code) {
        CloseWebSocketFrame close = readClose(c);
        try {
            assertEquals(code, close.statusCode());
        } finally {
            close.release();
        }
        assertFalse(c.isOpen(), "the connection is closed after the close frame");
    }

    /** This side started the closing handshake: closed once the client answers. */
    private static void assertClosedWith(EmbeddedChannel c, int code) {
        CloseWebSocketFrame close = readClose(c);
        try {
            assertEquals(code, close.statusCode());
        } finally {
            close.release();
        }
        assertTrue(c.isOpen(), "waiting for the client's answer to the close frame");
        c.writeInbound(new CloseWebSocketFrame(code, ""));
        assertFalse(c.isOpen(), "the connection is closed once the client has answered the close frame");
    }

    // ---- bad frames get an ERROR and the connection stays open --------------------------------------------

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(
            delimiter = '|',
            quoteCharacter = '\'',
            value = {
                "{not json                                                           | bad_json",
                "''                                                                  | bad_json",
                "[1,2]                                                               | bad_frame",
                "{\"type\":\"TEXT\",\"conversation_id\":5,\"message\":\"a\"} {}       | bad_frame",
                "{\"type\":\"TEXT\",\"message\":\"hi\"}                               | missing_field",
                "{\"type\":\"TEXT\",\"conversation_id\":null,\"message\":\"hi\"}      | missing_field",
                "{\"type\":\"TEXT\",\"conversation_id\":\"5\",\"message\":\"hi\"}     | wrong_type",
                "{\"type\":\"TEXT\",\"conversation_id\":0,\"message\":\"hi\"}         | wrong_type",
                "{\"type\":\"TEXT\",\"conversation_id\":5,\"message\":7}              | wrong_type",
                "{\"type\":\"IMAGE\",\"conversation_id\":5,\"message\":\"hi\"}        | unknown_type",
                "{\"type\":\"TEXT\",\"conversation_id\":5,\"message\":\"seventeen chars!!\"} | message_too_long",
            })
    void badFrameGetsAnErrorAndTheConnectionStaysOpen(String json, String code) {
        ch.writeInbound(text(json.strip()));

        readError(ch, code);
        assertNull(ch.readOutbound(), "one error, nothing else");
        assertTrue(ch.isActive(), "a bad frame does not close the connection");
        assertEquals(1, groups.connectionCount());
    }

    @Test
    void errorCarriesTheConversationAndClientMessageIdItCouldRead() {
        ch.writeInbound(
                text("{\"type\":\"NOPE\",\"conversation_id\":77,\"message\":\"hi\",\"client_msg_id\":\"c-9\"}"));

        Map<String, Object> error = readError(ch, "unknown_type");
        assertEquals(77L, error.get("conversation_id"));
        assertEquals("c-9", error.get("client_msg_id"));
        assertTrue(ch.isActive());
    }

    @Test
    void connectionKeepsWorkingAfterAnError() {
        membership.replace(CONVERSATION, new long[] {ann.id()});
        ch.writeInbound(text("{oops"));
        readError(ch, "bad_json");

        ch.writeInbound(text("{\"type\":\"TEXT\",\"conversation_id\":5,\"message\":\"hi\"}"));
        assertEquals("hi", readJsonFrame(ch).get("message"));
    }

    @Test
    void binaryFrameGetsBinaryNotSupportedAndTheConnectionStaysOpen() {
        ch.writeInbound(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(new byte[] {1, 2, 3})));

        readError(ch, "binary_not_supported");
        assertNull(ch.readOutbound());
        assertTrue(ch.isActive());
    }

    // ---- routing ------------------------------------------------------------------------------------------

    @Test
    void memberMessageIsDeliveredWithSenderFromTheCredentials() {
        membership.replace(CONVERSATION, new long[] {ann.id()});

        ch.writeInbound(text("{\"type\":\"TEXT\",\"conversation_id\":5,\"message\":\"hi\",\"sender_id\":999}"));

        Map<String, Object> event = readJsonFrame(ch);
        assertEquals("TEXT", event.get("type"));
        assertEquals("hi", event.get("message"));
        assertEquals(CONVERSATION, event.get("conversation_id"));
        assertEquals(ann.id(), event.get("sender_id"), "the sender is who the token says, never the frame");
        assertEquals("Ann", event.get("sender_name"));
        assertEquals("https://cdn.example/ann.png", event.get("sender_avatar"));
        assertTrue((Long) event.get("message_id") > 0);
        assertTrue(event.get("created_at") instanceof String s && s.endsWith("Z"), event::toString);
        assertNull(event.get("client_msg_id"));
        assertNull(ch.readOutbound());
    }

    @Test
    void senderGetsItsClientMessageIdBackAndOtherMembersDoNot() {
        AuthenticatedUser bob = new AuthenticatedUser(2, "Bob", null, Long.MAX_VALUE);
        EmbeddedChannel bobCh = new EmbeddedChannel();
        start(bobCh, bob);
        membership.replace(CONVERSATION, new long[] {ann.id(), bob.id()});

        ch.writeInbound(text("{\"type\":\"TEXT\",\"conversation_id\":5,\"message\":\"hi\",\"client_msg_id\":\"c1\"}"));

        Map<String, Object> ack = readJsonFrame(ch);
        Map<String, Object> event = readJsonFrame(bobCh);
        assertEquals("c1", ack.get("client_msg_id"));
        assertNull(event.get("client_msg_id"));
        assertEquals(ack.get("message_id"), event.get("message_id"));
        assertEquals("hi", event.get("message"));
        assertNull(ch.readOutbound());
        assertNull(bobCh.readOutbound());
        assertFalse(bobCh.finish());
    }

    @Test
    void messageIdsIncreaseWithinAConversation() {
        membership.replace(CONVERSATION, new long[] {ann.id()});
        long previous = 0;
        for (int i = 0; i < 5; i++) {
            ch.writeInbound(text("{\"type\":\"TEXT\",\"conversation_id\":5,\"message\":\"m" + i + "\"}"));
            Map<String, Object> event = readJsonFrame(ch);
            assertEquals("m" + i, event.get("message"));
            long id = (Long) event.get("message_id");
            assertTrue(id > previous, "ids increase: " + previous + " then " + id);
            previous = id;
        }
    }

    @Test
    void nonMemberGetsNotAMemberAndNothingIsDelivered() {
        AuthenticatedUser bob = new AuthenticatedUser(2, "Bob", null, Long.MAX_VALUE);
        EmbeddedChannel bobCh = new EmbeddedChannel();
        start(bobCh, bob);
        membership.replace(CONVERSATION, new long[] {bob.id()});

        ch.writeInbound(text("{\"type\":\"TEXT\",\"conversation_id\":5,\"message\":\"hi\",\"client_msg_id\":\"c1\"}"));

        Map<String, Object> error = readError(ch, "not_a_member");
        assertEquals(CONVERSATION, error.get("conversation_id"));
        assertEquals("c1", error.get("client_msg_id"));
        assertNull(bobCh.readOutbound(), "a non-member's message reaches no one");
        assertTrue(ch.isActive());
        assertFalse(bobCh.finish());
    }

    @Test
    void aSecondHistoryRequestWhileTheFirstIsUnansweredGetsHistoryBusy() {
        membership.replace(CONVERSATION, new long[] {ann.id()});
        // Both frames are read before the loop runs the first one's answer.
        ch.writeInbound(
                text("{\"type\":\"HISTORY\",\"conversation_id\":5}"),
                text("{\"type\":\"HISTORY\",\"conversation_id\":5,\"client_msg_id\":\"h2\"}"));

        assertEquals("h2", readError(ch, "history_busy").get("client_msg_id"));
        ByteBuf answer = ch.readOutbound();
        try {
            assertEquals(
                    "{\"type\":\"HISTORY\",\"conversation_id\":5,\"trimmed\":false,\"events\":[]}",
                    ServerFrameEncoder.payloadOf(answer).toString(StandardCharsets.UTF_8));
        } finally {
            answer.release();
        }
        ch.writeInbound(text("{\"type\":\"HISTORY\",\"conversation_id\":5}"));
        ByteBuf again = ch.readOutbound();
        assertTrue(
                ServerFrameEncoder.payloadOf(again)
                        .toString(StandardCharsets.UTF_8)
                        .startsWith("{\"type\":\"HISTORY\""),
                "answered, the connection may ask again");
        again.release();
    }

    @Test
    void historyOfAConversationTheUserIsNotInIsNotAMember() {
        membership.replace(CONVERSATION, new long[] {2});
        ch.writeInbound(text("{\"type\":\"HISTORY\",\"conversation_id\":5}"));
        assertEquals(CONVERSATION, readError(ch, "not_a_member").get("conversation_id"));
    }

    @Test
    void unknownConversationGetsNotAMemberOutsideDevMode() {
        ch.writeInbound(text("{\"type\":\"TEXT\",\"conversation_id\":6,\"message\":\"hi\"}"));
        assertEquals(6L, readError(ch, "not_a_member").get("conversation_id"));
    }

    @Test
    void fragmentedTextIsReassembledBeforeDecoding() {
        membership.replace(CONVERSATION, new long[] {ann.id()});

        ch.writeInbound(new TextWebSocketFrame(false, 0, "{\"type\":\"TEXT\","));
        assertNull(ch.readOutbound(), "nothing happens before the final fragment");
        ch.writeInbound(new ContinuationWebSocketFrame(false, 0, "\"conversation_id\":5,"));
        ch.writeInbound(new ContinuationWebSocketFrame(true, 0, "\"message\":\"h\u00e9llo\"}"));

        Map<String, Object> event = readJsonFrame(ch);
        assertEquals("h\u00e9llo", event.get("message"));
        assertNull(ch.readOutbound());
    }

    @Test
    void multiByteCharacterSplitAcrossFragmentsIsReassembled() {
        membership.replace(CONVERSATION, new long[] {ann.id()});
        String json = "{\"type\":\"TEXT\",\"conversation_id\":5,\"message\":\"\u20ac\"}";
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        int cut = json.indexOf('\u20ac') + 1; // ASCII before it, so a byte index: after the first of its 3 bytes
        ch.writeInbound(new TextWebSocketFrame(false, 0, Unpooled.copiedBuffer(bytes, 0, cut)));
        ch.writeInbound(new ContinuationWebSocketFrame(true, 0, Unpooled.copiedBuffer(bytes, cut, bytes.length - cut)));

        assertEquals("\u20ac", readJsonFrame(ch).get("message"));
    }

    // ---- control frames -----------------------------------------------------------------------------------

    @Test
    void pingIsAnsweredWithPongCarryingTheSamePayload() {
        ch.writeInbound(new PingWebSocketFrame(Unpooled.copiedBuffer("are you there", StandardCharsets.UTF_8)));

        Object o = ch.readOutbound();
        assertInstanceOf(PongWebSocketFrame.class, o);
        PongWebSocketFrame pong = (PongWebSocketFrame) o;
        try {
            assertEquals("are you there", pong.content().toString(StandardCharsets.UTF_8));
        } finally {
            pong.release();
        }
        assertTrue(ch.isActive());
    }

    @Test
    void pongIsSwallowed() {
        ch.writeInbound(new PongWebSocketFrame(Unpooled.copiedBuffer("x", StandardCharsets.UTF_8)));
        assertNull(ch.readOutbound());
        assertNull(ch.readInbound());
        assertTrue(ch.isActive());
    }

    @Test
    void closeFrameIsEchoedWithItsCodeAndTheConnectionClosed() {
        ch.writeInbound(new CloseWebSocketFrame(1000, "bye"));

        assertFailedWith(ch, 1000);
        assertTrue(session.isClosing());
        assertEquals(0, groups.connectionCount(), "closing leaves the user group");
        assertEquals(0, groups.sessionsOf(ann.id()).length);
    }

    @Test
    void closeFrameWithAnApplicationCodeIsEchoedWithThatCode() {
        ch.writeInbound(new CloseWebSocketFrame(4001, "client says"));
        assertFailedWith(ch, 4001);
    }

    @Test
    void closeFrameWithoutACodeIsEchoedWithoutOne() {
        ch.writeInbound(new CloseWebSocketFrame());

        CloseWebSocketFrame close = readClose(ch);
        try {
            assertEquals(-1, close.statusCode());
            assertEquals(0, close.content().readableBytes(), "an empty close body");
        } finally {
            close.release();
        }
        assertFalse(ch.isOpen());
    }

    @Test
    void nothingIsProcessedOnceClosing() {
        session.markClosing();

        ch.writeInbound(text("{bad json"));
        ch.writeInbound(new PingWebSocketFrame(Unpooled.copiedBuffer("x", StandardCharsets.UTF_8)));

        assertNull(ch.readOutbound(), "after a close frame nothing more is processed");
        ch.close();
    }

    // ---- protocol violations close with the RFC code -----------------------------------------------------

    @Test
    void fragmentedMessageOverTheMaximumClosesWith1009() {
        ch.writeInbound(new TextWebSocketFrame(false, 0, "x".repeat(MAX_FRAME_BYTES - 10)));
        assertNull(ch.readOutbound());
        ch.writeInbound(new ContinuationWebSocketFrame(false, 0, "y".repeat(20)));

        assertFailedWith(ch, 1009);
        assertTrue(session.isClosing());
    }

    @Test
    void fragmentedMessageExactlyAtTheMaximumIsAccepted() {
        ch.writeInbound(new TextWebSocketFrame(false, 0, "x".repeat(MAX_FRAME_BYTES - 10)));
        ch.writeInbound(new ContinuationWebSocketFrame(true, 0, "y".repeat(10)));

        readError(ch, "bad_json"); // reassembled (it is not JSON), not refused for its size
        assertTrue(ch.isActive());
    }

    @Test
    void invalidUtf8ClosesWith1007() {
        ch.writeInbound(new TextWebSocketFrame(Unpooled.wrappedBuffer(new byte[] {'"', (byte) 0xC3, 0x28, '"'})));

        assertFailedWith(ch, 1007);
    }

    @Test
    void invalidUtf8InALaterFragmentClosesWith1007() {
        ch.writeInbound(
                new TextWebSocketFrame(false, 0, Unpooled.wrappedBuffer(new byte[] {'"', (byte) 0xE2, (byte) 0x82})));
        ch.writeInbound(new ContinuationWebSocketFrame(true, 0, Unpooled.wrappedBuffer(new byte[] {'x', '"'})));

        assertFailedWith(ch, 1007);
    }

    @Test
    void unexpectedErrorClosesWith1011() {
        ch.pipeline().fireExceptionCaught(new IllegalStateException("test: unexpected"));
        assertClosedWith(ch, 1011);
    }

    @Test
    void ioErrorClosesWithoutACloseFrame() {
        ch.pipeline().fireExceptionCaught(new ClosedChannelException());
        assertNull(ch.readOutbound());
        assertFalse(ch.isOpen());
    }

    @Test
    void userGroupIsJoinedOnStartAndLeftOnClose() {
        assertEquals(1, groups.connectionCount());
        assertEquals(session, groups.sessionsOf(ann.id())[0]);
        ch.close();
        assertEquals(0, groups.connectionCount());
    }
}
