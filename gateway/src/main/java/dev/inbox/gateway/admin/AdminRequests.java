package dev.inbox.gateway.admin;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import dev.inbox.protocol.ClientMessageDecoder;
import dev.inbox.protocol.Ids;
import dev.inbox.protocol.ServerEvent;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufInputStream;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;

/**
 * Reads admin request bodies with a streaming parser: {@code {"user_ids":[1,2,3]}} and
 * {@code {"sender_id":1,"message":"...","type":"TEXT","sender_name":"...","sender_avatar":"..."}}. Unknown fields are
 * ignored, known ones must have the right type and appear once (a second one is refused, as in a client frame, rather
 * than silently winning), and the first problem is reported as a 400 naming it.
 */
final class AdminRequests {
    private final JsonFactory json = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxNestingDepth(16)
                    .maxNumberLength(64)
                    .build())
            .build();
    private static final Set<String> PUBLISH_FIELDS =
            Set.of("sender_id", "message", "type", "sender_name", "sender_avatar");

    private final int maxMembers;
    private final int maxMessageChars;

    AdminRequests(int maxMembers, int maxMessageChars) {
        this.maxMembers = maxMembers;
        this.maxMessageChars = maxMessageChars;
    }

    /** A publish request body. */
    record Publish(long senderId, String message, String type, String senderName, String senderAvatar) {}

    long[] userIds(ByteBuf body) throws AdminException {
        try (JsonParser p = open(body)) {
            expectObject(p);
            long[] ids = null;
            for (JsonToken t = p.nextToken(); t != JsonToken.END_OBJECT; t = p.nextToken()) {
                String field = p.currentName();
                JsonToken v = p.nextToken();
                if (!"user_ids".equals(field)) {
                    p.skipChildren();
                    continue;
                }
                if (ids != null) {
                    throw twice(field);
                }
                if (v != JsonToken.START_ARRAY) {
                    throw bad("wrong_type", "user_ids must be an array of user ids");
                }
                long[] buf = new long[16];
                int n = 0;
                while (p.nextToken() != JsonToken.END_ARRAY) {
                    if (n == maxMembers) {
                        throw new AdminException(
                                HttpResponseStatus.BAD_REQUEST,
                                "too_many_members",
                                "user_ids has more than " + maxMembers + " entries");
                    }
                    if (n == buf.length) {
                        buf = Arrays.copyOf(buf, n * 2);
                    }
                    buf[n++] = id(p, "user_ids[" + n + "]");
                }
                ids = Arrays.copyOf(buf, n);
            }
            expectEnd(p);
            if (ids == null) {
                throw bad("missing_field", "missing field 'user_ids'");
            }
            return ids;
        } catch (IOException e) {
            throw bad("bad_json", "malformed JSON body");
        }
    }

    Publish publish(ByteBuf body) throws AdminException {
        try (JsonParser p = open(body)) {
            expectObject(p);
            long senderId = 0;
            String message = null;
            String type = ClientMessageDecoder.TYPE_TEXT;
            String name = null;
            String avatar = null;
            Set<String> seen = new HashSet<>();
            for (JsonToken t = p.nextToken(); t != JsonToken.END_OBJECT; t = p.nextToken()) {
                String field = p.currentName();
                p.nextToken();
                if (PUBLISH_FIELDS.contains(field) && !seen.add(field)) {
                    throw twice(field);
                }
                switch (field) {
                    case "sender_id" -> senderId = id(p, "sender_id");
                    case "message" -> message = string(p, "message");
                    case "type" -> type = string(p, "type");
                    case "sender_name" ->
                        name = bounded(string(p, "sender_name"), "sender_name", ServerEvent.MAX_SENDER_NAME_CHARS);
                    case "sender_avatar" ->
                        avatar = bounded(
                                string(p, "sender_avatar"), "sender_avatar", ServerEvent.MAX_SENDER_AVATAR_CHARS);
                    default -> p.skipChildren();
                }
            }
            expectEnd(p);
            if (senderId == 0) {
                throw bad("missing_field", "missing field 'sender_id'");
            }
            if (message == null) {
                throw bad("missing_field", "missing field 'message'");
            }
            if (!ClientMessageDecoder.TYPE_TEXT.equals(type)) {
                throw bad("unknown_type", "unknown type (expected: TEXT)");
            }
            if (message.codePointCount(0, message.length()) > maxMessageChars) {
                throw bad("message_too_long", "message is longer than " + maxMessageChars + " characters");
            }
            return new Publish(senderId, message, type, name, avatar);
        } catch (IOException e) {
            throw bad("bad_json", "malformed JSON body");
        }
    }

    private JsonParser open(ByteBuf body) throws IOException, AdminException {
        if (!body.isReadable()) {
            throw bad("bad_json", "empty body (expected: a JSON object)");
        }
        return json.createParser((InputStream) new ByteBufInputStream(body.duplicate(), false));
    }

    private static void expectObject(JsonParser p) throws IOException, AdminException {
        if (p.nextToken() != JsonToken.START_OBJECT) {
            throw bad("bad_json", "the body must be a JSON object");
        }
    }

    private static void expectEnd(JsonParser p) throws IOException, AdminException {
        if (p.nextToken() != null) {
            throw bad("bad_json", "trailing data after the JSON object");
        }
    }

    private static long id(JsonParser p, String what) throws IOException, AdminException {
        if (p.currentToken() != JsonToken.VALUE_NUMBER_INT
                || p.getNumberType() == JsonParser.NumberType.BIG_INTEGER
                || !Ids.isValid(p.getLongValue())) {
            throw bad("wrong_type", what + " must be an integer from 1 to 2^53-1");
        }
        return p.getLongValue();
    }

    private static String string(JsonParser p, String what) throws IOException, AdminException {
        if (p.currentToken() != JsonToken.VALUE_STRING) {
            throw bad("wrong_type", what + " must be a string");
        }
        return p.getText();
    }

    /** {@code value}, unless it has more than {@code max} characters (code points, as for {@code message}). */
    private static String bounded(String value, String what, int max) throws AdminException {
        if (value.length() > max && value.codePointCount(0, value.length()) > max) {
            throw bad("wrong_type", what + " is longer than " + max + " characters");
        }
        return value;
    }

    private static AdminException twice(String field) {
        return bad("bad_json", "field '" + field + "' appears more than once");
    }

    static AdminException bad(String code, String message) {
        return new AdminException(HttpResponseStatus.BAD_REQUEST, code, message);
    }
}
