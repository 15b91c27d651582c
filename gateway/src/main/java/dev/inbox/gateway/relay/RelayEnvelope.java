package dev.inbox.gateway.relay;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * What travels between nodes, on a node's channel (addressed, below) or on a cluster on a user channel
 * {@code inbox:u:<user id>} (the target user is the channel):
 * <pre>
 *   byte 0       kind: 1 a message (the version this layout started as), 2 a TYPING event, 3 a READ event
 *   bytes 1-8    origin node id (big-endian long): a node ignores its own messages, already delivered locally
 *   bytes 9-16   conversation id (big-endian long): the receiver orders delivery by conversation
 *   bytes 17-24  when the origin accepted the message, epoch milliseconds (for the delivery latency meter)
 *   bytes 25-    the complete WebSocket text frame, header and JSON, exactly as the origin wrote it
 * </pre>
 * 25 bytes on top of the frame; the receiver writes the frame bytes to its sockets as they are. An event (kinds 2
 * and 3) is not a message: the receiver records no delivery latency for it, and drops a TYPING for a connection over
 * its outbound bound. A node that predates a kind drops its envelopes (and logs it).
 *
 * <p>On a node's channel ({@link NodeRegistry}) the envelope is <em>addressed</em>: the kind has {@link #ADDRESSED}
 * added, and between the header and the frame come the recipients, decimal user ids separated by {@code ,} and
 * ended by {@code ;} (written by the script, which handles text more easily than binary).
 */
public final class RelayEnvelope {
    static final byte VERSION = 1;
    /** Kind of an envelope carrying a {@code TYPING} event. */
    static final byte TYPING = 2;
    /** Kind of an envelope carrying a {@code READ} event. */
    static final byte READ = 3;

    /** Added to the kind of an envelope addressed to a node, which lists its recipients. */
    static final byte ADDRESSED = 16;

    public static final int HEADER_BYTES = 25;
    /** A user id's digits at most: 18, the positive longs the gateway gives out. */
    private static final int MAX_ID_DIGITS = 18;
    /** Big-endian longs read and written in place: no {@code ByteBuffer} wrapper per field. */
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

    private RelayEnvelope() {}

    /** The envelope of {@code frame} (its readable bytes, which stay unread) from {@code originNode}. */
    public static byte[] encode(long originNode, long conversationId, long acceptedAtMillis, ByteBuf frame) {
        return encode(VERSION, originNode, conversationId, acceptedAtMillis, frame);
    }

    /** The envelope of an event of {@code kind} ({@link #TYPING}, {@link #READ}). */
    static byte[] encode(byte kind, long originNode, long conversationId, long acceptedAtMillis, ByteBuf frame) {
        byte[] envelope = new byte[HEADER_BYTES + frame.readableBytes()];
        envelope[0] = kind;
        LONGS.set(envelope, 1, originNode);
        LONGS.set(envelope, 9, conversationId);
        LONGS.set(envelope, 17, acceptedAtMillis);
        frame.getBytes(frame.readerIndex(), envelope, HEADER_BYTES, frame.readableBytes());
        return envelope;
    }

    /**
     * Whether {@code envelope} is one this version reads: the header and a frame, and for an addressed one a list of
     * recipients.
     */
    public static boolean isValid(byte[] envelope) {
        if (envelope.length <= HEADER_BYTES) {
            return false;
        }
        int kind = envelope[0] > READ ? envelope[0] - ADDRESSED : envelope[0];
        return kind >= VERSION && kind <= READ && (envelope[0] <= READ || frameStart(envelope) < envelope.length);
    }

    /** Whether {@code envelope} (valid) is addressed to a node and lists its recipients. */
    static boolean addressed(byte[] envelope) {
        return envelope[0] > READ;
    }

    /** {@link #VERSION} for a message, {@link #TYPING} or {@link #READ} for an event, addressed or not. */
    static byte kind(byte[] envelope) {
        return envelope[0] > READ ? (byte) (envelope[0] - ADDRESSED) : envelope[0];
    }

    /**
     * The recipients of an addressed envelope, or {@code null} when the list is not a list of user ids. One array per
     * envelope: per node, not per recipient.
     */
    static long[] recipients(byte[] envelope) {
        int end = frameStart(envelope) - 1;
        if (end <= HEADER_BYTES) {
            return null;
        }
        int count = 1;
        for (int i = HEADER_BYTES; i < end; i++) {
            if (envelope[i] == ',') {
                count++;
            }
        }
        long[] users = new long[count];
        int n = 0;
        long id = 0;
        int digits = 0;
        for (int i = HEADER_BYTES; i <= end; i++) {
            byte b = envelope[i];
            if (b == ',' || i == end) {
                if (digits == 0 || id <= 0) {
                    return null;
                }
                users[n++] = id;
                id = 0;
                digits = 0;
            } else if (b >= '0' && b <= '9' && digits < MAX_ID_DIGITS) {
                id = id * 10 + (b - '0');
                digits++;
            } else {
                return null;
            }
        }
        return users;
    }

    /** Where the frame starts: after the header, or after an addressed envelope's {@code ;} (the length if none). */
    private static int frameStart(byte[] envelope) {
        if (envelope[0] <= READ) {
            return HEADER_BYTES;
        }
        for (int i = HEADER_BYTES; i < envelope.length; i++) {
            if (envelope[i] == ';') {
                return i + 1;
            }
        }
        return envelope.length;
    }

    public static long origin(byte[] envelope) {
        return (long) LONGS.get(envelope, 1);
    }

    public static long conversationId(byte[] envelope) {
        return (long) LONGS.get(envelope, 9);
    }

    public static long acceptedAtMillis(byte[] envelope) {
        return (long) LONGS.get(envelope, 17);
    }

    /** The frame inside {@code envelope}: a view of the array, not a copy. */
    public static ByteBuf frameOf(byte[] envelope) {
        int start = frameStart(envelope);
        return Unpooled.wrappedBuffer(envelope, start, envelope.length - start);
    }
}
