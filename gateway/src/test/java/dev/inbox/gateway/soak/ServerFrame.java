package dev.inbox.gateway.soak;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;

/**
 * What the soak needs from one server frame, read with Jackson's streaming parser (no tree: thousands of these a
 * second arrive in the test JVM). The soak's own texts start with {@code s<seq>:} and its {@code client_msg_id}s are
 * {@code c<seq>}, so a frame names the message it carries.
 *
 * @param type           {@code TEXT} or {@code ERROR}
 * @param conversationId the conversation, or 0
 * @param messageId      the server's {@code message_id}, or 0
 * @param senderId       {@code sender_id}, or 0
 * @param seq            the soak sequence number in the text, or -1 (not one of the soak's messages)
 * @param answerTo       the sequence number in {@code client_msg_id}, or -1 (not an answer to this connection)
 * @param code           an error's code, or null
 * @param position       a {@code RESUMED} frame's position token, or null
 * @param recovered      a {@code RESUMED} frame's {@code recovered}
 * @param reason         a {@code RESUMED} frame's {@code reason} (why not recovered), or null
 * @param notRecovered   how many entries a {@code RESUMED} frame's {@code not_recovered} lists
 */
record ServerFrame(
        String type,
        long conversationId,
        long messageId,
        long senderId,
        int seq,
        int answerTo,
        String code,
        String position,
        boolean recovered,
        String reason,
        int notRecovered) {
    private static final JsonFactory JSON = new JsonFactory();

    /** Any frame but a {@code RESUMED}. */
    ServerFrame(String type, long conversationId, long messageId, long senderId, int seq, int answerTo, String code) {
        this(type, conversationId, messageId, senderId, seq, answerTo, code, null, false, null, 0);
    }

    /** A {@code RESUMED} frame. */
    static ServerFrame resumed(String position, boolean recovered, String reason, int notRecovered) {
        return new ServerFrame("RESUMED", 0, 0, 0, -1, -1, null, position, recovered, reason, notRecovered);
    }

    /**
     * The first frame of a connection opened with {@code ?resume=1} (docs/protocol.md, Resume): the position of the
     * last {@code RESUMED} (null on a first connection) and the highest {@code message_id} seen per conversation since.
     */
    static String resume(String position, java.util.Map<Long, Long> highest) {
        StringBuilder b = new StringBuilder("{\"type\":\"RESUME\",\"position\":");
        b.append(position == null ? "null" : "\"" + position + "\"").append(",\"conversations\":[");
        String sep = "";
        for (java.util.Map.Entry<Long, Long> e : highest.entrySet()) {
            b.append(sep)
                    .append("{\"conversation_id\":")
                    .append(e.getKey())
                    .append(",\"message_id\":\"")
                    .append(e.getValue())
                    .append("\"}");
            sep = ",";
        }
        return b.append("]}").toString();
    }

    boolean isResumed() {
        return "RESUMED".equals(type);
    }

    static String text(int seq, long conversationId, String padding) {
        return "{\"type\":\"TEXT\",\"conversation_id\":" + conversationId + ",\"message\":\"s" + seq + ":" + padding
                + "\",\"client_msg_id\":\"c" + seq + "\"}";
    }

    boolean isText() {
        return "TEXT".equals(type);
    }

    boolean isError() {
        return "ERROR".equals(type);
    }

    /** Parses a frame; anything not a JSON object comes back with type {@code null}. */
    static ServerFrame parse(String frame) {
        String type = null;
        String code = null;
        long conversation = 0;
        long messageId = 0;
        long sender = 0;
        int seq = -1;
        int answerTo = -1;
        String position = null;
        boolean recovered = false;
        String reason = null;
        int notRecovered = 0;
        try (JsonParser p = JSON.createParser(frame)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return new ServerFrame(null, 0, 0, 0, -1, -1, null);
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken value = p.nextToken();
                switch (name) {
                    case "type" -> type = p.getText();
                    case "code" -> code = p.getText();
                    case "conversation_id" -> conversation = p.getLongValue();
                    case "message_id" -> messageId = p.getLongValue();
                    case "sender_id" -> sender = p.getLongValue();
                    case "message" -> seq = number(p.getText(), 's', ':');
                    case "client_msg_id" -> answerTo = number(p.getText(), 'c', '\0');
                    case "position" -> position = value == JsonToken.VALUE_STRING ? p.getText() : null;
                    case "recovered" -> recovered = value == JsonToken.VALUE_TRUE;
                    case "reason" -> reason = p.getText();
                    case "not_recovered" -> {
                        if (value == JsonToken.START_ARRAY) {
                            while (p.nextToken() != JsonToken.END_ARRAY) {
                                notRecovered++;
                                p.skipChildren();
                            }
                        }
                    }
                    default -> {
                        if (value == JsonToken.START_OBJECT || value == JsonToken.START_ARRAY) {
                            p.skipChildren();
                        }
                    }
                }
            }
        } catch (IOException e) {
            return new ServerFrame(null, 0, 0, 0, -1, -1, null);
        }
        return new ServerFrame(
                type, conversation, messageId, sender, seq, answerTo, code, position, recovered, reason, notRecovered);
    }

    /** The digits after {@code prefix} up to {@code end} (or the end of the text), or -1. */
    private static int number(String text, char prefix, char end) {
        if (text == null || text.length() < 2 || text.charAt(0) != prefix) {
            return -1;
        }
        int n = 0;
        int i = 1;
        for (; i < text.length() && text.charAt(i) != end; i++) {
            char c = text.charAt(i);
            if (c < '0' || c > '9' || n > (Integer.MAX_VALUE - 9) / 10) {
                return -1;
            }
            n = n * 10 + (c - '0');
        }
        return i == 1 ? -1 : n;
    }
}
