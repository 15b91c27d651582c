package dev.inbox.protocol;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * Writes server events and errors with a streaming {@link JsonGenerator} straight into one pooled {@link ByteBuf}
 * that holds the complete WebSocket text frame: header and JSON payload.
 *
 * <p>Why the whole frame: server frames are unmasked (RFC 6455 §5.1), so the bytes are the same for every recipient.
 * Encoding and framing once per event, then handing each recipient a {@code retainedDuplicate()}, makes the
 * per-recipient cost a reference-count increment; a raw {@code ByteBuf} passes Netty's WebSocket frame encoder
 * untouched, where a {@code TextWebSocketFrame} would make it allocate a header per write. The same bytes are what
 * a relay carries between nodes.
 *
 * <p>The JSON is written after a 10-byte gap (the longest header); once its length is known the header is written
 * right-aligned into the gap and the reader index moved to it. Thread-safe; one instance serves every thread.
 */
public final class ServerFrameEncoder {
    /** Longest WebSocket frame header a server writes: 2 bytes plus a 64-bit extended length (RFC 6455 §5.2). */
    static final int MAX_HEADER_BYTES = 10;

    private static final int FIN_TEXT = 0x81;

    /** Room to reserve beyond the message text: field names, ids, names and the timestamp. */
    private static final int EVENT_OVERHEAD_GUESS = 256;

    /** Emoji and other non-BMP characters go out as 4-byte UTF-8, not as a pair of escaped surrogates. */
    private final JsonFactory json = JsonFactory.builder()
            .enable(JsonWriteFeature.COMBINE_UNICODE_SURROGATES_IN_UTF8)
            .build();

    /**
     * A frame and where its {@code message_id} digits sit, so the id can be written once it is known.
     *
     * @param frame        the complete frame, owned by the caller
     * @param messageIdAt  absolute index in {@code frame} of the {@value Ids#MESSAGE_ID_DIGITS} id digits
     */
    public record PreparedFrame(ByteBuf frame, int messageIdAt) {}

    /**
     * Encodes {@code event} once, before its id is known: {@code event.messageId()} is a placeholder of the same
     * width (any valid message id), overwritten later with {@link #writeMessageId}. A relay can ship the bytes
     * around the id to a store that assigns it.
     */
    public PreparedFrame encodePrepared(ByteBufAllocator alloc, ServerEvent event) {
        ByteBuf frame = encode(alloc, event, null);
        // message_id is the last field: the frame ends with "message_id":<16 digits>}
        int at = frame.writerIndex() - 1 - Ids.MESSAGE_ID_DIGITS;
        assert frame.getByte(at - 1) == ':' && frame.getByte(frame.writerIndex() - 1) == '}';
        return new PreparedFrame(frame, at);
    }

    /** Overwrites the 16 id digits at {@code at} with {@code messageId}. */
    public static void writeMessageId(ByteBuf frame, int at, long messageId) {
        if (!Ids.isValidMessageId(messageId)) {
            throw new IllegalArgumentException("messageId: " + messageId + " (expected: 16 digits, below 2^53)");
        }
        long v = messageId;
        for (int i = at + Ids.MESSAGE_ID_DIGITS - 1; i >= at; i--) {
            frame.setByte(i, (int) ('0' + v % 10));
            v /= 10;
        }
    }

    /** Writes {@code event} as a complete text frame; with a non-null {@code clientMsgId}, as the sender's acknowledgement. */
    public ByteBuf encodeEvent(ByteBufAllocator alloc, ServerEvent event, String clientMsgId) {
        return encode(alloc, event, clientMsgId);
    }

    private ByteBuf encode(ByteBufAllocator alloc, ServerEvent event, String clientMsgId) {
        if (!Ids.isValidMessageId(event.messageId())) {
            throw new IllegalArgumentException(
                    "messageId: " + event.messageId() + " (expected: 16 digits, below 2^53)");
        }
        ByteBuf frame = begin(alloc, event.message().length() + EVENT_OVERHEAD_GUESS);
        try (JsonGenerator g = open(frame)) {
            g.writeStartObject();
            g.writeStringField("type", event.type());
            g.writeStringField("message", event.message());
            g.writeNumberField("conversation_id", event.conversationId());
            g.writeNumberField("sender_id", event.senderId());
            if (event.senderName() != null) {
                g.writeStringField("sender_name", event.senderName());
            }
            if (event.senderAvatar() != null) {
                g.writeStringField("sender_avatar", event.senderAvatar());
            }
            g.writeFieldName("created_at");
            char[] timestamp = new char[Rfc3339.LENGTH];
            Rfc3339.format(event.createdAtMillis(), timestamp);
            g.writeString(timestamp, 0, Rfc3339.LENGTH);
            g.writeNumberField("message_id", event.messageId());
            if (clientMsgId != null) {
                g.writeStringField("client_msg_id", clientMsgId);
            }
            g.writeEndObject();
        } catch (IOException | RuntimeException e) {
            frame.release();
            throw rethrow(e);
        }
        return finish(frame);
    }

