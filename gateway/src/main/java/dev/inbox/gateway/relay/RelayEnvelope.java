package dev.inbox.gateway.relay;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * What travels on a user channel {@code inbox:u:<user id>} (the target user is the channel):
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
 */
public final class RelayEnvelope {
    static final byte VERSION = 1;
    /** Kind of an envelope carrying a {@code TYPING} event. */
    static final byte TYPING = 2;
    /** Kind of an envelope carrying a {@code READ} event. */
    static final byte READ = 3;

    public static final int HEADER_BYTES = 25;
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

    /** Whether {@code envelope} is one this version reads: the header and a frame. */
    public static boolean isValid(byte[] envelope) {
        return envelope.length > HEADER_BYTES && envelope[0] >= VERSION && envelope[0] <= READ;
    }

    /** {@link #VERSION} for a message, {@link #TYPING} or {@link #READ} for an event. */
    static byte kind(byte[] envelope) {
        return envelope[0];
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
        return Unpooled.wrappedBuffer(envelope, HEADER_BYTES, envelope.length - HEADER_BYTES);
    }
}
