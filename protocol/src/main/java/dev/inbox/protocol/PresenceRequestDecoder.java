package dev.inbox.protocol;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;

/**
 * Reads {@code PRESENCE_SUBSCRIBE} and {@code PRESENCE_UNSUBSCRIBE} frames with the same streaming parser and the same
 * rules as {@link ClientMessageDecoder} (bad_json, bad_frame for a duplicate field or trailing data, missing_field,
 * wrong_type), plus: {@code user_ids} is a non-empty array of user ids (integers from 1 to 2^53-1); more than
 * {@code maxUserIds} of them is {@code presence_limit}, found while reading, so a huge array is never held. Ids listed
 * twice count once.
 *
 * <p>{@link #decode} answers {@code null} for a frame of any other type, whose error the message decoder names; the
 * gateway reads a frame with this decoder only after the message decoder refused it, so messages never pay for it.
 * Thread-safe.
 */
public final class PresenceRequestDecoder {
    public static final String TYPE_SUBSCRIBE = "PRESENCE_SUBSCRIBE";
    public static final String TYPE_UNSUBSCRIBE = "PRESENCE_UNSUBSCRIBE";

    private final JsonFactory json = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxNestingDepth(ClientMessageDecoder.MAX_NESTING_DEPTH)
                    .maxNumberLength(64)
                    .build())
            .build();
    private final int maxUserIds;

    /** @param maxUserIds most ids one frame may list (the per-connection subscription bound) */
    public PresenceRequestDecoder(int maxUserIds) {
        if (maxUserIds <= 0) {
            throw new IllegalArgumentException("maxUserIds: " + maxUserIds + " (expected: > 0)");
        }
        this.maxUserIds = maxUserIds;
    }

    /**
     * Decodes the readable bytes of {@code frame} without consuming or releasing it.
     *
     * @return the request, or {@code null} when the frame is well-formed but of another type
     * @throws ProtocolException when a presence frame breaks a rule above
     */
    public PresenceRequest decode(ByteBuf frame) throws ProtocolException {
        try (JsonParser p = json.createParser((InputStream) new ByteBufInputStream(frame.duplicate(), false))) {
            return decode(p);
        } catch (StreamConstraintsException e) {
            throw new ProtocolException(ErrorCode.BAD_JSON, "frame exceeds a parser limit");
        } catch (IOException e) {
            throw new ProtocolException(ErrorCode.BAD_JSON, "malformed JSON");
        }
    }

    private PresenceRequest decode(JsonParser p) throws IOException, ProtocolException {
        if (p.nextToken() != JsonToken.START_OBJECT) {
            return null; // not ours: the message decoder names what is wrong with it
        }
        String type = null;
        boolean typeSeen = false;
        boolean idsSeen = false;
        long[] ids = null;
        int count = 0;
        ErrorCode error = null;
        String errorText = null;
        for (JsonToken t = p.nextToken(); t != JsonToken.END_OBJECT; t = p.nextToken()) {
            String field = p.currentName();
            JsonToken value = p.nextToken();
            if ("type".equals(field)) {
                if (typeSeen) {
                    throw new ProtocolException(ErrorCode.BAD_FRAME, "field 'type' appears more than once");
                }
                typeSeen = true;
                if (value == JsonToken.VALUE_STRING) {
                    type = p.getText();
                } else {
                    p.skipChildren();
                }
            } else if ("user_ids".equals(field)) {
                if (idsSeen) {
                    // Reported only if the frame is a presence frame: to any other type user_ids means nothing.
                    error = ErrorCode.BAD_FRAME;
                    errorText = "field 'user_ids' appears more than once";
                    p.skipChildren();
                    continue;
                }
                idsSeen = true;
                if (value == JsonToken.VALUE_NULL) {
                    continue;
                }
                if (value != JsonToken.START_ARRAY) {
                    p.skipChildren();
                    if (error == null) {
                        error = ErrorCode.WRONG_TYPE;
                        errorText = "user_ids must be an array of user ids";
                    }
                    continue;
                }
                ids = new long[Math.min(16, maxUserIds)];
                for (JsonToken v = p.nextToken(); v != JsonToken.END_ARRAY; v = p.nextToken()) {
                    if (v == JsonToken.VALUE_NUMBER_INT
                            && p.getNumberType() != JsonParser.NumberType.BIG_INTEGER
                            && Ids.isValid(p.getLongValue())) {
                        if (count == maxUserIds) {
                            if (error == null) {
                                error = ErrorCode.PRESENCE_LIMIT;
                                errorText = "user_ids lists more than " + maxUserIds + " users";
                            }
                        } else {
                            if (count == ids.length) {
                                ids = Arrays.copyOf(ids, Math.min(maxUserIds, count * 2));
                            }
                            ids[count++] = p.getLongValue();
                        }
                    } else {
                        p.skipChildren();
                        if (error == null) {
                            error = ErrorCode.WRONG_TYPE;
                            errorText = "user_ids must hold integers from 1 to 2^53-1";
                        }
                    }
                }
            } else {
                p.skipChildren();
            }
        }
        if (p.nextToken() != null) {
            throw new ProtocolException(ErrorCode.BAD_FRAME, "trailing data after the JSON object");
        }
        boolean subscribe = TYPE_SUBSCRIBE.equals(type);
        if (!subscribe && !TYPE_UNSUBSCRIBE.equals(type)) {
            return null;
        }
        if (error != null) {
            throw new ProtocolException(error, errorText);
        }
        if (ids == null) {
            throw new ProtocolException(ErrorCode.MISSING_FIELD, "missing field 'user_ids'");
        }
        if (count == 0) {
            throw new ProtocolException(ErrorCode.WRONG_TYPE, "user_ids must list at least one user");
        }
        long[] distinct = Arrays.stream(ids, 0, count).distinct().toArray();
        return new PresenceRequest(subscribe, distinct);
    }
}