    /**
     * Writes an {@code ERROR} frame for one connection. {@code conversationId} is written when it is a valid id,
     * {@code clientMsgId} when non-null.
     */
    public ByteBuf encodeError(
            ByteBufAllocator alloc, ErrorCode code, String message, long conversationId, String clientMsgId) {
        ByteBuf frame = begin(alloc, message.length() + 128);
        try (JsonGenerator g = open(frame)) {
            g.writeStartObject();
            g.writeStringField("type", "ERROR");
            g.writeStringField("code", code.wireName());
            g.writeStringField("message", message);
            if (Ids.isValid(conversationId)) {
                g.writeNumberField("conversation_id", conversationId);
            }
            if (clientMsgId != null) {
                g.writeStringField("client_msg_id", clientMsgId);
            }
            g.writeEndObject();
        } catch (IOException | RuntimeException e) {
            frame.release();
            throw rethrow(e);
        }
        return finish(frame);
    }

    /**
     * Writes the answer to a {@code HISTORY} request: {@code {"type":"HISTORY","conversation_id":C,"trimmed":b,
     * "before":<oldest id>,"events":[...]}}, {@code before} left out when there are no events. Each event is copied in
     * as it is: the JSON of a server event this encoder wrote for the live members.
     *
     * @param events   oldest first, each one event's JSON (UTF-8)
     * @param oldestId the first event's {@code message_id}, the {@code before} of the next page back
     */
    public ByteBuf encodeHistory(
            ByteBufAllocator alloc,
            long conversationId,
            java.util.List<byte[]> events,
            boolean trimmed,
            long oldestId) {
        int size = 96;
        for (byte[] e : events) {
            size += e.length + 1;
        }
        ByteBuf frame = begin(alloc, size);
        try {
            try (JsonGenerator g = open(frame)) {
                // The object stays open: the events are appended as they are, not re-encoded.
                g.disable(JsonGenerator.Feature.AUTO_CLOSE_JSON_CONTENT);
                g.writeStartObject();
                g.writeStringField("type", "HISTORY");
                g.writeNumberField("conversation_id", conversationId);
                g.writeBooleanField("trimmed", trimmed);
                if (!events.isEmpty()) {
                    g.writeNumberField("before", oldestId);
                }
            }
            frame.writeBytes(EVENTS_FIELD);
            for (int i = 0; i < events.size(); i++) {
                if (i > 0) {
                    frame.writeByte(',');
                }
                frame.writeBytes(events.get(i));
            }
            frame.writeByte(']');
            frame.writeByte('}');
        } catch (IOException | RuntimeException e) {
            frame.release();
            throw rethrow(e);
        }
        return finish(frame);
    }

    /**
     * Writes {@code {"type":"PRESENCE","user_id":U,"status":"online"|"offline"}}: one frame per change, shared by every
     * subscribed connection on the node.
     */
    public ByteBuf encodePresence(ByteBufAllocator alloc, long userId, boolean online) {
        ByteBuf frame = begin(alloc, 64);
        try (JsonGenerator g = open(frame)) {
            g.writeStartObject();
            g.writeStringField("type", "PRESENCE");
            g.writeNumberField("user_id", userId);
            g.writeStringField("status", online ? "online" : "offline");
            g.writeEndObject();
        } catch (IOException | RuntimeException e) {
            frame.release();
            throw rethrow(e);
        }
        return finish(frame);
    }

    /**
     * Writes a {@code TYPING} event: {@code {"type":"TYPING","conversation_id":N,"sender_id":U,"sender_name":"Ann"}},
     * {@code sender_name} left out when {@code null}. Encoded once and shared by every recipient.
     */
    public ByteBuf encodeTyping(ByteBufAllocator alloc, long conversationId, long senderId, String senderName) {
        ByteBuf frame = begin(alloc, 96 + (senderName == null ? 0 : senderName.length() * 3));
        try (JsonGenerator g = open(frame)) {
            g.writeStartObject();
            g.writeStringField("type", "TYPING");
            g.writeNumberField("conversation_id", conversationId);
            g.writeNumberField("sender_id", senderId);
            if (senderName != null) {
                g.writeStringField("sender_name", senderName);
            }
            g.writeEndObject();
        } catch (IOException | RuntimeException e) {
            frame.release();
            throw rethrow(e);
        }
        return finish(frame);
    }

