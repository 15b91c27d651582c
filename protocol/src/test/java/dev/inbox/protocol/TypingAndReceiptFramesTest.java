package dev.inbox.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The decoder's rules for {@code TYPING}, {@code READ}, {@code READS} and {@code UNREAD} (docs/protocol.md, "Typing
 * and read receipts"), each frame decoded from a heap and a direct buffer alike. JSON literals use {@code '} for
 * {@code "}.
 */
class TypingAndReceiptFramesTest {
    private final ClientMessageDecoder decoder = new ClientMessageDecoder(32, 65_536);

    @Test
    void typingNeedsOnlyItsConversation() {
        ClientMessage m = accepted("{'type':'TYPING','conversation_id':7}");
        assertEquals(ClientMessage.event("TYPING", 7, ClientMessage.NO_MESSAGE_ID), m);
        assertTrue(m.isReceiptOrTyping());
        assertFalse(m.isHistoryRequest());
    }

    @Test
    void readCarriesItsMessageId() {
        assertEquals(
                ClientMessage.event("READ", 7, 1_000_000_000_000_123L),
                accepted("{'message_id':1000000000000123,'type':'READ','conversation_id':7}"));
    }

    @Test
    void readsNeedsOnlyItsConversation() {
        assertEquals(
                ClientMessage.event("READS", 9, ClientMessage.NO_MESSAGE_ID),
                accepted("{'type':'READS','conversation_id':9}"));
    }

    @Test
    void unreadNeedsNoConversation() {
        ClientMessage m = accepted("{'type':'UNREAD'}");
        assertEquals(ClientMessage.NO_CONVERSATION, m.conversationId());
        assertTrue(m.isReceiptOrTyping());
    }

    @Test
    void unknownFieldsAndAMessageAreIgnoredOnTheNewTypes() {
        assertEquals(
                ClientMessage.event("TYPING", 3, ClientMessage.NO_MESSAGE_ID),
                accepted("{'type':'TYPING','conversation_id':3,'message':'x','extra':[1,{'a':2}],'limit':-1}"));
    }

    @Test
    void textIgnoresAMessageIdItCarries() {
        ClientMessage m = accepted("{'type':'TEXT','conversation_id':3,'message':'hi','message_id':'not a number'}");
        assertEquals(new ClientMessage("TEXT", 3, "hi", null), m);
        assertFalse(m.isReceiptOrTyping());
    }

    @ParameterizedTest
    @ValueSource(strings = {"TYPING", "READ", "READS"})
    void aMissingConversationIsMissingField(String type) {
        refused(ErrorCode.MISSING_FIELD, "{'type':'" + type + "','message_id':1000000000000001}");
    }

    @ParameterizedTest
    @ValueSource(strings = {"TYPING", "READ", "READS", "UNREAD"})
    void aBadConversationIsWrongType(String type) {
        refused(ErrorCode.WRONG_TYPE, "{'type':'" + type + "','conversation_id':'5','message_id':1000000000000001}");
        refused(ErrorCode.WRONG_TYPE, "{'type':'" + type + "','conversation_id':0,'message_id':1000000000000001}");
        refused(
                ErrorCode.WRONG_TYPE,
                "{'type':'" + type + "','conversation_id':9007199254740992,'message_id':1000000000000001}");
    }

    @Test
    void readWithoutMessageIdIsMissingFieldAndCarriesTheConversation() {
        ProtocolException e = refused(ErrorCode.MISSING_FIELD, "{'type':'READ','conversation_id':4}");
        assertEquals(4, e.conversationId());
        refused(ErrorCode.MISSING_FIELD, "{'type':'READ','conversation_id':4,'message_id':null}");
    }

    @ParameterizedTest
    @ValueSource(
            strings = {"'1'", "0", "-5", "1.5", "9007199254740992", "99999999999999999999999", "true", "[1]", "{}"})
    void readWithABadMessageIdIsWrongType(String value) {
        ProtocolException e =
                refused(ErrorCode.WRONG_TYPE, "{'type':'READ','conversation_id':4,'message_id':" + value + "}");
        assertEquals(4, e.conversationId());
    }

    @Test
    void aMessageIdTwiceIsBadFrame() {
        refused(
                ErrorCode.BAD_FRAME,
                "{'type':'READ','conversation_id':4,'message_id':1000000000000001,'message_id':1000000000000002}");
    }

    @ParameterizedTest
    @ValueSource(strings = {"typing", "Read", "READS ", "UNREADS", "PRESENCE"})
    void lookalikeTypesAreUnknownType(String type) {
        refused(ErrorCode.UNKNOWN_TYPE, "{'type':'" + type + "','conversation_id':4,'message':'m'}");
    }

    @Test
    void unreadWithoutATypeIsMissingFieldAndMalformedIsBadJson() {
        refused(ErrorCode.MISSING_FIELD, "{'conversation_id':4}");
        refused(ErrorCode.BAD_JSON, "{'type':'UNREAD'");
        refused(ErrorCode.BAD_FRAME, "[{'type':'UNREAD'}]");
        refused(ErrorCode.BAD_FRAME, "{'type':'UNREAD'} {}");
        refused(ErrorCode.WRONG_TYPE, "{'type':7}");
    }

    @Test
    void encodedEventsAreTheDocumentedJson() {
        ServerFrameEncoder encoder = new ServerFrameEncoder();
        assertEquals(
                "{'type':'TYPING','conversation_id':5,'sender_id':2,'sender_name':'Ann'}",
                payload(encoder.encodeTyping(PooledByteBufAllocator.DEFAULT, 5, 2, "Ann")));
        assertEquals(
                "{'type':'READ','conversation_id':5,'user_id':2,'message_id':1000000000000009}",
                payload(encoder.encodeRead(PooledByteBufAllocator.DEFAULT, 5, 2, 1_000_000_000_000_009L)));
        assertEquals(
                "{'type':'READS','conversation_id':5,'unread':3,'unread_capped':true,'positions':"
                        + "[{'user_id':1,'message_id':1000000000000001},{'user_id':2,'message_id':1000000000000002}]}",
                payload(encoder.encodeReads(PooledByteBufAllocator.DEFAULT, 5, 3, true, new long[] {1, 2}, new long[] {
                    1_000_000_000_000_001L, 1_000_000_000_000_002L
                })));
        assertEquals(
                "{'type':'UNREAD','conversations':[{'conversation_id':5,'unread':2},"
                        + "{'conversation_id':6,'unread':100,'unread_capped':true}]}",
                payload(encoder.encodeUnread(
                        PooledByteBufAllocator.DEFAULT, new long[] {5, 6}, new long[] {2, 100}, new boolean[] {
                            false, true
                        })));
    }

    private static String payload(ByteBuf frame) {
        try {
            return ServerFrameEncoder.payloadOf(frame)
                    .toString(StandardCharsets.UTF_8)
                    .replace('"', '\'');
        } finally {
            frame.release();
        }
    }

    private ClientMessage accepted(String singleQuoted) {
        byte[] json = singleQuoted.replace('\'', '"').getBytes(StandardCharsets.UTF_8);
        ClientMessage heap = decodeOrFail(Unpooled.wrappedBuffer(json));
        ByteBuf direct = PooledByteBufAllocator.DEFAULT.directBuffer().writeBytes(json);
        try {
            assertEquals(heap, decodeOrFail(direct));
            assertEquals(json.length, direct.readableBytes(), "the frame is not consumed");
        } finally {
            direct.release();
        }
        return heap;
    }

    private ClientMessage decodeOrFail(ByteBuf frame) {
        try {
            return decoder.decode(frame);
        } catch (ProtocolException e) {
            throw new AssertionError("refused: " + e.code() + " " + e.getMessage(), e);
        }
    }

    private ProtocolException refused(ErrorCode code, String singleQuoted) {
        byte[] json = singleQuoted.replace('\'', '"').getBytes(StandardCharsets.UTF_8);
        ProtocolException heap =
                assertThrows(ProtocolException.class, () -> decoder.decode(Unpooled.wrappedBuffer(json)));
        assertEquals(code, heap.code(), heap.getMessage());
        ByteBuf direct = PooledByteBufAllocator.DEFAULT.directBuffer().writeBytes(json);
        try {
            ProtocolException d = assertThrows(ProtocolException.class, () -> decoder.decode(direct));
            assertEquals(code, d.code());
            assertEquals(heap.conversationId(), d.conversationId());
        } finally {
            direct.release();
        }
        return heap;
    }
}
