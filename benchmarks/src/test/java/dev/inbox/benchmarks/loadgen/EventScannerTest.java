package dev.inbox.benchmarks.loadgen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import dev.inbox.protocol.ClientMessage;
import dev.inbox.protocol.ClientMessageDecoder;
import dev.inbox.protocol.ErrorCode;
import dev.inbox.protocol.ServerEvent;
import dev.inbox.protocol.ServerFrameEncoder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameDecoder;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * The scanner against the gateway's own codec: what the load generator sends is decoded by the gateway's
 * {@link ClientMessageDecoder}, echoed by its {@link ServerFrameEncoder}, read back through Netty's client-side frame
 * decoder, and scanned.
 */
class EventScannerTest {
    private static final ByteBufAllocator ALLOC = ByteBufAllocator.DEFAULT;
    private final ServerFrameEncoder encoder = new ServerFrameEncoder();
    private final EventScanner scanner = new EventScanner();
    private static final byte[] TAG = ".7f".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    @Test
    void aSentMessageReadsBackFromTheServersEventForIt() throws Exception {
        ByteBuf sent = MessageText.clientFrame(ALLOC, MessageText.prefix(77), 12, 345, TAG, 6_789_012_345L, 64);
        ClientMessage m;
        try {
            m = new ClientMessageDecoder(4096, 65536).decode(sent);
        } finally {
            sent.release();
        }
        assertEquals("TEXT", m.type());
        assertEquals(77, m.conversationId());
        assertEquals("345.7f", m.clientMsgId(), "the sequence, then the connection's own tag");
        assertEquals(64, m.message().length());

        ServerEvent event = new ServerEvent(
                m.type(), m.message(), m.conversationId(), 9, "u9", null, 1_700_000_000_000L, 1_234_567_890_123_456L);
        for (String clientMsgId : new String[] {null, m.clientMsgId()}) {
            TextWebSocketFrame frame = receive(encoder.encodeEvent(ALLOC, event, clientMsgId));
            try {
                assertEquals(EventScanner.Kind.TEXT, scanner.scan(frame.content()));
            } finally {
                frame.release();
            }
            assertEquals(77, scanner.conversationId);
            assertEquals(12, scanner.slot);
            assertEquals(345, scanner.seq);
            assertEquals(6_789_012_345L, scanner.intended);
            assertEquals(1_234_567_890_123_456L, scanner.messageId, "what the mixed scenario's READ names");
        }
    }

    @Test
    void anErrorGivesItsCodeConversationAndClientMsgId() {
        TextWebSocketFrame frame = receive(encoder.encodeError(
                ALLOC, ErrorCode.RATE_LIMITED, "over \"conversation_id\":1 \"code\":\"x\" limit", 7, "42"));
        try {
            assertEquals(EventScanner.Kind.ERROR, scanner.scan(frame.content()));
        } finally {
            frame.release();
        }
        assertEquals("rate_limited", scanner.errorCode);
        assertEquals(7, scanner.conversationId);
        assertEquals(42, scanner.clientMsgId);
    }

    @Test
    void keysInsideStringValuesAreNotTakenForKeys() {
        // A sender name holding what looks like the fields; the server escapes its quotes.
        ServerEvent event = new ServerEvent(
                "TEXT",
                "3 4 5 pad",
                8,
                1,
                "\"conversation_id\":99,\"message\":\"1 1 1 \"",
                null,
                1_700_000_000_000L,
                1_234_567_890_123_456L);
        TextWebSocketFrame frame = receive(encoder.encodeEvent(ALLOC, event, null));
        try {
            assertEquals(EventScanner.Kind.TEXT, scanner.scan(frame.content()));
        } finally {
            frame.release();
        }
        assertEquals(8, scanner.conversationId);
        assertEquals(3, scanner.slot);
        assertEquals(4, scanner.seq);
        assertEquals(5, scanner.intended);
    }

    @Test
    void fieldsAreFoundInAnyOrder() {
        assertEquals(
                EventScanner.Kind.TEXT,
                scan("{\"conversation_id\":5,\"message\":\"1 2 3 x\",\"type\":\"TEXT\",\"message_id\":1}"));
        assertEquals(5, scanner.conversationId);
        assertEquals(1, scanner.slot);
        assertEquals(2, scanner.seq);
        assertEquals(3, scanner.intended);
    }

    @Test
    void otherTypesAndTextsNotOursAreToldApart() {
        assertEquals(EventScanner.Kind.OTHER, scan("{\"type\":\"PRESENCE\",\"conversation_id\":5}"));
        assertEquals(EventScanner.Kind.OTHER, scan("{\"type\":\"TYPING\",\"conversation_id\":5,\"sender_id\":1}"));
        assertEquals(EventScanner.Kind.OTHER, scan("{\"type\":\"READS\",\"conversation_id\":5,\"unread\":0}"));
        assertEquals(
                EventScanner.Kind.MALFORMED, scan("{\"type\":\"TEXT\",\"message\":\"hello\",\"conversation_id\":5}"));
        assertEquals(EventScanner.Kind.MALFORMED, scan("{\"type\":\"TEXT\",\"message\":\"1 2 3 x\"}"));
        assertEquals(EventScanner.Kind.MALFORMED, scan("not json"));
        assertEquals(
                EventScanner.Kind.MALFORMED, scan("{\"type\":\"TEXT\",\"message\":\"1 99999999999999999999 3 \"}"));
    }

    @Test
    void aReadEventOfTheGatewaysEncoderIsToldApartFromOtherFrames() {
        TextWebSocketFrame frame = receive(encoder.encodeRead(ALLOC, 5, 9, 1_234_567_890_123_456L));
        try {
            assertEquals(EventScanner.Kind.READ, scanner.scan(frame.content()));
        } finally {
            frame.release();
        }
    }

    @Test
    void aFrameLargerThanTheScratchArrayIsRead() {
        String pad = "x".repeat(5000);
        assertEquals(
                EventScanner.Kind.TEXT,
                scan("{\"type\":\"TEXT\",\"message\":\"1 2 3 " + pad + "\",\"conversation_id\":6}"));
        assertEquals(6, scanner.conversationId);
    }

    private EventScanner.Kind scan(String json) {
        ByteBuf b = Unpooled.copiedBuffer(json, StandardCharsets.UTF_8);
        try {
            return scanner.scan(b);
        } finally {
            b.release();
        }
    }

    /** Through Netty's client-side decoder (unmasked server frames), as the load generator's pipeline reads them. */
    private static TextWebSocketFrame receive(ByteBuf wireFrame) {
        EmbeddedChannel ch = new EmbeddedChannel(new WebSocket13FrameDecoder(false, false, 65536));
        ch.writeInbound(wireFrame);
        TextWebSocketFrame frame = ch.readInbound();
        assertNotNull(frame);
        assertFalse(ch.finish());
        return frame;
    }
}