    /** Writes a {@code READ} event: {@code {"type":"READ","conversation_id":N,"user_id":U,"message_id":M}}. */
    public ByteBuf encodeRead(ByteBufAllocator alloc, long conversationId, long userId, long messageId) {
        ByteBuf frame = begin(alloc, 112);
        try (JsonGenerator g = open(frame)) {
            g.writeStartObject();
            g.writeStringField("type", "READ");
            g.writeNumberField("conversation_id", conversationId);
            g.writeNumberField("user_id", userId);
            g.writeNumberField("message_id", messageId);
            g.writeEndObject();
        } catch (IOException | RuntimeException e) {
            frame.release();
            throw rethrow(e);
        }
        return finish(frame);
    }

    /**
     * Writes the answer to a {@code READS} request: {@code {"type":"READS","conversation_id":N,"unread":K,
     * "positions":[{"user_id":U,"message_id":M},...]}}, with {@code "unread_capped":true} after {@code unread} when the
     * count is a lower bound (docs/protocol.md, "Unread counts").
     *
     * @param userIds    the members with a read position, in the order written
     * @param messageIds their positions, index for index
     */
    public ByteBuf encodeReads(
            ByteBufAllocator alloc,
            long conversationId,
            long unread,
            boolean unreadCapped,
            long[] userIds,
            long[] messageIds) {
        ByteBuf frame = begin(alloc, 96 + 48 * userIds.length);
        try (JsonGenerator g = open(frame)) {
            g.writeStartObject();
            g.writeStringField("type", "READS");
            g.writeNumberField("conversation_id", conversationId);
            g.writeNumberField("unread", unread);
            if (unreadCapped) {
                g.writeBooleanField("unread_capped", true);
            }
            g.writeArrayFieldStart("positions");
            for (int i = 0; i < userIds.length; i++) {
                g.writeStartObject();
                g.writeNumberField("user_id", userIds[i]);
                g.writeNumberField("message_id", messageIds[i]);
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
        } catch (IOException | RuntimeException e) {
            frame.release();
            throw rethrow(e);
        }
        return finish(frame);
    }

    /**
     * Writes the answer to an {@code UNREAD} request: {@code {"type":"UNREAD","conversations":[{"conversation_id":N,
     * "unread":K},...]}}, an entry with {@code "unread_capped":true} when its count is a lower bound.
     *
     * @param conversationIds the conversations, in the order written
     * @param unread          their unread counts, index for index
     * @param capped          whether each count is a lower bound, index for index
     */
    public ByteBuf encodeUnread(ByteBufAllocator alloc, long[] conversationIds, long[] unread, boolean[] capped) {
        ByteBuf frame = begin(alloc, 64 + 64 * conversationIds.length);
        try (JsonGenerator g = open(frame)) {
            g.writeStartObject();
            g.writeStringField("type", "UNREAD");
            g.writeArrayFieldStart("conversations");
            for (int i = 0; i < conversationIds.length; i++) {
                g.writeStartObject();
                g.writeNumberField("conversation_id", conversationIds[i]);
                g.writeNumberField("unread", unread[i]);
                if (capped[i]) {
                    g.writeBooleanField("unread_capped", true);
                }
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
        } catch (IOException | RuntimeException e) {
            frame.release();
            throw rethrow(e);
        }
        return finish(frame);
    }

    private static final byte[] EVENTS_FIELD = ",\"events\":[".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    /** The JSON payload of a frame written by this encoder, as a slice sharing its bytes (for relays and tests). */
    public static ByteBuf payloadOf(ByteBuf frame) {
        int at = frame.readerIndex();
        int len7 = frame.getByte(at + 1) & 0x7F;
        int header = len7 < 126 ? 2 : len7 == 126 ? 4 : 10;
        return frame.slice(at + header, frame.readableBytes() - header);
    }

    private JsonGenerator open(ByteBuf frame) throws IOException {
        JsonGenerator g =
                json.createGenerator((java.io.OutputStream) new ByteBufOutputStream(frame), JsonEncoding.UTF8);
        g.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
        return g;
    }

    private static ByteBuf begin(ByteBufAllocator alloc, int payloadGuess) {
        ByteBuf frame = alloc.buffer(MAX_HEADER_BYTES + payloadGuess);
        frame.writerIndex(MAX_HEADER_BYTES);
        frame.readerIndex(MAX_HEADER_BYTES);
        return frame;
    }

    private static ByteBuf finish(ByteBuf frame) {
        int length = frame.writerIndex() - MAX_HEADER_BYTES;
        int start;
        if (length < 126) {
            start = MAX_HEADER_BYTES - 2;
            frame.setByte(start + 1, length);
        } else if (length < 65_536) {
            start = MAX_HEADER_BYTES - 4;
            frame.setByte(start + 1, 126);
            frame.setShort(start + 2, length);
        } else {
            start = 0;
            frame.setByte(start + 1, 127);
            frame.setLong(start + 2, length);
        }
        frame.setByte(start, FIN_TEXT);
        frame.readerIndex(start);
        return frame;
    }

    private static RuntimeException rethrow(Exception e) {
        return e instanceof IOException io ? new UncheckedIOException(io) : (RuntimeException) e;
    }
}
