package dev.inbox.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every frame is decoded from three buffer layouts (a heap slice with a non-zero array offset and reader index, a
 * pooled direct buffer, a two-part composite) and must decode or fail identically from each, without being consumed
 * or released. JSON literals are written with {@code '} for {@code "} (see {@link #j}).
 */
class ClientMessageDecoderTest {
    private static final int MAX_CHARS = 32;
    private static final int MAX_FRAME_BYTES = 65_536;
    private static final String EMOJI = "\uD83D\uDE00"; // U+1F600: one code point, two UTF-16 units, four UTF-8 bytes
    private static final String SEED = j("{'conversation_id':123,'message':'Hello','type':'TEXT'}");

    private final ClientMessageDecoder decoder = new ClientMessageDecoder(MAX_CHARS, MAX_FRAME_BYTES);

    // ---------------------------------------------------------------- valid frames

    @Test
    void seedFrameDecodes() {
        assertEquals(new ClientMessage("TEXT", 123, "Hello", null), accepted(SEED));
    }

    @Test
    void clientMsgIdIsCarried() {
        assertEquals(
                new ClientMessage("TEXT", 123, "Hello", "c-1"),
                accepted(j("{'conversation_id':123,'message':'Hello','type':'TEXT','client_msg_id':'c-1'}")));
    }

    @Test
    void everyFieldOrderDecodesTheSame() {
        List<String> fields =
                List.of(j("'type':'TEXT'"), j("'conversation_id':42"), j("'message':'hi'"), j("'client_msg_id':'m-7'"));
        List<List<String>> orders = permutations(fields);
        assertEquals(24, orders.size());
        for (List<String> order : orders) {
            assertEquals(
                    new ClientMessage("TEXT", 42, "hi", "m-7"),
                    accepted("{" + String.join(",", order) + "}"),
                    order::toString);
        }
    }

    @Test
    void whitespaceAroundEveryTokenIsAllowed() {
        assertEquals(
                new ClientMessage("TEXT", 123, "Hello", "c"),
                accepted(
                        j(
                                " \r\n\t{ 'type' : 'TEXT' ,\n 'conversation_id'\t:\t123 , 'message' : 'Hello' , 'client_msg_id' : 'c' }\n ")));
    }

    @Test
    void unknownFieldsOfEveryJsonTypeAreIgnored() {
        String frame = j("{'n':null,'t':true,'f':false,'i':-17,'big':123456789012345678901234567890,"
                + "'d':-1.5e300,'huge':1e400,'s':'text \\' \\u00e9','empty_a':[],'empty_o':{},"
                + "'type':'TEXT',"
                + "'a':[1,'two',null,true,[3,[4,{'k':[{}]}]],{'x':{'y':'z'}}],"
                + "'o':{'p':{'q':[1,{'r':null}]},'s':'t'},"
                + "'conversation_id':5,"
                + "'sender_id':99,'message_id':1,'created_at':'2025-01-15T10:30:00.000Z',"
                + "'unicode_\u00e9\u4e16':'\u4e16\u754c " + EMOJI + "',"
                + "'message':'ok'}");
        assertEquals(new ClientMessage("TEXT", 5, "ok", null), accepted(frame));
    }

    @Test
    void knownFieldNamesNestedInsideUnknownFieldsAreNotRead() {
        String frame = j("{'meta':{'type':'IMAGE','conversation_id':-1,'message':[1],'client_msg_id':7},"
                + "'list':[{'conversation_id':'x'},{'type':null}],"
                + "'type':'TEXT','conversation_id':8,'message':'m'}");
        assertEquals(new ClientMessage("TEXT", 8, "m", null), accepted(frame));
    }

    @Test
    void anUnknownFieldMayAppearTwice() {
        assertEquals(
                new ClientMessage("TEXT", 1, "m", null),
                accepted(j("{'x':1,'type':'TEXT','x':[2],'conversation_id':1,'x':{},'message':'m'}")));
    }

    @Test
    void nestingUpToTheDepthLimitInAnUnknownFieldIsAccepted() {
        // The frame's object is one level; the unknown field may fill the rest.
        int arrays = ClientMessageDecoder.MAX_NESTING_DEPTH - 1;
        String frame = j("{'x':" + "[".repeat(arrays) + "]".repeat(arrays)
                + ",'type':'TEXT','conversation_id':1,'message':'m'}");
        assertEquals(new ClientMessage("TEXT", 1, "m", null), accepted(frame));
    }

    @Test
    void unicodeAndEmojiMessageIsDecodedFromRawUtf8AndFromEscapes() {
        String text = "h\u00e9llo \u4e16\u754c " + EMOJI + " \u05e9\u05dc\u05d5\u05dd";
        assertEquals(text, accepted(frame("TEXT", "1", "'" + text + "'")).message());
        assertEquals(
                text,
                accepted(frame("TEXT", "1", "'h\\u00e9llo \\u4E16\\u754c \\ud83d\\ude00 \\u05e9\\u05dc\\u05d5\\u05dd'"))
                        .message());
    }

    @Test
    void escapedCharactersInMessageAreDecoded() {
        assertEquals(
                "q\"b\\s/n\nr\rt\tb\bf\fnul\u0000",
                accepted(frame("TEXT", "1", "'q\\'b\\\\s\\/n\\nr\\rt\\tb\\bf\\fnul\\u0000'"))
                        .message());
    }

    @Test
    void emptyMessageIsAString() {
        assertEquals("", accepted(frame("TEXT", "1", "''")).message());
    }

    @Test
    void escapedFieldNameIsTheFieldItSpells() {
        assertEquals(
                new ClientMessage("TEXT", 3, "m", null),
                accepted(j("{'\\u0074ype':'TEXT','conversation\\u005fid':3,'message':'m'}")));
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 123, Integer.MAX_VALUE, 1L << 32, Ids.MAX_SAFE})
    void positiveConversationIdBelowTwoToThe53IsAccepted(long id) {
        assertEquals(id, accepted(frame("TEXT", Long.toString(id), "'m'")).conversationId());
    }

    @Test
    void nullClientMsgIdCountsAsAbsent() {
        assertEquals(
                new ClientMessage("TEXT", 1, "m", null),
                accepted(j("{'type':'TEXT','conversation_id':1,'message':'m','client_msg_id':null}")));
    }

    @Test
    void messageOfExactlyMaxCharactersIsAccepted() {
        String max = "a".repeat(MAX_CHARS);
        assertEquals(max, accepted(frame("TEXT", "1", "'" + max + "'")).message());
    }

    @Test
    void messageOfExactlyMaxEmojiIsAcceptedBecauseLengthIsCountedInCodePoints() {
        String max = EMOJI.repeat(MAX_CHARS);
        assertEquals(2 * MAX_CHARS, max.length());
        assertEquals(max, accepted(frame("TEXT", "1", "'" + max + "'")).message());
        String escaped = "\\ud83d\\ude00".repeat(MAX_CHARS);
        assertEquals(max, accepted(frame("TEXT", "1", "'" + escaped + "'")).message());
    }

    @Test
    void mixedAsciiAndEmojiAtExactlyMaxCodePointsIsAccepted() {
        String max = "a".repeat(MAX_CHARS - 1) + EMOJI;
        assertEquals(max, accepted(frame("TEXT", "1", "'" + max + "'")).message());
    }

    @Test
    void clientMsgIdOf64CharactersIsAccepted() {
        String id = "i".repeat(ClientMessageDecoder.MAX_CLIENT_MSG_ID_CHARS);
        assertEquals(64, id.length());
        assertEquals(
                id,
                accepted(j("{'type':'TEXT','conversation_id':1,'message':'m','client_msg_id':'" + id + "'}"))
                        .clientMsgId());
    }

    @Test
    void clientMsgIdLengthCountsCharactersNotUtf16Units() {
        String emoji = EMOJI.repeat(ClientMessageDecoder.MAX_CLIENT_MSG_ID_CHARS);
        assertEquals(
                emoji,
                accepted(j("{'type':'TEXT','conversation_id':1,'message':'m','client_msg_id':'" + emoji + "'}"))
                        .clientMsgId());
        ProtocolException e = assertThrows(
                ProtocolException.class,
                () -> new ClientMessageDecoder(10, 65_536)
                        .decode(Unpooled.wrappedBuffer(("{\"type\":\"TEXT\",\"conversation_id\":1,\"message\":\"m\","
                                        + "\"client_msg_id\":\"" + emoji + EMOJI + "\"}")
                                .getBytes(StandardCharsets.UTF_8))));
        assertEquals(ErrorCode.BAD_FRAME, e.code());
    }

    @Test
    void decodingNeitherConsumesNorReleasesTheFrame() throws ProtocolException {
        ByteBuf frame = Unpooled.copiedBuffer(SEED, StandardCharsets.UTF_8);
        try {
            decoder.decode(frame);
            decoder.decode(frame);
            assertEquals(0, frame.readerIndex());
            assertEquals(SEED.length(), frame.readableBytes());
            assertEquals(1, frame.refCnt());
        } finally {
            frame.release();
        }
    }

    @Test
    void decoderReportsItsConfiguredLimit() {
        assertEquals(MAX_CHARS, decoder.maxMessageChars());
    }

    @Test
    void nonPositiveLimitsAreRefusedAtConstruction() {
        assertThrows(IllegalArgumentException.class, () -> new ClientMessageDecoder(0, 100));
        assertThrows(IllegalArgumentException.class, () -> new ClientMessageDecoder(-1, 100));
        assertThrows(IllegalArgumentException.class, () -> new ClientMessageDecoder(10, 0));
        assertThrows(IllegalArgumentException.class, () -> new ClientMessageDecoder(10, -1));
    }

    // ---------------------------------------------------------------- bad_json

    @Test
    void emptyFrameIsBadJson() {
        refused(ErrorCode.BAD_JSON, new byte[0]);
    }

    @ParameterizedTest
    @ValueSource(strings = {" ", "   ", "\n", "\r\n\t "})
    void whitespaceOnlyFrameIsBadJsonLikeAnEmptyOne(String whitespace) {
        refused(ErrorCode.BAD_JSON, whitespace);
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "{",
                "}",
                "{]",
                "{{}}",
                "nope",
                "nul",
                "tru",
                "{'type'}",
                "{'type':}",
                "{'type' 'TEXT'}",
                "{type:'TEXT'}",
                "{'type':'TEXT',}",
                "{,'type':'TEXT'}",
                "{'type':'TEXT' 'message':'m'}",
                "{'type':'TEXT';'message':'m'}",
                "{'a':01}",
                "{'a':+1}",
                "{'a':.5}",
                "{'a':1.}",
                "{'a':1e}",
                "{'a':0x1F}",
                "{'a':NaN}",
                "{'a':Infinity}",
                "{'a':-}",
                "{'a':[1,]}",
                "{'a':[,1]}",
                "{'a':[1 2]}",
                "{'a':{'b'}}",
                "{'a':'\\x'}",
                "{'a':'\\u12'}",
                "{'a':'\\u12G4'}",
                "{'a':undefined}",
                "{/* c */'type':'TEXT'}",
                "{'type':'TEXT'}// c",
                "{'type':'TEXT'}#",
                "{'type':'TEXT'}x",
                "{'type':'TEXT'}]",
                "{'type':'TEXT'}}"
            })
    void malformedJsonIsBadJson(String json) {
        refused(ErrorCode.BAD_JSON, j(json));
    }

    @Test
    void singleQuotedJsonIsBadJson() {
        refused(ErrorCode.BAD_JSON, "{'type':'TEXT','conversation_id':1,'message':'m'}");
    }

    @Test
    void rawControlCharacterInAStringIsBadJson() {
        refused(ErrorCode.BAD_JSON, j("{'type':'TEXT','conversation_id':1,'message':'a\nb'}"));
        refused(ErrorCode.BAD_JSON, j("{'type':'TEXT','conversation_id':1,'message':'a\u0001b'}"));
        refused(ErrorCode.BAD_JSON, j("{'x':'\t','type':'TEXT','conversation_id':1,'message':'m'}"));
    }

    @Test
    void everyTruncationOfAValidFrameIsBadJson() {
        String whole = j("{'type':'TEXT','conversation_id':1234,'x':[1,{'y':null},true,-2.5e3],'message':'h\\u00e9"
                + EMOJI + "\\n','client_msg_id':'c'}");
        accepted(whole);
        byte[] bytes = utf8(whole);
        for (int length = 1; length < bytes.length; length++) {
            byte[] prefix = Arrays.copyOf(bytes, length);
            ProtocolException e = refused(ErrorCode.BAD_JSON, prefix);
            assertEquals(ProtocolException.NO_CONVERSATION, e.conversationId(), "syntax errors carry no ids");
        }
    }

    @Test
    void invalidUtf8InTheMessageIsBadJson() {
        for (byte[] bad : invalidUtf8Sequences()) {
            refused(
                    ErrorCode.BAD_JSON,
                    concat(utf8(j("{'type':'TEXT','conversation_id':1,'message':'a")), bad, utf8(j("b'}"))));
        }
    }

    @Test
    void invalidUtf8InAnUnknownFieldOrAFieldNameIsBadJson() {
        for (byte[] bad : invalidUtf8Sequences()) {
            refused(
                    ErrorCode.BAD_JSON,
                    concat(
                            utf8(j("{'x':{'y':['")),
                            bad,
                            utf8(j("']},'type':'TEXT','conversation_id':1,'message':'m'}"))));
            refused(
                    ErrorCode.BAD_JSON,
                    concat(utf8(j("{'")), bad, utf8(j("':1,'type':'TEXT','conversation_id':1,'message':'m'}"))));
        }
    }

    @Test
    void frameEndingInsideAMultiByteCharacterIsBadJson() {
        byte[] emoji = utf8(EMOJI);
        byte[] start = utf8(j("{'type':'TEXT','conversation_id':1,'message':'"));
        for (int cut = 1; cut < emoji.length; cut++) {
            refused(ErrorCode.BAD_JSON, concat(start, Arrays.copyOf(emoji, cut)));
        }
    }

    /**
     * Byte sequences shaped like UTF-8 characters that RFC 3629 forbids: overlong encodings (the classic filter
     * bypass), UTF-16 surrogates encoded as UTF-8, and code points above U+10FFFF. Wherever they appear in the frame
     * it is not UTF-8, so not JSON.
     */
    @Test
    void overlongSurrogateOrOutOfRangeUtf8IsBadJsonWhereverItAppears() {
        List<byte[]> forbidden = List.of(
                bytes(0xC0, 0xAF), // '/' in two bytes
                bytes(0xE0, 0x80, 0xAF), // '/' in three bytes
                bytes(0xED, 0xA0, 0x80), // surrogate U+D800
                bytes(0xED, 0xBF, 0xBF), // surrogate U+DFFF
                bytes(0xF4, 0x90, 0x80, 0x80)); // U+110000
        List<String> accepted = new ArrayList<>();
        for (byte[] bad : forbidden) {
            String hex = ByteBufUtil.hexDump(bad);
            byte[][] frames = {
                concat(utf8(j("{'type':'TEXT','conversation_id':1,'message':'a")), bad, utf8(j("'}"))),
                concat(utf8(j("{'x':['")), bad, utf8(j("'],'type':'TEXT','conversation_id':1,'message':'m'}"))),
                concat(utf8(j("{'")), bad, utf8(j("':1,'type':'TEXT','conversation_id':1,'message':'m'}")))
            };
            String[] where = {"message", "unknown field value", "field name"};
            for (int i = 0; i < frames.length; i++) {
                if (decode(Layout.HEAP_SLICE, frames[i]) instanceof ClientMessage) {
                    accepted.add(hex + " in " + where[i]);
                } else {
                    refused(ErrorCode.BAD_JSON, frames[i]);
                }
            }
        }
        assertEquals(List.of(), accepted, "frames that are not UTF-8 but were accepted");
    }

    @Test
    void deepNestingInAnUnknownFieldIsBadJsonNotAStackOverflow() {
        String rest = j(",'type':'TEXT','conversation_id':1,'message':'m'}");
        refused(ErrorCode.BAD_JSON, j("{'x':") + "[".repeat(10_000));
        refused(ErrorCode.BAD_JSON, j("{'x':") + "[".repeat(10_000) + "]".repeat(10_000) + rest);
        refused(ErrorCode.BAD_JSON, j("{'x':") + j("{'y':").repeat(10_000) + "1" + "}".repeat(10_000) + rest);
        // One level past the limit is already too deep.
        int arrays = ClientMessageDecoder.MAX_NESTING_DEPTH;
        refused(ErrorCode.BAD_JSON, j("{'x':") + "[".repeat(arrays) + "]".repeat(arrays) + rest);
    }

    @Test
    void deepNestingInsideAKnownFieldIsBadJson() {
        refused(
                ErrorCode.BAD_JSON,
                j("{'type':'TEXT','conversation_id':1,'message':") + "[".repeat(10_000) + "]".repeat(10_000) + "}");
    }

    @Test
    void numberLongerThanTheParserLimitIsBadJson() {
        String digits = "1".repeat(100);
        refused(ErrorCode.BAD_JSON, j("{'x':" + digits + ",'type':'TEXT','conversation_id':1,'message':'m'}"));
        refused(ErrorCode.BAD_JSON, frame("TEXT", digits, "'m'"));
    }

    @Test
    void stringLongerThanTheFrameLimitIsBadJson() {
        ClientMessageDecoder small = new ClientMessageDecoder(1_000_000, 1_000);
        ByteBuf frame =
                Unpooled.copiedBuffer(frame("TEXT", "1", "'" + "a".repeat(100_000) + "'"), StandardCharsets.UTF_8);
        try {
            ProtocolException e = assertThrows(ProtocolException.class, () -> small.decode(frame));
            assertEquals(ErrorCode.BAD_JSON, e.code(), e.getMessage());
        } finally {
            frame.release();
        }
    }

    @Test
    void syntaxErrorAfterASemanticErrorIsBadJson() {
        refused(ErrorCode.BAD_JSON, j("{'type':1,'conversation_id':1,'message':'m'"));
    }

    // ---------------------------------------------------------------- bad_frame

    @ParameterizedTest
    @ValueSource(
            strings = {
                "[]",
                "[{'type':'TEXT','conversation_id':1,'message':'m'}]",
                "'TEXT'",
                "''",
                "42",
                "-1.5",
                "1e400",
                "true",
                "false",
                "null"
            })
    void topLevelArrayOrScalarIsBadFrame(String json) {
        ProtocolException e = refused(ErrorCode.BAD_FRAME, j(json));
        assertEquals(ProtocolException.NO_CONVERSATION, e.conversationId());
    }

    /**
     * docs/protocol.md: nesting deeper than 32 is {@code bad_json}, wherever it is; a top-level array too (issue 11:
     * 10 000 {@code [} got {@code bad_frame}). Within the bound, well-formed JSON of another shape is still
     * {@code bad_frame}.
     */
    @Test
    void nestingDeeperThanTheLimitAtTheTopLevelIsBadJson() {
        refused(ErrorCode.BAD_JSON, "[".repeat(10_000));
        refused(ErrorCode.BAD_JSON, "[".repeat(10_000) + "]".repeat(10_000));
        int arrays = ClientMessageDecoder.MAX_NESTING_DEPTH;
        refused(ErrorCode.BAD_JSON, "[".repeat(arrays + 1) + "]".repeat(arrays + 1));
        refused(ErrorCode.BAD_JSON, "[".repeat(arrays) + j("{'x':1}") + "]".repeat(arrays));
        refused(ErrorCode.BAD_FRAME, "[".repeat(arrays) + "]".repeat(arrays));
    }

    /** A top-level array that is not well-formed is not JSON at all: {@code bad_json}, like any truncated frame. */
    @Test
    void malformedTopLevelArrayIsBadJson() {
        refused(ErrorCode.BAD_JSON, "[1,");
        refused(ErrorCode.BAD_JSON, "[[]");
        refused(ErrorCode.BAD_JSON, "[}");
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                " {}",
                "{}",
                " []",
                "1",
                " \"x\"",
                " null",
                " true",
                "{'type':'TEXT','conversation_id':1,'message':'m'}"
            })
    void trailingJsonValueIsBadFrameAndCarriesTheIds(String trailing) {
        ProtocolException e = refused(
                ErrorCode.BAD_FRAME,
                j("{'type':'TEXT','conversation_id':123,'message':'Hello','client_msg_id':'c-1'}" + trailing));
        assertEquals(123, e.conversationId());
        assertEquals("c-1", e.clientMsgId());
    }

    @Test
    void trailingWhitespaceIsNotTrailingData() {
        assertEquals(new ClientMessage("TEXT", 123, "Hello", null), accepted(SEED + " \r\n\t"));
    }

    @Test
    void duplicateConversationIdIsBadFrame() {
        ProtocolException e = refused(
                ErrorCode.BAD_FRAME,
                j("{'type':'TEXT','client_msg_id':'c','conversation_id':1,'message':'m','conversation_id':2}"));
        assertEquals(1, e.conversationId(), "the id read before the duplicate, never the duplicate");
        assertEquals("c", e.clientMsgId());
        assertTrue(e.getMessage().contains("conversation_id"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "'type':'TEXT'",
                "'type':'OTHER'",
                "'conversation_id':1",
                "'conversation_id':2",
                "'message':'m'",
                "'message':'other'",
                "'client_msg_id':'c'",
                "'client_msg_id':'d'",
                "'type':null",
                "'conversation_id':null",
                "'message':null",
                "'client_msg_id':null",
                "'message':[1]"
            })
    void duplicateOfAnyKnownFieldIsBadFrame(String again) {
        refused(
                ErrorCode.BAD_FRAME,
                j("{'type':'TEXT','conversation_id':1,'message':'m','client_msg_id':'c'," + again + "}"));
    }

    @Test
    void nullThenValueIsStillADuplicate() {
        refused(ErrorCode.BAD_FRAME, j("{'type':'TEXT','conversation_id':null,'conversation_id':5,'message':'a'}"));
        refused(
                ErrorCode.BAD_FRAME,
                j("{'client_msg_id':null,'type':'TEXT','conversation_id':5,'message':'a','client_msg_id':'c'}"));
    }

    @Test
    void wrongTypeThenValueIsStillADuplicate() {
        refused(ErrorCode.BAD_FRAME, j("{'type':'TEXT','conversation_id':'5','conversation_id':5,'message':'a'}"));
    }

    @Test
    void duplicateSpelledWithAnEscapeIsStillADuplicate() {
        refused(ErrorCode.BAD_FRAME, j("{'type':'TEXT','\\u0074ype':'TEXT','conversation_id':1,'message':'m'}"));
    }

    @Test
    void clientMsgIdOf65CharactersIsBadFrameAndIsNotEchoed() {
        String id = "i".repeat(ClientMessageDecoder.MAX_CLIENT_MSG_ID_CHARS + 1);
        ProtocolException e = refused(
                ErrorCode.BAD_FRAME,
                j("{'type':'TEXT','client_msg_id':'" + id + "','conversation_id':9,'message':'m'}"));
        assertNull(e.clientMsgId());
        assertEquals(9, e.conversationId());
    }

    // ---------------------------------------------------------------- missing_field

    @ParameterizedTest
    @ValueSource(strings = {"type", "conversation_id", "message"})
    void missingRequiredFieldIsMissingFieldAndCarriesTheIds(String field) {
        List<String> parts = new ArrayList<>(
                List.of(j("'type':'TEXT'"), j("'conversation_id':77"), j("'message':'m'"), j("'client_msg_id':'c-9'")));
        parts.removeIf(part -> part.startsWith("\"" + field + "\""));
        ProtocolException e = refused(ErrorCode.MISSING_FIELD, "{" + String.join(",", parts) + "}");
        assertEquals("missing field '" + field + "'", e.getMessage());
        assertEquals(field.equals("conversation_id") ? ProtocolException.NO_CONVERSATION : 77, e.conversationId());
        assertEquals("c-9", e.clientMsgId());
    }

    @ParameterizedTest
    @ValueSource(strings = {"type", "conversation_id", "message"})
    void nullRequiredFieldIsMissingField(String field) {
        String frame = j("{'type':'TEXT','conversation_id':77,'message':'m'}")
                .replaceFirst("\"" + field + "\":(\"[^\"]*\"|\\d+)", "\"" + field + "\":null");
        assertTrue(frame.contains("null"), frame);
        ProtocolException e = refused(ErrorCode.MISSING_FIELD, frame);
        assertEquals("missing field '" + field + "'", e.getMessage());
    }

    @Test
    void emptyObjectIsMissingField() {
        refused(ErrorCode.MISSING_FIELD, "{}");
        refused(ErrorCode.MISSING_FIELD, j("{'unknown':1}"));
    }

    // ---------------------------------------------------------------- wrong_type

    @ParameterizedTest
    @ValueSource(
            strings = {
                "1e400",
                "99999999999999999999999",
                "-99999999999999999999999",
                "9223372036854775807",
                "9223372036854775808",
                "-9223372036854775808",
                "9007199254740992",
                "9007199254740993",
                "0",
                "-0",
                "-1",
                "1.5",
                "1.0",
                "1e2",
                "1E0",
                "-1.5e-300",
                "'123'",
                "''",
                "true",
                "false",
                "[]",
                "[1]",
                "{}",
                "{'id':1}",
                "{'a':[{'b':{}}]}"
            })
    void conversationIdThatIsNotAPositiveIntegerBelowTwoToThe53IsWrongType(String value) {
        ProtocolException e = refused(
                ErrorCode.WRONG_TYPE,
                j("{'type':'TEXT','conversation_id':" + value + ",'message':'m','client_msg_id':'after'}"));
        assertEquals(ProtocolException.NO_CONVERSATION, e.conversationId());
        assertEquals("after", e.clientMsgId(), "the client_msg_id after the bad value is still read");
        assertTrue(e.getMessage().contains("conversation_id"), e.getMessage());
    }

    @Test
    void wrongTypeOnMessageStillReportsTheIdsThatFollowIt() {
        ProtocolException e = refused(
                ErrorCode.WRONG_TYPE, j("{'type':'TEXT','message':42,'conversation_id':77,'client_msg_id':'c9'}"));
        assertEquals(77, e.conversationId());
        assertEquals("c9", e.clientMsgId());
        assertTrue(e.getMessage().contains("message"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "{'type':1,'conversation_id':5,'message':'m','client_msg_id':'c'}",
                "{'type':true,'conversation_id':5,'message':'m','client_msg_id':'c'}",
                "{'type':['TEXT'],'conversation_id':5,'message':'m','client_msg_id':'c'}",
                "{'type':{'t':{'u':['TEXT']}},'conversation_id':5,'message':'m','client_msg_id':'c'}",
                "{'type':'TEXT','message':1.5,'conversation_id':5,'client_msg_id':'c'}",
                "{'type':'TEXT','message':false,'conversation_id':5,'client_msg_id':'c'}",
                "{'type':'TEXT','message':['a'],'conversation_id':5,'client_msg_id':'c'}",
                "{'type':'TEXT','message':{'text':'a','more':[{}]},'conversation_id':5,'client_msg_id':'c'}"
            })
    void typeOrMessageOfTheWrongJsonTypeIsWrongTypeAndCarriesTheIds(String json) {
        ProtocolException e = refused(ErrorCode.WRONG_TYPE, j(json));
        assertEquals(5, e.conversationId());
        assertEquals("c", e.clientMsgId());
    }

    @ParameterizedTest
    @ValueSource(strings = {"5", "1.5", "true", "['c']", "{'id':'c'}"})
    void clientMsgIdOfTheWrongJsonTypeIsWrongType(String value) {
        ProtocolException e = refused(
                ErrorCode.WRONG_TYPE,
                j("{'type':'TEXT','client_msg_id':" + value + ",'conversation_id':5,'message':'m'}"));
        assertEquals(5, e.conversationId());
        assertNull(e.clientMsgId());
    }

    @Test
    void firstSemanticErrorIsTheOneReported() {
        ProtocolException e = refused(
                ErrorCode.WRONG_TYPE,
                j("{'type':'TEXT','message':7,'conversation_id':2," + "'client_msg_id':'" + "x".repeat(100) + "'}"));
        assertTrue(e.getMessage().contains("message"), e.getMessage());
        e = refused(
                ErrorCode.BAD_FRAME,
                j("{'type':'TEXT','client_msg_id':'" + "x".repeat(100) + "','message':7,'conversation_id':2}"));
        assertEquals(2, e.conversationId());
    }

    @Test
    void wrongTypeIsReportedBeforeAMissingField() {
        refused(ErrorCode.WRONG_TYPE, j("{'message':7}"));
    }

    // ---------------------------------------------------------------- HISTORY

    @Test
    void historyRequestNeedsNoMessageAndReadsBeforeAndLimit() {
        ClientMessage m = accepted(j("{'type':'HISTORY','conversation_id':9,'before':1000000000000123,'limit':50}"));
        assertTrue(m.isHistoryRequest());
        assertEquals(9, m.conversationId());
        assertEquals(1_000_000_000_000_123L, m.before());
        assertEquals(50, m.limit());
        assertNull(m.message());
    }

    @Test
    void historyRequestWithoutBeforeOrLimitAsksForTheNewestPage() {
        ClientMessage m = accepted(j("{'type':'HISTORY','conversation_id':9,'before':null}"));
        assertEquals(ClientMessage.NEWEST, m.before());
        assertEquals(ClientMessage.NO_LIMIT, m.limit());
    }

    @Test
    void aLimitBeyondALongIsOnlyCappedLater() {
        assertEquals(
                ClientMessage.NO_LIMIT,
                accepted(j("{'type':'HISTORY','conversation_id':9,'limit':123456789012345678901234567890}"))
                        .limit());
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "'before':'1000000000000123'",
                "'before':0",
                "'before':9007199254740992",
                "'before':1.5",
                "'limit':0",
                "'limit':-3",
                "'limit':'10'",
                "'limit':2.5",
                "'limit':-123456789012345678901234567890"
            })
    void badHistoryFieldsAreWrongTypeAndCarryTheIds(String field) {
        ProtocolException e = refused(
                ErrorCode.WRONG_TYPE, j("{'type':'HISTORY','conversation_id':9," + field + ",'client_msg_id':'h1'}"));
        assertEquals(9, e.conversationId());
        assertEquals("h1", e.clientMsgId());
    }

    @Test
    void aTextFrameIgnoresHistoryFieldsAsItAlwaysDid() {
        ClientMessage m = accepted(j("{'type':'TEXT','conversation_id':9,'message':'hi','before':'x','limit':0}"));
        assertFalse(m.isHistoryRequest());
        assertEquals("hi", m.message());
    }

    @Test
    void historyRequestWithoutConversationIsMissingField() {
        refused(ErrorCode.MISSING_FIELD, j("{'type':'HISTORY','limit':5}"));
    }

    // ---------------------------------------------------------------- unknown_type, message_too_long

    @ParameterizedTest
    @ValueSource(strings = {"IMAGE", "text", "Text", " TEXT", "TEXT ", "", "TEXT\\u0000"})
    void unknownTypeIsUnknownTypeAndCarriesTheIds(String type) {
        ProtocolException e = refused(
                ErrorCode.UNKNOWN_TYPE,
                j("{'type':'" + type + "','conversation_id':3,'message':'a','client_msg_id':'c'}"));
        assertEquals(3, e.conversationId());
        assertEquals("c", e.clientMsgId());
    }

    @Test
    void messageOfMaxPlusOneCharactersIsTooLong() {
        ProtocolException e = refused(
                ErrorCode.MESSAGE_TOO_LONG,
                j("{'type':'TEXT','conversation_id':4,'message':'" + "a".repeat(MAX_CHARS + 1)
                        + "','client_msg_id':'c'}"));
        assertEquals(4, e.conversationId());
        assertEquals("c", e.clientMsgId());
    }

    @Test
    void messageOfMaxPlusOneEmojiIsTooLong() {
        refused(ErrorCode.MESSAGE_TOO_LONG, frame("TEXT", "1", "'" + EMOJI.repeat(MAX_CHARS + 1) + "'"));
        refused(ErrorCode.MESSAGE_TOO_LONG, frame("TEXT", "1", "'" + "a".repeat(MAX_CHARS) + EMOJI + "'"));
        refused(ErrorCode.MESSAGE_TOO_LONG, frame("TEXT", "1", "'" + "\\ud83d\\ude00".repeat(MAX_CHARS + 1) + "'"));
    }

    @Test
    void loneSurrogatesCountAsOneCharacterEach() {
        assertEquals(
                MAX_CHARS,
                accepted(frame("TEXT", "1", "'" + "\\ud83d".repeat(MAX_CHARS) + "'"))
                        .message()
                        .length());
        refused(ErrorCode.MESSAGE_TOO_LONG, frame("TEXT", "1", "'" + "\\ud83d".repeat(MAX_CHARS + 1) + "'"));
    }

    // ---------------------------------------------------------------- helpers

    /** JSON with {@code '} written for {@code "}, so literals stay readable. */
    private static String j(String singleQuoted) {
        return singleQuoted.replace('\'', '"');
    }

    /** A frame with the three required fields; {@code message} is raw JSON (single quotes allowed). */
    private static String frame(String type, String conversationId, String message) {
        return j("{'type':'" + type + "','conversation_id':" + conversationId + ",'message':" + message + "}");
    }

    private ClientMessage accepted(String json) {
        ClientMessage first = null;
        for (Layout layout : Layout.values()) {
            Object outcome = decode(layout, utf8(json));
            if (!(outcome instanceof ClientMessage message)) {
                ProtocolException e = (ProtocolException) outcome;
                return fail(layout + " refused " + json + ": " + e.code() + " " + e.getMessage());
            }
            if (first == null) {
                first = message;
            } else {
                assertEquals(first, message, layout + " decodes like " + Layout.values()[0]);
            }
        }
        return first;
    }

    private ProtocolException refused(ErrorCode code, String json) {
        return refused(code, utf8(json));
    }

    private ProtocolException refused(ErrorCode code, byte[] bytes) {
        ProtocolException first = null;
        for (Layout layout : Layout.values()) {
            Object outcome = decode(layout, bytes);
            String shown = new String(bytes, StandardCharsets.UTF_8);
            String input = shown.length() > 120 ? shown.substring(0, 120) + "..." : shown;
            if (!(outcome instanceof ProtocolException e)) {
                return fail(layout + " accepted " + input + " as " + outcome + ", expected " + code);
            }
            assertEquals(code, e.code(), () -> layout + ": " + e.getMessage() + " for " + input);
            assertFalse(e.getMessage() == null || e.getMessage().isEmpty());
            if (first == null) {
                first = e;
            } else {
                assertEquals(describe(first), describe(e), layout + " fails like " + Layout.values()[0]);
            }
        }
        return first;
    }

    private static String describe(ProtocolException e) {
        return e.code() + " " + e.conversationId() + " " + e.clientMsgId();
    }

    /** Decodes from one layout; returns the message or the exception; checks the frame is untouched and releases it. */
    private Object decode(Layout layout, byte[] bytes) {
        ByteBuf frame = layout.frame(bytes);
        int readerIndex = frame.readerIndex();
        int writerIndex = frame.writerIndex();
        try {
            Object outcome;
            try {
                outcome = decoder.decode(frame);
            } catch (ProtocolException e) {
                outcome = e;
            }
            assertEquals(readerIndex, frame.readerIndex(), layout + ": reader index moved");
            assertEquals(writerIndex, frame.writerIndex(), layout + ": writer index moved");
            assertEquals(1, frame.refCnt(), layout + ": reference count changed");
            return outcome;
        } finally {
            frame.release();
        }
    }

    private enum Layout {
        /** Heap, with bytes that would break the frame before and after its readable region. */
        HEAP_SLICE {
            @Override
            ByteBuf frame(byte[] bytes) {
                byte[] backing = new byte[bytes.length + 16];
                Arrays.fill(backing, (byte) '{');
                System.arraycopy(bytes, 0, backing, 8, bytes.length);
                ByteBuf buf = Unpooled.wrappedBuffer(backing, 3, bytes.length + 10); // array offset 3
                buf.setIndex(5, 5 + bytes.length); // reader index 5
                assertTrue(buf.hasArray());
                return buf;
            }
        },
        POOLED_DIRECT {
            @Override
            ByteBuf frame(byte[] bytes) {
                ByteBuf buf = PooledByteBufAllocator.DEFAULT.directBuffer(bytes.length + 8);
                buf.writeBytes(utf8("{{{{")).readerIndex(4);
                buf.writeBytes(bytes).writeBytes(utf8("{{{{"));
                buf.writerIndex(buf.writerIndex() - 4);
                assertFalse(buf.hasArray());
                return buf;
            }
        },
        /**
         * Two components: no single backing array, so the decoder copies a small frame and streams a large one, as
         * it does for {@link #POOLED_DIRECT} (frames past {@code SCRATCH_BYTES} run below too: the limits' tests).
         */
        COMPOSITE {
            @Override
            ByteBuf frame(byte[] bytes) {
                int half = bytes.length / 2;
                CompositeByteBuf buf = Unpooled.compositeBuffer();
                buf.addComponents(
                        true,
                        Unpooled.wrappedBuffer(Arrays.copyOfRange(bytes, 0, half)),
                        PooledByteBufAllocator.DEFAULT
                                .directBuffer(bytes.length - half + 1)
                                .writeBytes(bytes, half, bytes.length - half));
                assertFalse(buf.hasArray());
                return buf;
            }
        };

        abstract ByteBuf frame(byte[] bytes);
    }

    private static List<byte[]> invalidUtf8Sequences() {
        return List.of(
                bytes(0xFF), // never valid
                bytes(0xFE), // never valid
                bytes(0x80), // continuation byte without a lead
                bytes(0xBF, 0x80), // two continuation bytes
                bytes(0xC3, 0x28), // lead byte followed by ASCII
                bytes(0xE2, 0x82), // three-byte sequence cut short (followed by ASCII)
                bytes(0xF0, 0x9F, 0x98), // four-byte sequence cut short
                bytes(0xF8, 0x88, 0x80, 0x80, 0x80)); // five-byte form, abolished by RFC 3629
    }

    private static byte[] bytes(int... values) {
        byte[] b = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            b[i] = (byte) values[i];
        }
        return b;
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }

    private static <T> List<List<T>> permutations(List<T> items) {
        if (items.isEmpty()) {
            return List.of(List.of());
        }
        List<List<T>> all = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            List<T> rest = new ArrayList<>(items);
            T head = rest.remove(i);
            for (List<T> tail : permutations(rest)) {
                List<T> order = new ArrayList<>();
                order.add(head);
                order.addAll(tail);
                all.add(order);
            }
        }
        return all;
    }
}
