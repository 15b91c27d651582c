package dev.inbox.protocol;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.HashMap;
import java.util.Map;

/**
 * Reads a {@code RESUME} request: {@code {"type":"RESUME","position":"<token>"|null,
 * "conversations":[{"conversation_id":C,"message_id":"<id>"},...]}}. {@code conversations} may be absent (nothing
 * seen since the position); a {@code message_id} may be a string of digits or a number. Anything else, a conversation
 * listed twice or more than {@code maxConversations} of them is {@code bad_resume}: a silent partial resume would
 * hide a gap. Unknown fields are skipped.
 */
public final class ResumeRequestDecoder {
    public static final String TYPE_RESUME = "RESUME";
    /** A position token is short; anything longer is not one of ours. */
    static final int MAX_POSITION_CHARS = 128;

    private final JsonFactory json = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxNestingDepth(ClientMessageDecoder.MAX_NESTING_DEPTH)
                    .build())
            .build();
    private final int maxConversations;

    public ResumeRequestDecoder(int maxConversations) {
        this.maxConversations = maxConversations;
    }

    public ResumeRequest decode(ByteBuf frame) throws ProtocolException {
        try (JsonParser p = json.createParser((InputStream) new ByteBufInputStream(frame.duplicate(), false))) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw bad("a RESUME request is one JSON object");
            }
            String type = null;
            String position = null;
            Map<Long, Long> lastSeen = new HashMap<>();
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken value = p.nextToken();
                switch (field) {
                    case "type" -> type = value == JsonToken.VALUE_STRING ? p.getText() : null;
                    case "position" -> {
                        if (value == JsonToken.VALUE_STRING && p.getTextLength() <= MAX_POSITION_CHARS) {
                            position = p.getText();
                        } else if (value != JsonToken.VALUE_NULL) {
                            throw bad("position must be the string of a RESUMED frame, or null");
                        }
                    }
                    case "conversations" -> {
                        if (value != JsonToken.START_ARRAY) {
                            throw bad("conversations must be an array");
                        }
                        while (p.nextToken() == JsonToken.START_OBJECT) {
                            readConversation(p, lastSeen);
                        }
                        if (p.currentToken() != JsonToken.END_ARRAY) {
                            throw bad("conversations must hold objects");
                        }
                    }
                    default -> p.skipChildren();
                }
            }
            if (p.nextToken() != null) {
                throw bad("trailing data after the RESUME request");
            }
            if (!TYPE_RESUME.equals(type)) {
                throw bad("the first frame of a connection opened with ?resume=1 must be {\"type\":\"RESUME\",...}");
            }
            return new ResumeRequest(position, lastSeen);
        } catch (IOException e) {
            throw bad("the RESUME request is not well-formed JSON");
        }
    }

    private void readConversation(JsonParser p, Map<Long, Long> lastSeen) throws IOException, ProtocolException {
        long conversationId = -1;
        long messageId = -1;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            JsonToken value = p.nextToken();
            switch (field) {
                case "conversation_id" -> {
                    if (value == JsonToken.VALUE_NUMBER_INT
                            && p.getNumberType() != JsonParser.NumberType.BIG_INTEGER
                            && Ids.isValid(p.getLongValue())) {
                        conversationId = p.getLongValue();
                    }
                }
                case "message_id" -> messageId = messageId(p, value);
                default -> p.skipChildren();
            }
        }
        if (conversationId < 0 || messageId < 0) {
            throw bad("each of conversations needs a valid conversation_id and message_id");
        }
        if (lastSeen.put(conversationId, messageId) != null) {
            throw bad("conversation " + conversationId + " is listed twice");
        }
        if (lastSeen.size() > maxConversations) {
            throw bad("at most " + maxConversations + " conversations may be listed");
        }
    }

    private static long messageId(JsonParser p, JsonToken value) throws IOException {
        if (value == JsonToken.VALUE_NUMBER_INT && p.getNumberType() != JsonParser.NumberType.BIG_INTEGER) {
            long id = p.getLongValue();
            return id >= 0 && id <= Ids.MAX_SAFE ? id : -1; // 0: none seen
        }
        if (value == JsonToken.VALUE_STRING) {
            String s = p.getText();
            if (s.isEmpty() || s.length() > 18 || !s.chars().allMatch(c -> c >= '0' && c <= '9')) {
                return -1;
            }
            long id = Long.parseLong(s);
            return id >= 0 && id <= Ids.MAX_SAFE ? id : -1; // 0: none seen
        }
        return -1;
    }

    private static ProtocolException bad(String why) {
        return new ProtocolException(ErrorCode.BAD_RESUME, why, 0, null);
    }
}
