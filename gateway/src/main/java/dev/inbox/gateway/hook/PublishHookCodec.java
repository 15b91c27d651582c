package dev.inbox.gateway.hook;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * The publish hook's wire format, both ways (the contract is in docs/operations.md, "Hooks"): the request body, and
 * the answer read into a {@link PublishVerdict}. Streaming Jackson, no object mapping. Thread-safe.
 *
 * <p>A 2xx answer is an empty body or a JSON object whose only field read is {@code message}: a string of at most
 * {@code --max-message-chars} code points that replaces the text. Anything else in a 2xx is malformed, so
 * {@link PublishVerdict.Kind#UNAVAILABLE}: a backend that meant to admit but answered garbage must not have its
 * message delivered with the wrong text. A 4xx's reason is read from {@code {"reason":"..."}} when there is one.
 */
final class PublishHookCodec {
    /** Longest reason from a 4xx passed to the sender, in code points; longer ones are cut. */
    static final int MAX_REASON_CHARS = 200;

    private final JsonFactory json = JsonFactory.builder().build();
    private final int maxMessageChars;

    PublishHookCodec(int maxMessageChars) {
        this.maxMessageChars = maxMessageChars;
    }

    /**
     * The request body. {@code claimsJson}, the sender's verified claims object, goes in as it is; without it (dev
     * mode, or a user the token did not describe) the claims are {@code sub}, {@code name} and {@code picture}.
     */
    byte[] request(
            long conversationId,
            long senderId,
            String senderName,
            String senderAvatar,
            String type,
            String message,
            String clientMsgId,
            String claimsJson) {
        ByteArrayBuilder out = new ByteArrayBuilder(256 + message.length());
        try (JsonGenerator g = json.createGenerator(out)) {
            g.writeStartObject();
            g.writeNumberField("conversation_id", conversationId);
            g.writeNumberField("sender_id", senderId);
            g.writeStringField("sender_name", senderName);
            g.writeStringField("sender_avatar", senderAvatar);
            g.writeStringField("type", type);
            g.writeStringField("message", message);
            g.writeStringField("client_msg_id", clientMsgId);
            g.writeFieldName("claims");
            if (claimsJson != null) {
                g.writeRawValue(claimsJson);
            } else {
                g.writeStartObject();
                g.writeStringField("sub", Long.toString(senderId));
                if (senderName != null) {
                    g.writeStringField("name", senderName);
                }
                if (senderAvatar != null) {
                    g.writeStringField("picture", senderAvatar);
                }
                g.writeEndObject();
            }
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a ByteArrayBuilder does no I/O
        }
        return out.toByteArray();
    }

    /** What the backend's answer means for the message. Never throws. */
    PublishVerdict answer(HookResponse response) {
        if (response.ok()) {
            return admitted(response.body());
        }
        if (response.refused()) {
            return PublishVerdict.reject(reason(response));
        }
        return PublishVerdict.unavailable("HTTP " + response.status());
    }

    /** A 2xx body: empty, or an object with an optional string {@code message}; else malformed. */
    private PublishVerdict admitted(byte[] body) {
        if (isBlank(body)) {
            return PublishVerdict.admit(null);
        }
        String replacement = null;
        boolean seen = false;
        try (JsonParser p = json.createParser(body)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return malformed("not a JSON object");
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken value = p.nextToken();
                if (!field.equals("message")) {
                    p.skipChildren(); // unknown fields are the backend's business
                    continue;
                }
                if (seen) {
                    return malformed("message given twice");
                }
                seen = true;
                if (value != JsonToken.VALUE_STRING) {
                    return malformed("message must be a string");
                }
                replacement = p.getText();
                if (replacement.length() > maxMessageChars
                        && replacement.codePointCount(0, replacement.length()) > maxMessageChars) {
                    return malformed("message longer than " + maxMessageChars + " characters");
                }
            }
            if (p.currentToken() != JsonToken.END_OBJECT || p.nextToken() != null) {
                return malformed("not one JSON object");
            }
        } catch (IOException e) {
            return malformed("not JSON");
        }
        return PublishVerdict.admit(replacement);
    }

    /** A 4xx body's {@code reason}, cut to {@link #MAX_REASON_CHARS}, or a reason naming the status. */
    private String reason(HookResponse response) {
        String fallback = "rejected by the backend (HTTP " + response.status() + ")";
        byte[] body = response.body();
        if (isBlank(body)) {
            return fallback;
        }
        try (JsonParser p = json.createParser(body)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return fallback;
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken value = p.nextToken();
                if (field.equals("reason") && value == JsonToken.VALUE_STRING) {
                    String reason = p.getText();
                    return reason.isEmpty() ? fallback : cut(reason);
                }
                p.skipChildren();
            }
        } catch (IOException e) {
            // a refusal whatever its body says; only the reason is lost
        }
        return fallback;
    }

    private static String cut(String reason) {
        if (reason.length() <= MAX_REASON_CHARS || reason.codePointCount(0, reason.length()) <= MAX_REASON_CHARS) {
            return reason;
        }
        return reason.substring(0, reason.offsetByCodePoints(0, MAX_REASON_CHARS));
    }

    private static PublishVerdict malformed(String why) {
        return PublishVerdict.unavailable("malformed answer: " + why);
    }

    /** Whether a 2xx answer says nothing beyond its status: empty, or JSON whitespace only. */
    private static boolean isBlank(byte[] body) {
        for (byte b : body) {
            if (b != ' ' && b != '\t' && b != '\n' && b != '\r') {
                return false;
            }
        }
        return true;
    }
}
