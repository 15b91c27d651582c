package dev.inbox.protocol;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufInputStream;
import io.netty.buffer.ByteBufUtil;
import io.netty.util.concurrent.FastThreadLocal;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * Decodes one client text frame into a {@link ClientMessage} with a streaming {@link JsonParser} straight over
 * the frame's bytes: no {@code String} of the frame, no tree, no databind.
 *
 * <p>Rules, each reported as a {@link ProtocolException} with its {@link ErrorCode}: the frame is one JSON object
 * ({@code bad_json} if it is not JSON at all or is nested deeper than {@link #MAX_NESTING_DEPTH}, wherever that is;
 * {@code bad_frame} if it is well-formed JSON of another shape, has trailing data or names a known field twice: two {@code conversation_id}s must never be resolved by guessing); {@code type},
 * {@code conversation_id} and {@code message} are required ({@code missing_field}; null counts as absent) and typed
 * ({@code wrong_type}), except that a {@code HISTORY} request needs no {@code message} and has its own optional
 * {@code before} (a {@code message_id}) and {@code limit} (a positive integer), {@code TYPING} and {@code READS} need
 * only {@code conversation_id}, {@code READ} needs {@code conversation_id} and {@code message_id} (an integer from 1
 * to 2^53-1), and {@code UNREAD} needs nothing but its type; unknown fields are skipped whatever they hold, within the nesting bound. Semantic errors do
 * not stop the parse, so the error can still carry the {@code conversation_id} and {@code client_msg_id} that
 * follow the bad field; syntax errors do.
 *
 * <p>Thread-safe and stateless past construction; one instance serves every connection.
 */
public final class ClientMessageDecoder {
    /** The only message type today; others get {@code unknown_type}. */
    public static final String TYPE_TEXT = "TEXT";
    /** A request for a page of a conversation's history. */
    public static final String TYPE_HISTORY = "HISTORY";
    /** The sender is typing in a conversation; forwarded to the other members, never stored. */
    public static final String TYPE_TYPING = "TYPING";
    /** The sender has read a conversation up to a {@code message_id}. */
    public static final String TYPE_READ = "READ";
    /** A request for a conversation's read positions and the sender's unread count there. */
    public static final String TYPE_READS = "READS";
    /** A request for the sender's unread counts; the only type without a {@code conversation_id}. */
    public static final String TYPE_UNREAD = "UNREAD";
    /** Longest accepted {@code client_msg_id}, in characters. */
    public static final int MAX_CLIENT_MSG_ID_CHARS = 64;
    /** A frame holds one flat object; anything nested deeper than this is an attack or a bug. */
    static final int MAX_NESTING_DEPTH = 32;

    private static final int SEEN_TYPE = 1;
    private static final int SEEN_CONVERSATION = 2;
    private static final int SEEN_MESSAGE = 4;
    private static final int SEEN_CLIENT_MSG_ID = 8;
    private static final int SEEN_BEFORE = 16;
    private static final int SEEN_LIMIT = 32;
    private static final int SEEN_MESSAGE_ID = 64;

    /** Direct frames up to this size are parsed from a copy in {@link #SCRATCH}. */
    static final int SCRATCH_BYTES = 2048;

    private static final FastThreadLocal<byte[]> SCRATCH = new FastThreadLocal<>() {
        @Override
        protected byte[] initialValue() {
            return new byte[SCRATCH_BYTES];
        }
    };

    private final JsonFactory json;
    private final int maxMessageChars;

    /**
     * @param maxMessageChars the most Unicode code points {@code message} may hold
     * @param maxFrameBytes   the largest frame the transport lets through; bounds every string Jackson will buffer
     */
    public ClientMessageDecoder(int maxMessageChars, int maxFrameBytes) {
        if (maxMessageChars <= 0) {
            throw new IllegalArgumentException("maxMessageChars: " + maxMessageChars + " (expected: > 0)");
        }
        if (maxFrameBytes <= 0) {
            throw new IllegalArgumentException("maxFrameBytes: " + maxFrameBytes + " (expected: > 0)");
        }
        this.maxMessageChars = maxMessageChars;
        this.json = JsonFactory.builder()
                .streamReadConstraints(StreamReadConstraints.builder()
                        .maxNestingDepth(MAX_NESTING_DEPTH)
                        .maxStringLength(maxFrameBytes)
                        .maxNumberLength(64)
                        .build())
                .disable(JsonFactory.Feature.INTERN_FIELD_NAMES)
                .build();
    }

    /** The configured maximum of code points in {@code message}. */
    public int maxMessageChars() {
        return maxMessageChars;
    }

    /**
     * Decodes the readable bytes of {@code frame} without consuming or releasing it.
     *
     * @throws ProtocolException when the frame breaks a rule above
     */
    public ClientMessage decode(ByteBuf frame) throws ProtocolException {
        if (!frame.isReadable()) {
            throw new ProtocolException(ErrorCode.BAD_JSON, "empty frame");
        }
        // Jackson's UTF-8 reader is lenient in places (overlong forms, surrogates in skipped values); the WebSocket
        // pipeline has already checked, but the decoder must stand alone (RFC 3629 well-formedness).
        if (!ByteBufUtil.isText(frame, StandardCharsets.UTF_8)) {
            throw new ProtocolException(ErrorCode.BAD_JSON, "frame is not valid UTF-8");
        }
        try (JsonParser parser = open(frame)) {
            return decode(parser);
        } catch (StreamConstraintsException e) {
            throw new ProtocolException(ErrorCode.BAD_JSON, "frame exceeds a parser limit: " + firstLine(e));
        } catch (IOException e) {
            // JsonParseException and friends: malformed, truncated or wrongly encoded JSON.
            throw new ProtocolException(ErrorCode.BAD_JSON, "malformed JSON: " + firstLine(e));
        }
    }

    private JsonParser open(ByteBuf frame) throws IOException {
        if (frame.hasArray()) {
            return json.createParser(frame.array(), frame.arrayOffset() + frame.readerIndex(), frame.readableBytes());
        }
        int length = frame.readableBytes();
        if (length <= SCRATCH_BYTES) {
            // Most frames are small (a TYPING is 40 bytes): one copy into this thread's array spares the stream, the
            // duplicate and the parser's own input buffer. The parser is done with the array when decode returns.
            byte[] scratch = SCRATCH.get();
            frame.getBytes(frame.readerIndex(), scratch, 0, length);
            return json.createParser(scratch, 0, length);
        }
        return json.createParser((java.io.InputStream) new ByteBufInputStream(frame.duplicate(), false));
    }

    private ClientMessage decode(JsonParser p) throws IOException, ProtocolException {
        JsonToken first = p.nextToken();
        if (first == null) {
            throw new ProtocolException(ErrorCode.BAD_JSON, "empty frame");
        }
        if (first != JsonToken.START_OBJECT) {
            // Read the value to its end first: nested deeper than the bound, or not well-formed, it is bad_json like
            // anywhere else (docs/protocol.md); only well-formed JSON of another shape is bad_frame. The walk is
            // bounded by the frame and by the nesting limit, and keeps no state per level.
            p.skipChildren();
            throw new ProtocolException(ErrorCode.BAD_FRAME, "a frame must be one JSON object");
        }
        int seen = 0;
        String type = null;
        long conversationId = ProtocolException.NO_CONVERSATION;
        String message = null;
        String clientMsgId = null;
        long before = ClientMessage.NEWEST;
        long limit = ClientMessage.NO_LIMIT;
        // HISTORY's own fields' first error: reported only when the frame turns out to be a HISTORY (a TEXT frame
        // ignores them, as it did before they had a meaning).
        String historyError = null;
        // Likewise READ's message_id: a TEXT frame carrying one ignores it.
        long readMessageId = ClientMessage.NO_MESSAGE_ID;
        String readError = null;
        // The first semantic error, reported once the whole object is read so it can carry the ids.
        ErrorCode error = null;
        String errorText = null;

        for (JsonToken t = p.nextToken(); t != JsonToken.END_OBJECT; t = p.nextToken()) {
            String field = p.currentName();
            JsonToken value = p.nextToken();
            int bit = bitOf(field);
            if (bit == 0) {
                p.skipChildren();
                continue;
            }
            if ((seen & bit) != 0) {
                throw new ProtocolException(
                        ErrorCode.BAD_FRAME,
                        "field '" + field + "' appears more than once",
                        conversationId,
                        clientMsgId);
            }
            seen |= bit;
            if (value == JsonToken.VALUE_NULL) {
                continue; // null counts as absent; the field stays marked so a second occurrence is still a duplicate
            }
            switch (bit) {
                case SEEN_TYPE -> {
                    if (value != JsonToken.VALUE_STRING) {
                        if (error == null) {
                            error = ErrorCode.WRONG_TYPE;
                            errorText = "type must be a string";
                        }
                        p.skipChildren();
                    } else {
                        type = p.getText();
                    }
                }
                case SEEN_CONVERSATION -> {
                    if (value == JsonToken.VALUE_NUMBER_INT
                            && p.getNumberType() != JsonParser.NumberType.BIG_INTEGER
                            && Ids.isValid(p.getLongValue())) {
                        conversationId = p.getLongValue();
                    } else {
                        if (error == null) {
                            error = ErrorCode.WRONG_TYPE;
                            errorText = "conversation_id must be an integer from 1 to 2^53-1";
                        }
                        p.skipChildren();
                    }
                }
                case SEEN_MESSAGE -> {
                    if (value != JsonToken.VALUE_STRING) {
                        if (error == null) {
                            error = ErrorCode.WRONG_TYPE;
                            errorText = "message must be a string";
                        }
                        p.skipChildren();
                    } else {
                        message = p.getText();
                    }
                }
                case SEEN_CLIENT_MSG_ID -> {
                    if (value != JsonToken.VALUE_STRING) {
                        if (error == null) {
                            error = ErrorCode.WRONG_TYPE;
                            errorText = "client_msg_id must be a string";
                        }
                        p.skipChildren();
                    } else {
                        String id = p.getText();
                        // Characters are code points, as for message: an emoji counts once.
                        if (id.length() > MAX_CLIENT_MSG_ID_CHARS
                                && id.codePointCount(0, id.length()) > MAX_CLIENT_MSG_ID_CHARS) {
                            if (error == null) {
                                error = ErrorCode.BAD_FRAME;
                                errorText = "client_msg_id is longer than " + MAX_CLIENT_MSG_ID_CHARS + " characters";
                            }
                        } else {
                            clientMsgId = id;
                        }
                    }
                }
                case SEEN_BEFORE -> {
                    if (value == JsonToken.VALUE_NUMBER_INT
                            && p.getNumberType() != JsonParser.NumberType.BIG_INTEGER
                            && Ids.isValid(p.getLongValue())) {
                        before = p.getLongValue();
                    } else {
                        historyError = historyError != null
                                ? historyError
                                : "before must be a message_id: an integer from 1 to 2^53-1";
                        p.skipChildren();
                    }
                }
                case SEEN_LIMIT -> {
                    if (value == JsonToken.VALUE_NUMBER_INT
                            && p.getNumberType() == JsonParser.NumberType.BIG_INTEGER
                            && p.getBigIntegerValue().signum() > 0) {
                        limit = ClientMessage.NO_LIMIT; // beyond a long, and still only capped
                    } else if (value == JsonToken.VALUE_NUMBER_INT
                            && p.getNumberType() != JsonParser.NumberType.BIG_INTEGER
                            && p.getLongValue() >= 1) {
                        limit = p.getLongValue(); // capped by the gateway, not refused
                    } else {
                        historyError = historyError != null ? historyError : "limit must be a positive integer";
                        p.skipChildren();
                    }
                }
                case SEEN_MESSAGE_ID -> {
                    if (value == JsonToken.VALUE_NUMBER_INT
                            && p.getNumberType() != JsonParser.NumberType.BIG_INTEGER
                            && Ids.isValid(p.getLongValue())) {
                        readMessageId = p.getLongValue();
                    } else {
                        readError = "message_id must be an integer from 1 to 2^53-1";
                        p.skipChildren();
                    }
                }
                default -> throw new AssertionError(bit);
            }
        }
        if (p.nextToken() != null) {
            throw new ProtocolException(
                    ErrorCode.BAD_FRAME, "trailing data after the JSON object", conversationId, clientMsgId);
        }
        if (error != null) {
            throw new ProtocolException(error, errorText, conversationId, clientMsgId);
        }
        if (type == null) {
            throw missing("type", conversationId, clientMsgId);
        }
        if (TYPE_UNREAD.equals(type)) {
            return ClientMessage.event(type, ClientMessage.NO_CONVERSATION, ClientMessage.NO_MESSAGE_ID);
        }
        if (conversationId == ProtocolException.NO_CONVERSATION) {
            throw missing("conversation_id", conversationId, clientMsgId);
        }
        if (TYPE_TYPING.equals(type) || TYPE_READS.equals(type)) {
            return ClientMessage.event(type, conversationId, ClientMessage.NO_MESSAGE_ID);
        }
        if (TYPE_READ.equals(type)) {
            if (readError != null) {
                throw new ProtocolException(ErrorCode.WRONG_TYPE, readError, conversationId, clientMsgId);
            }
            if (readMessageId == ClientMessage.NO_MESSAGE_ID) {
                throw missing("message_id", conversationId, clientMsgId);
            }
            return ClientMessage.event(type, conversationId, readMessageId);
        }
        if (TYPE_HISTORY.equals(type)) {
            if (historyError != null) {
                throw new ProtocolException(ErrorCode.WRONG_TYPE, historyError, conversationId, clientMsgId);
            }
            return new ClientMessage(type, conversationId, null, clientMsgId, before, limit);
        }
        if (message == null) {
            throw missing("message", conversationId, clientMsgId);
        }
        if (!TYPE_TEXT.equals(type)) {
            throw new ProtocolException(
                    ErrorCode.UNKNOWN_TYPE,
                    "unknown type (expected: TEXT, HISTORY, TYPING, READ, READS or UNREAD)",
                    conversationId,
                    clientMsgId);
        }
        // length() counts UTF-16 units, never fewer than code points: only a long string needs the exact count.
        if (message.length() > maxMessageChars && message.codePointCount(0, message.length()) > maxMessageChars) {
            throw new ProtocolException(
                    ErrorCode.MESSAGE_TOO_LONG,
                    "message is longer than " + maxMessageChars + " characters",
                    conversationId,
                    clientMsgId);
        }
        return new ClientMessage(type, conversationId, message, clientMsgId);
    }

    private static int bitOf(String field) {
        return switch (field) {
            case "type" -> SEEN_TYPE;
            case "conversation_id" -> SEEN_CONVERSATION;
            case "message" -> SEEN_MESSAGE;
            case "client_msg_id" -> SEEN_CLIENT_MSG_ID;
            case "before" -> SEEN_BEFORE;
            case "limit" -> SEEN_LIMIT;
            case "message_id" -> SEEN_MESSAGE_ID;
            default -> 0;
        };
    }

    private static ProtocolException missing(String field, long conversationId, String clientMsgId) {
        return new ProtocolException(
                ErrorCode.MISSING_FIELD, "missing field '" + field + "'", conversationId, clientMsgId);
    }

    /** Jackson's messages carry a source excerpt on later lines; the first line is the useful part. */
    private static String firstLine(Exception e) {
        String m = e.getMessage();
        if (m == null) {
            return e.getClass().getSimpleName();
        }
        int nl = m.indexOf('\n');
        String line = nl < 0 ? m : m.substring(0, nl);
        return line.length() > 200 ? line.substring(0, 200) : line;
    }
}
