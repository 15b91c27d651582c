package dev.inbox.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.netty.buffer.AbstractByteBufAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every frame is checked as a WebSocket frame (RFC 6455 §5.2) by a header parser written here, independently of
 * {@link ServerFrameEncoder#payloadOf}, and its payload is checked as exact JSON and with a plain jackson-core parser.
 */
class ServerFrameEncoderTest {
    private static final long AT = 1_736_937_000_000L; // 2025-01-15T10:30:00.000Z
    private static final String EMOJI = "\uD83D\uDE00";
    /** Message ids always have 16 digits (see {@link Ids#MIN_MESSAGE_ID}). */
    private static final long MID = 1_000_000_000_000_789L;

    private static final List<String> EVENT_FIELDS = List.of(
            "type",
            "message",
            "conversation_id",
            "sender_id",
            "sender_name",
            "sender_avatar",
            "created_at",
            "message_id");

    private final ServerFrameEncoder encoder = new ServerFrameEncoder();

    enum Allocator {
        POOLED(PooledByteBufAllocator.DEFAULT),
        UNPOOLED_HEAP(new UnpooledByteBufAllocator(false)),
        UNPOOLED_DIRECT(new UnpooledByteBufAllocator(true)),
        DEFAULT(ByteBufAllocator.DEFAULT);

        final ByteBufAllocator alloc;

        Allocator(ByteBufAllocator alloc) {
            this.alloc = alloc;
        }
    }

    // ---------------------------------------------------------------- events

    @ParameterizedTest
    @EnumSource(Allocator.class)
    void eventIsTheSeedJsonWithTheSeedFieldNamesInOrder(Allocator allocator) {
        ServerEvent event = new ServerEvent(
                "TEXT",
                "Hello from server",
                123,
                456,
                "John Doe",
                "https://cdn.example/u/456.png",
                AT,
                1_000_000_000_000_789L);
        assertEquals(
                "{\"type\":\"TEXT\",\"message\":\"Hello from server\",\"conversation_id\":123,\"sender_id\":456,"
                        + "\"sender_name\":\"John Doe\",\"sender_avatar\":\"https://cdn.example/u/456.png\","
                        + "\"created_at\":\"2025-01-15T10:30:00.000Z\",\"message_id\":1000000000000789}",
                payloadText(encoder.encodeEvent(allocator.alloc, event, null)));
    }

    @Test
    void eventParsesBackToItsFieldsInSeedOrder() {
        ServerEvent event = new ServerEvent("TEXT", "Hello", 123, 456, "Ann", "https://a/b.png", AT, MID);
        Map<String, Object> fields = parse(encoder.encodeEvent(PooledByteBufAllocator.DEFAULT, event, null));
        assertEquals(EVENT_FIELDS, new ArrayList<>(fields.keySet()));
        assertEquals("TEXT", fields.get("type"));
        assertEquals("Hello", fields.get("message"));
        assertEquals(123L, fields.get("conversation_id"));
        assertEquals(456L, fields.get("sender_id"));
        assertEquals("Ann", fields.get("sender_name"));
        assertEquals("https://a/b.png", fields.get("sender_avatar"));
        assertEquals("2025-01-15T10:30:00.000Z", fields.get("created_at"));
        assertEquals(MID, fields.get("message_id"));
    }

    @Test
    void acknowledgementAddsClientMsgIdAfterMessageId() {
        ServerEvent event = new ServerEvent("TEXT", "Hello", 123, 456, "Ann", "https://a/b.png", AT, MID);
        ByteBuf frame = encoder.encodeEvent(PooledByteBufAllocator.DEFAULT, event, "c-1");
        assertEquals(
                "{\"type\":\"TEXT\",\"message\":\"Hello\",\"conversation_id\":123,\"sender_id\":456,"
                        + "\"sender_name\":\"Ann\",\"sender_avatar\":\"https://a/b.png\","
                        + "\"created_at\":\"2025-01-15T10:30:00.000Z\",\"message_id\":1000000000000789,\"client_msg_id\":\"c-1\"}",
                payloadText(frame));
        List<String> ackFields = new ArrayList<>(EVENT_FIELDS);
        ackFields.add("client_msg_id");
        assertEquals(
                ackFields,
                new ArrayList<>(parse(encoder.encodeEvent(PooledByteBufAllocator.DEFAULT, event, "c-1"))
                        .keySet()));
    }

    @Test
    void eventWithoutClientMsgIdHasNoClientMsgIdField() {
        ServerEvent event = new ServerEvent("TEXT", "Hello", 1, 2, null, null, AT, MID);
        assertTrue(!payloadText(encoder.encodeEvent(PooledByteBufAllocator.DEFAULT, event, null))
                .contains("client_msg_id"));
    }

    @Test
    void senderNameAndAvatarAreOmittedWhenNull() {
        assertEquals(
                "{\"type\":\"TEXT\",\"message\":\"x\",\"conversation_id\":1,\"sender_id\":2,"
                        + "\"created_at\":\"2025-01-15T10:30:00.000Z\",\"message_id\":1000000000000789}",
                payloadText(encoder.encodeEvent(
                        PooledByteBufAllocator.DEFAULT,
                        new ServerEvent("TEXT", "x", 1, 2, null, null, AT, MID),
                        null)));
        assertEquals(
                "{\"type\":\"TEXT\",\"message\":\"x\",\"conversation_id\":1,\"sender_id\":2,\"sender_name\":\"N\","
                        + "\"created_at\":\"2025-01-15T10:30:00.000Z\",\"message_id\":1000000000000789}",
                payloadText(encoder.encodeEvent(
                        PooledByteBufAllocator.DEFAULT, new ServerEvent("TEXT", "x", 1, 2, "N", null, AT, MID), null)));
        assertEquals(
                "{\"type\":\"TEXT\",\"message\":\"x\",\"conversation_id\":1,\"sender_id\":2,\"sender_avatar\":\"A\","
                        + "\"created_at\":\"2025-01-15T10:30:00.000Z\",\"message_id\":1000000000000789,\"client_msg_id\":\"c\"}",
                payloadText(encoder.encodeEvent(
                        PooledByteBufAllocator.DEFAULT, new ServerEvent("TEXT", "x", 1, 2, null, "A", AT, MID), "c")));
    }

    @Test
    void emptyStringsAreWrittenNotOmitted() {
        assertEquals(
                "{\"type\":\"TEXT\",\"message\":\"\",\"conversation_id\":1,\"sender_id\":2,\"sender_name\":\"\","
                        + "\"sender_avatar\":\"\",\"created_at\":\"2025-01-15T10:30:00.000Z\",\"message_id\":1000000000000789,"
                        + "\"client_msg_id\":\"\"}",
                payloadText(encoder.encodeEvent(
                        PooledByteBufAllocator.DEFAULT, new ServerEvent("TEXT", "", 1, 2, "", "", AT, MID), "")));
    }

    @Test
    void quotesBackslashesAndControlCharactersAreEscaped() {
        String text = "say \"hi\"\nback\\slash\ttab\rcr\u0001\u001f/";
        String json = payloadText(encoder.encodeEvent(
                PooledByteBufAllocator.DEFAULT,
                new ServerEvent("TEXT", text, 1, 2, "a \"b\"", "x\ny", AT, MID),
                "q\"\\"));
        assertTrue(json.contains("\"message\":\"say \\\"hi\\\"\\nback\\\\slash\\ttab\\rcr\\u0001\\u001F/\""), json);
        assertTrue(json.contains("\"sender_name\":\"a \\\"b\\\"\""), json);
        assertTrue(json.contains("\"sender_avatar\":\"x\\ny\""), json);
        assertTrue(json.contains("\"client_msg_id\":\"q\\\"\\\\\""), json);
    }

    @Test
    void escapedAndUnicodeTextParsesBackUnchanged() {
        String text = "say \"hi\"\n\\ \u00e9 \u4e16\u754c " + EMOJI
                + " \u05e9\u05dc\u05d5\u05dd \u0000 \u2028 \uFFFF </script>";
        Map<String, Object> fields = parse(encoder.encodeEvent(
                PooledByteBufAllocator.DEFAULT,
                new ServerEvent("TEXT", text, 1, 2, "J\u00f6rg " + EMOJI, "https://x/\u00e9.png", AT, MID),
                "id-" + EMOJI));
        assertEquals(text, fields.get("message"));
        assertEquals("J\u00f6rg " + EMOJI, fields.get("sender_name"));
        assertEquals("https://x/\u00e9.png", fields.get("sender_avatar"));
        assertEquals("id-" + EMOJI, fields.get("client_msg_id"));
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 1L << 31, 1L << 32, Ids.MAX_SAFE})
    void conversationAndSenderIdsAreWrittenAsExactIntegers(long id) {
        Map<String, Object> fields = parse(encoder.encodeEvent(
                PooledByteBufAllocator.DEFAULT, new ServerEvent("TEXT", "m", id, id, null, null, AT, MID), null));
        assertEquals(id, fields.get("conversation_id"));
        assertEquals(id, fields.get("sender_id"));
    }

    @ParameterizedTest
    @ValueSource(longs = {Ids.MIN_MESSAGE_ID, MID, 4_503_599_627_370_496L, Ids.MAX_SAFE})
    void messageIdIsWrittenAsAnExactSixteenDigitInteger(long messageId) {
        String json = payloadText(encoder.encodeEvent(
                PooledByteBufAllocator.DEFAULT, new ServerEvent("TEXT", "m", 1, 2, null, null, AT, messageId), null));
        assertTrue(json.endsWith(",\"message_id\":" + messageId + "}"), json);
        assertEquals(Ids.MESSAGE_ID_DIGITS, Long.toString(messageId).length());
    }

    @ParameterizedTest
    @ValueSource(longs = {0, 1, 3, -1, Ids.MIN_MESSAGE_ID - 1, Ids.MAX_SAFE + 1, Long.MAX_VALUE})
    void messageIdThatIsNotSixteenDigitsBelowTwoToThe53IsRefusedBeforeAnythingIsAllocated(long messageId) {
        CappedAllocator alloc = new CappedAllocator();
        ServerEvent event = new ServerEvent("TEXT", "m", 1, 2, null, null, AT, messageId);
        assertThrows(IllegalArgumentException.class, () -> encoder.encodeEvent(alloc, event, null));
        assertThrows(IllegalArgumentException.class, () -> encoder.encodeEvent(alloc, event, "c"));
        assertThrows(IllegalArgumentException.class, () -> encoder.encodePrepared(alloc, event));
        assertNull(alloc.last, "nothing allocated, nothing to leak");
    }

    @Test
    void createdAtIsRfc3339UtcWithMilliseconds() {
        long[] millis = {AT, 0, -1, 951_782_400_000L, 1_709_251_199_999L, 253_402_300_799_999L, AT + 7};
        String[] expected = {
            "2025-01-15T10:30:00.000Z",
            "1970-01-01T00:00:00.000Z",
            "1969-12-31T23:59:59.999Z",
            "2000-02-29T00:00:00.000Z",
            "2024-02-29T23:59:59.999Z",
            "9999-12-31T23:59:59.999Z",
            "2025-01-15T10:30:00.007Z"
        };
        for (int i = 0; i < millis.length; i++) {
            Map<String, Object> fields = parse(encoder.encodeEvent(
                    PooledByteBufAllocator.DEFAULT,
                    new ServerEvent("TEXT", "m", 1, 2, null, null, millis[i], MID),
                    null));
            assertEquals(expected[i], fields.get("created_at"), "epoch millis " + millis[i]);
        }
    }

    // ---------------------------------------------------------------- framing

    @Test
    void frameIsFinalUnmaskedTextFrame() {
        ByteBuf frame = encoder.encodeEvent(
                PooledByteBufAllocator.DEFAULT, new ServerEvent("TEXT", "m", 1, 2, null, null, AT, MID), null);
        try {
            assertEquals(0x81, frame.getUnsignedByte(frame.readerIndex()), "FIN, no RSV bits, opcode 1 (text)");
            assertEquals(0, frame.getUnsignedByte(frame.readerIndex() + 1) & 0x80, "server frames are unmasked");
        } finally {
            frame.release();
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {200, 65_535, 65_536, 65_537, 1_000_000})
    void eventPayloadLengthUsesTheShortestHeaderForm(int payloadLength) {
        int overhead = payloadBytes(eventFrame("")).length;
        assertTrue(overhead >= 126, "a 16-digit message id makes every event longer than a 7-bit length: " + overhead);
        String message = "m".repeat(payloadLength - overhead);
        ByteBuf frame = eventFrame(message);
        try {
            assertHeader(frame, payloadLength);
        } finally {
            frame.release();
        }
        assertEquals(message, parse(eventFrame(message)).get("message"));
    }

    @ParameterizedTest
    @ValueSource(ints = {60, 124, 125, 126, 127, 65_535, 65_536, 65_537})
    void errorPayloadLengthUsesTheShortestHeaderForm(int payloadLength) {
        int overhead = payloadBytes(encoder.encodeError(
                        PooledByteBufAllocator.DEFAULT,
                        ErrorCode.BAD_JSON,
                        "",
                        ProtocolException.NO_CONVERSATION,
                        null))
                .length;
        ByteBuf frame = encoder.encodeError(
                PooledByteBufAllocator.DEFAULT,
                ErrorCode.BAD_JSON,
                "e".repeat(payloadLength - overhead),
                ProtocolException.NO_CONVERSATION,
                null);
        try {
            assertHeader(frame, payloadLength);
        } finally {
            frame.release();
        }
    }

    @Test
    void lengthIsCountedInUtf8BytesNotCharacters() {
        int overhead = payloadBytes(encoder.encodeError(
                        PooledByteBufAllocator.DEFAULT,
                        ErrorCode.BAD_JSON,
                        "",
                        ProtocolException.NO_CONVERSATION,
                        null))
                .length;
        // 2-byte characters: fewer than 126 characters of payload, but more than 126 bytes.
        String message = "\u00e9".repeat((126 - overhead) / 2 + 10);
        assertTrue(overhead + message.length() < 126);
        ByteBuf frame = encoder.encodeError(
                PooledByteBufAllocator.DEFAULT, ErrorCode.BAD_JSON, message, ProtocolException.NO_CONVERSATION, null);
        try {
            assertHeader(frame, overhead + 2L * message.length());
        } finally {
            frame.release();
        }
        // 4-byte emoji: 20,000 characters, 80,000 bytes, so the 64-bit form.
        String emoji = EMOJI.repeat(10_000);
        ByteBuf big = eventFrame(emoji);
        try {
            assertHeader(big, payloadBytes(eventFrame("")).length + 4L * 10_000);
        } finally {
            big.release();
        }
    }

    @Test
    void charactersBeyondTheBmpAreWrittenAsFourByteUtf8NotEscapedSurrogates() {
        String json = payloadText(eventFrame("a" + EMOJI + "b"));
        assertTrue(json.contains("\"message\":\"a" + EMOJI + "b\""), json);
        assertTrue(!json.contains("\\u"), json);
    }

    /** Jackson writes long strings in segments; a surrogate pair straddling a segment edge must survive. */
    @Test
    void emojiAtEveryPositionOfALongMessageSurvives() {
        for (int prefix = 0; prefix < 40; prefix++) {
            for (int base : new int[] {990, 1990, 7990}) {
                String message = "a".repeat(base + prefix) + EMOJI + "b" + EMOJI.repeat(3);
                String json = payloadText(eventFrame(message));
                assertEquals(
                        message,
                        parseJson(json.getBytes(StandardCharsets.UTF_8)).get("message"),
                        "emoji after " + (base + prefix) + " characters");
                assertTrue(!json.contains("\\u"), "no escaped surrogates after " + (base + prefix) + " characters");
            }
        }
        String allEmoji = EMOJI.repeat(5_000);
        assertEquals(allEmoji, parse(eventFrame(allEmoji)).get("message"));
        String offByOne = "a" + EMOJI.repeat(5_000);
        assertEquals(offByOne, parse(eventFrame(offByOne)).get("message"));
    }

    /** The decoder accepts lone surrogates from JSON escapes; echoing them must not break the encoder. */
    @Test
    void loneSurrogatesAreWrittenAsValidJson() {
        for (String message : new String[] {"x\uD83D", "x\uD83DA", "x\uDE00A", "\uDE00\uD83D", "\uD83D\uD83D"}) {
            String json = payloadText(eventFrame(message));
            assertEquals(
                    message, parseJson(json.getBytes(StandardCharsets.UTF_8)).get("message"), json);
        }
    }

    // ---------------------------------------------------------------- prepared frames

    @Test
    void preparedFrameWithItsIdWrittenIsByteForByteTheEncodedEvent() {
        String[] messages = {"m", "q\"uote\n" + EMOJI, "x".repeat(300), "y".repeat(70_000)};
        long[] ids = {Ids.MIN_MESSAGE_ID, MID, 9_007_199_254_740_990L, Ids.MAX_SAFE};
        for (String message : messages) {
            for (long id : ids) {
                ServerEvent placeholder = new ServerEvent("TEXT", message, 12, 34, "N", "A", AT, Ids.MIN_MESSAGE_ID);
                ServerFrameEncoder.PreparedFrame prepared =
                        encoder.encodePrepared(PooledByteBufAllocator.DEFAULT, placeholder);
                ByteBuf expected = encoder.encodeEvent(
                        PooledByteBufAllocator.DEFAULT,
                        new ServerEvent("TEXT", message, 12, 34, "N", "A", AT, id),
                        null);
                try {
                    ServerFrameEncoder.writeMessageId(prepared.frame(), prepared.messageIdAt(), id);
                    assertEquals(expected, prepared.frame(), "message of " + message.length() + ", id " + id);
                    assertHeader(prepared.frame(), -1);
                } finally {
                    expected.release();
                    prepared.frame().release();
                }
            }
        }
    }

    @Test
    void preparedFrameMessageIdAtPointsAtTheSixteenDigitsAfterTheMessageIdField() {
        ServerFrameEncoder.PreparedFrame prepared = encoder.encodePrepared(
                PooledByteBufAllocator.DEFAULT, new ServerEvent("TEXT", "m", 1, 2, null, null, AT, MID));
        ByteBuf frame = prepared.frame();
        try {
            int at = prepared.messageIdAt();
            String field = "\"message_id\":";
            assertEquals(field, frame.toString(at - field.length(), field.length(), StandardCharsets.US_ASCII));
            assertEquals(Long.toString(MID), frame.toString(at, Ids.MESSAGE_ID_DIGITS, StandardCharsets.US_ASCII));
            assertEquals(frame.writerIndex() - 1, at + Ids.MESSAGE_ID_DIGITS);
            assertEquals('}', frame.getByte(at + Ids.MESSAGE_ID_DIGITS));
        } finally {
            frame.release();
        }
    }

    @Test
    void preparedFrameIdCanBeRewrittenAndStaysValidJson() {
        ServerFrameEncoder.PreparedFrame prepared = encoder.encodePrepared(
                PooledByteBufAllocator.DEFAULT, new ServerEvent("TEXT", "m", 1, 2, null, null, AT, Ids.MAX_SAFE));
        ServerFrameEncoder.writeMessageId(prepared.frame(), prepared.messageIdAt(), Ids.MIN_MESSAGE_ID);
        ServerFrameEncoder.writeMessageId(prepared.frame(), prepared.messageIdAt(), MID);
        assertEquals(MID, parse(prepared.frame()).get("message_id"));
    }

    @ParameterizedTest
    @ValueSource(longs = {0, 1, -1, Ids.MIN_MESSAGE_ID - 1, Ids.MAX_SAFE + 1, Long.MAX_VALUE, Long.MIN_VALUE})
    void writingAnIdThatIsNotSixteenDigitsIsRefusedAndLeavesTheFrameAlone(long messageId) {
        ServerFrameEncoder.PreparedFrame prepared = encoder.encodePrepared(
                PooledByteBufAllocator.DEFAULT, new ServerEvent("TEXT", "m", 1, 2, null, null, AT, MID));
        ByteBuf frame = prepared.frame();
        try {
            byte[] before = ByteBufUtil.getBytes(frame);
            assertThrows(
                    IllegalArgumentException.class,
                    () -> ServerFrameEncoder.writeMessageId(frame, prepared.messageIdAt(), messageId));
            assertArrayEquals(before, ByteBufUtil.getBytes(frame));
        } finally {
            frame.release();
        }
    }

    @Test
    void payloadOfIsThePayloadAfterAnyHeaderFormSharingTheFramesBytes() {
        for (int length : new int[] {10, 200, 70_000}) {
            ByteBuf frame = eventFrame("p".repeat(length));
            try {
                int header = assertHeader(frame, -1);
                ByteBuf payload = ServerFrameEncoder.payloadOf(frame);
                assertEquals(frame.readableBytes() - header, payload.readableBytes());
                assertEquals(frame.slice(frame.readerIndex() + header, payload.readableBytes()), payload);
                assertEquals('{', payload.getByte(payload.readerIndex()));
                assertEquals('}', payload.getByte(payload.writerIndex() - 1));
                assertEquals(1, frame.refCnt(), "payloadOf neither retains nor releases");
                frame.setByte(frame.readerIndex() + header + 1, 'X');
                assertEquals('X', payload.getByte(payload.readerIndex() + 1), "a slice, not a copy");
            } finally {
                frame.release();
            }
        }
    }

    @Test
    void oneEncodedFrameServesManyRecipientsThroughRetainedDuplicates() {
        ByteBuf frame = encoder.encodeEvent(
                PooledByteBufAllocator.DEFAULT, new ServerEvent("TEXT", "fan-out", 7, 8, "S", null, AT, MID), null);
        byte[] original = ByteBufUtil.getBytes(frame);
        List<ByteBuf> copies = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            copies.add(frame.retainedDuplicate());
        }
        frame.release();
        for (ByteBuf copy : copies) {
            assertArrayEquals(original, ByteBufUtil.getBytes(copy));
            assertEquals(
                    "fan-out",
                    parseJson(ByteBufUtil.getBytes(ServerFrameEncoder.payloadOf(copy)))
                            .get("message"));
            copy.release();
        }
        assertEquals(0, frame.refCnt());
    }

    @Test
    void bufferIsReleasedWhenWritingFails() {
        CappedAllocator capped = new CappedAllocator();
        // The encoder sizes its buffer by the message's length in characters; two-byte characters overflow a buffer
        // that cannot grow, so writing fails mid-frame.
        ServerEvent event = new ServerEvent("TEXT", "\u00e9".repeat(20_000), 1, 2, null, null, AT, MID);
        assertThrows(RuntimeException.class, () -> encoder.encodeEvent(capped, event, null));
        assertNotNull(capped.last);
        assertEquals(0, capped.last.refCnt(), "the encoder released its frame");

        assertThrows(
                RuntimeException.class,
                () -> encoder.encodeError(
                        capped, ErrorCode.BAD_JSON, "\u00e9".repeat(20_000), ProtocolException.NO_CONVERSATION, null));
        assertEquals(0, capped.last.refCnt(), "the encoder released its frame");
    }

    // ---------------------------------------------------------------- errors

    @Test
    void errorCarriesCodeMessageConversationAndClientMsgId() {
        assertEquals(
                "{\"type\":\"ERROR\",\"code\":\"not_a_member\",\"message\":\"not a member\",\"conversation_id\":9,"
                        + "\"client_msg_id\":\"c-1\"}",
                payloadText(encoder.encodeError(
                        PooledByteBufAllocator.DEFAULT, ErrorCode.NOT_A_MEMBER, "not a member", 9, "c-1")));
    }

    @Test
    void errorWithoutIdsHasOnlyTypeCodeAndMessage() {
        assertEquals(
                "{\"type\":\"ERROR\",\"code\":\"bad_json\",\"message\":\"malformed\"}",
                payloadText(encoder.encodeError(
                        PooledByteBufAllocator.DEFAULT,
                        ErrorCode.BAD_JSON,
                        "malformed",
                        ProtocolException.NO_CONVERSATION,
                        null)));
    }

    @Test
    void errorWithOnlyAClientMsgIdOmitsTheConversation() {
        assertEquals(
                "{\"type\":\"ERROR\",\"code\":\"wrong_type\",\"message\":\"m\",\"client_msg_id\":\"c\"}",
                payloadText(encoder.encodeError(
                        PooledByteBufAllocator.DEFAULT,
                        ErrorCode.WRONG_TYPE,
                        "m",
                        ProtocolException.NO_CONVERSATION,
                        "c")));
    }

    @Test
    void errorWithOnlyAConversationOmitsTheClientMsgId() {
        assertEquals(
                "{\"type\":\"ERROR\",\"code\":\"message_too_long\",\"message\":\"m\",\"conversation_id\":5}",
                payloadText(
                        encoder.encodeError(PooledByteBufAllocator.DEFAULT, ErrorCode.MESSAGE_TOO_LONG, "m", 5, null)));
    }

    @ParameterizedTest
    @ValueSource(longs = {0, -1, Long.MIN_VALUE, Ids.MAX_SAFE + 1, Long.MAX_VALUE})
    void errorOmitsAConversationIdOutsideTheValidRange(long conversationId) {
        assertEquals(
                "{\"type\":\"ERROR\",\"code\":\"bad_frame\",\"message\":\"m\"}",
                payloadText(encoder.encodeError(
                        PooledByteBufAllocator.DEFAULT, ErrorCode.BAD_FRAME, "m", conversationId, null)));
    }

    @Test
    void errorKeepsTheLargestValidConversationId() {
        assertEquals(
                Ids.MAX_SAFE,
                parse(encoder.encodeError(PooledByteBufAllocator.DEFAULT, ErrorCode.BAD_FRAME, "m", Ids.MAX_SAFE, null))
                        .get("conversation_id"));
    }

    @Test
    void errorTextAndClientMsgIdAreEscaped() {
        Map<String, Object> fields = parse(encoder.encodeError(
                PooledByteBufAllocator.DEFAULT, ErrorCode.BAD_JSON, "field 'x' \"y\"\n" + EMOJI, 3, "a\"b"));
        assertEquals("field 'x' \"y\"\n" + EMOJI, fields.get("message"));
        assertEquals("a\"b", fields.get("client_msg_id"));
        assertEquals(
                List.of("type", "code", "message", "conversation_id", "client_msg_id"),
                new ArrayList<>(fields.keySet()));
    }

    @ParameterizedTest
    @EnumSource(ErrorCode.class)
    void everyErrorCodeIsWrittenAsItsWireName(ErrorCode code) {
        Map<String, Object> fields = parse(encoder.encodeError(PooledByteBufAllocator.DEFAULT, code, "m", 1, null));
        assertEquals("ERROR", fields.get("type"));
        assertEquals(code.wireName(), fields.get("code"));
    }

    @Test
    void errorCodeWireNamesAreTheStableDocumentedStrings() {
        List<String> names = new ArrayList<>();
        for (ErrorCode code : ErrorCode.values()) {
            names.add(code.wireName());
        }
        assertEquals(
                List.of(
                        "bad_json",
                        "bad_frame",
                        "missing_field",
                        "wrong_type",
                        "message_too_long",
                        "unknown_type",
                        "not_a_member",
                        "binary_not_supported",
                        "rate_limited",
                        "relay_unavailable",
                        "outcome_unknown",
                        "overloaded",
                        "outbox_full",
                        "rejected",
                        "backend_unavailable",
                        "server_error",
                        "history_busy",
                        "bad_resume",
                        "resume_busy",
                        "presence_forbidden",
                        "presence_limit",
                        "bad_read_position"),
                names);
    }

    @Test
    void presenceIsOneSmallFrame() {
        assertEquals(
                "{\"type\":\"PRESENCE\",\"user_id\":51,\"status\":\"online\"}",
                payloadText(encoder.encodePresence(PooledByteBufAllocator.DEFAULT, 51, true)));
        assertEquals(
                "{\"type\":\"PRESENCE\",\"user_id\":9007199254740991,\"status\":\"offline\"}",
                payloadText(encoder.encodePresence(PooledByteBufAllocator.DEFAULT, 9007199254740991L, false)));
    }

    // ---------------------------------------------------------------- helpers

    @Test
    void historyAnswerCarriesTheEventsAsTheyAreOldestFirstAndTheNextPagesBefore() {
        byte[] first = payloadBytes(eventFrame("one"));
        byte[] second = payloadBytes(eventFrame("two \u00e9" + EMOJI));
        String json = payloadText(encoder.encodeHistory(
                PooledByteBufAllocator.DEFAULT, 7, List.of(first, second), true, 1_000_000_000_000_001L));
        assertEquals(
                "{\"type\":\"HISTORY\",\"conversation_id\":7,\"trimmed\":true,\"before\":1000000000000001,"
                        + "\"events\":[" + new String(first, StandardCharsets.UTF_8) + ","
                        + new String(second, StandardCharsets.UTF_8) + "]}",
                json);
    }

    @Test
    void anEmptyHistoryAnswerHasNoBefore() {
        assertEquals(
                "{\"type\":\"HISTORY\",\"conversation_id\":7,\"trimmed\":false,\"events\":[]}",
                payloadText(encoder.encodeHistory(PooledByteBufAllocator.DEFAULT, 7, List.of(), false, 0)));
    }

    @Test
    void aLargeHistoryAnswerGetsTheLongHeaderForm() {
        byte[] big = payloadBytes(eventFrame("x".repeat(4000)));
        List<byte[]> events = new java.util.ArrayList<>();
        for (int i = 0; i < 20; i++) {
            events.add(big);
        }
        ByteBuf frame = encoder.encodeHistory(PooledByteBufAllocator.DEFAULT, 7, events, false, MID);
        try {
            assertEquals(10, assertHeader(frame, -1), "over 64 KiB: the 64-bit length form");
        } finally {
            frame.release();
        }
    }

    private ByteBuf eventFrame(String message) {
        return encoder.encodeEvent(
                PooledByteBufAllocator.DEFAULT, new ServerEvent("TEXT", message, 1, 2, null, null, AT, MID), null);
    }

    /**
     * Checks the frame header per RFC 6455 §5.2 (FIN + text, unmasked, shortest length form, length = what follows)
     * and returns the header length. {@code expectedPayloadLength} -1 skips the length comparison.
     */
    private static int assertHeader(ByteBuf frame, long expectedPayloadLength) {
        int at = frame.readerIndex();
        assertEquals(0x81, frame.getUnsignedByte(at), "FIN, no RSV bits, opcode 1 (text)");
        int len7 = frame.getUnsignedByte(at + 1);
        assertEquals(0, len7 & 0x80, "server frames are unmasked");
        long length;
        int header;
        if (len7 < 126) {
            header = 2;
            length = len7;
        } else if (len7 == 126) {
            header = 4;
            length = frame.getUnsignedShort(at + 2);
            assertTrue(length >= 126, "16-bit form only for lengths the 7-bit form cannot hold: " + length);
        } else {
            header = 10;
            length = frame.getLong(at + 2);
            assertTrue(length > 65_535, "64-bit form only for lengths the 16-bit form cannot hold: " + length);
            assertTrue(length >= 0, "the most significant bit must be 0");
        }
        if (expectedPayloadLength >= 0) {
            assertEquals(expectedPayloadLength, length, "declared payload length");
            int expectedHeader = expectedPayloadLength < 126 ? 2 : expectedPayloadLength <= 65_535 ? 4 : 10;
            assertEquals(expectedHeader, header, "header form for " + expectedPayloadLength + " bytes");
        }
        assertEquals(header + length, frame.readableBytes(), "the frame holds the header and exactly the payload");
        return header;
    }

    /** Checks the header, returns the payload bytes (via {@link ServerFrameEncoder#payloadOf}), releases the frame. */
    private static byte[] payloadBytes(ByteBuf frame) {
        try {
            int header = assertHeader(frame, -1);
            ByteBuf payload = ServerFrameEncoder.payloadOf(frame);
            byte[] bytes = ByteBufUtil.getBytes(payload);
            assertArrayEquals(
                    ByteBufUtil.getBytes(frame, frame.readerIndex() + header, frame.readableBytes() - header),
                    bytes,
                    "payloadOf is what follows the header");
            return bytes;
        } finally {
            frame.release();
        }
    }

    private static String payloadText(ByteBuf frame) {
        byte[] bytes = payloadBytes(frame);
        try {
            return StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes))
                    .toString();
        } catch (CharacterCodingException e) {
            return fail("payload is not valid UTF-8", e);
        }
    }

    private static Map<String, Object> parse(ByteBuf frame) {
        byte[] bytes = payloadBytes(frame);
        payloadText(bytesFrame(bytes)); // strict UTF-8
        return parseJson(bytes);
    }

    /** One flat JSON object of strings and integers, field order kept; fails on anything else. */
    private static Map<String, Object> parseJson(byte[] payload) {
        try (JsonParser p = new JsonFactory().createParser(payload)) {
            assertEquals(JsonToken.START_OBJECT, p.nextToken());
            Map<String, Object> fields = new LinkedHashMap<>();
            for (JsonToken t = p.nextToken(); t != JsonToken.END_OBJECT; t = p.nextToken()) {
                assertEquals(JsonToken.FIELD_NAME, t);
                String name = p.currentName();
                JsonToken value = p.nextToken();
                Object v = switch (value) {
                    case VALUE_STRING -> p.getText();
                    case VALUE_NUMBER_INT -> {
                        assertEquals(
                                JsonParser.NumberType.LONG,
                                p.getNumberType() == JsonParser.NumberType.INT
                                        ? JsonParser.NumberType.LONG
                                        : p.getNumberType());
                        yield p.getLongValue();
                    }
                    default -> fail("field " + name + " is " + value);
                };
                assertNull(fields.put(name, v), "field " + name + " twice");
            }
            assertNull(p.nextToken(), "nothing after the object");
            assertNotEquals(0, fields.size());
            return fields;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Wraps payload bytes in a minimal frame so {@link #payloadText} can check them. */
    private static ByteBuf bytesFrame(byte[] payload) {
        ByteBuf frame = UnpooledByteBufAllocator.DEFAULT.heapBuffer(payload.length + 10);
        frame.writeByte(0x81);
        if (payload.length < 126) {
            frame.writeByte(payload.length);
        } else if (payload.length <= 65_535) {
            frame.writeByte(126).writeShort(payload.length);
        } else {
            frame.writeByte(127).writeLong(payload.length);
        }
        return frame.writeBytes(payload);
    }

    /** Hands out heap buffers that cannot grow past their initial capacity, and remembers the last one. */
    private static final class CappedAllocator extends AbstractByteBufAllocator {
        ByteBuf last;

        CappedAllocator() {
            super(false);
        }

        @Override
        protected ByteBuf newHeapBuffer(int initialCapacity, int maxCapacity) {
            last = Unpooled.buffer(initialCapacity, initialCapacity);
            return last;
        }

        @Override
        protected ByteBuf newDirectBuffer(int initialCapacity, int maxCapacity) {
            last = Unpooled.directBuffer(initialCapacity, initialCapacity);
            return last;
        }

        @Override
        public boolean isDirectBufferPooled() {
            return false;
        }
    }
}
