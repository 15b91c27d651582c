package dev.inbox.gateway.routing;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufInputStream;
import io.netty.util.collection.LongObjectHashMap;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Map;

/**
 * A resumed connection's seam between replay and live events (docs/protocol.md, "Resume"). While the replay is read
 * and written, live frames are held; after it, until a live message above the replay's end has come through for each
 * conversation, or until the seam closes, a live message at or below it is one the client has already (replayed, or
 * seen before it reconnected) and is dropped. The second half is needed because a message published just before the
 * feed was read may still be on its way from Redis when the replay ends; ids reach a connection in order per
 * conversation, so once a newer one has passed, none older can follow. Only a resumed connection has one, and only
 * for {@link #WINDOW_NANOS}. Event loop only.
 */
final class ResumeSeam {
    /** How long after a replay its late duplicates are looked for: far past any relay lag a node stays connected in. */
    static final long WINDOW_NANOS = 30_000_000_000L;

    private static final JsonFactory JSON = JsonFactory.builder().build();

    /** Live frames held while the replay runs; null once it has been written. */
    ArrayList<ByteBuf> held = new ArrayList<>();

    long heldBytes;
    /** Per conversation, the highest message_id the client has after the replay; null while holding. */
    private LongObjectHashMap<Long> delivered;

    private long endsNanos;

    void replayed(Map<Long, Long> deliveredPerConversation, long nowNanos) {
        delivered = new LongObjectHashMap<>(Math.max(4, deliveredPerConversation.size() * 2));
        for (Map.Entry<Long, Long> e : deliveredPerConversation.entrySet()) {
            delivered.put(e.getKey(), e.getValue());
        }
        endsNanos = nowNanos + WINDOW_NANOS;
    }

    /** Whether the seam has nothing more to catch: every conversation has moved past it, or its window is over. */
    boolean over(long nowNanos) {
        return delivered == null || delivered.isEmpty() || nowNanos - endsNanos > 0;
    }

    /** Whether a live frame is a message the client has already; a newer one closes its conversation's seam. */
    boolean alreadyDelivered(ByteBuf frame) {
        long[] ids = messageIdsOf(frame);
        if (ids == null) {
            return false;
        }
        Long upTo = delivered.get(ids[0]);
        if (upTo == null) {
            return false;
        }
        if (ids[1] <= upTo) {
            return true;
        }
        delivered.remove(ids[0]);
        return false;
    }

    /**
     * The conversation_id and message_id of an encoded server frame (unmasked) that carries a message event, or null
     * for any other frame: an acknowledgement (it has a {@code client_msg_id}: a resend's ack carries the original
     * id, and must reach its sender), an error, a {@code READ} (a message_id but no sender), a {@code TYPING}.
     */
    static long[] messageIdsOf(ByteBuf frame) {
        int at = frame.readerIndex();
        int len = frame.getByte(at + 1) & 0x7F;
        int header = len < 126 ? 2 : len == 126 ? 4 : 10;
        ByteBuf payload = frame.slice(at + header, frame.readableBytes() - header);
        long conversation = -1;
        long message = -1;
        boolean sender = false;
        try (JsonParser p = JSON.createParser((InputStream) new ByteBufInputStream(payload, false))) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return null;
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken value = p.nextToken();
                if (field.equals("client_msg_id")) {
                    return null;
                } else if (field.equals("sender_id")) {
                    sender = true;
                } else if (field.equals("conversation_id") && value == JsonToken.VALUE_NUMBER_INT) {
                    conversation = p.getLongValue();
                } else if (field.equals("message_id") && value == JsonToken.VALUE_NUMBER_INT) {
                    message = p.getLongValue();
                } else if (field.equals("message_id") && value == JsonToken.VALUE_STRING) {
                    message = Long.parseLong(p.getText());
                } else {
                    p.skipChildren();
                }
            }
        } catch (IOException | NumberFormatException e) {
            return null;
        }
        return !sender || conversation < 0 || message < 0 ? null : new long[] {conversation, message};
    }
}
