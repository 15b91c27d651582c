package dev.inbox.gateway.relay;

import java.nio.ByteBuffer;

/**
 * What travels on a user channel {@code inbox:u:<user id>} (the target user is the channel):
 * <pre>
 *   byte 0       version, 1
 *   bytes 1-8    origin node id (big-endian long): a node ignores its own messages, already delivered locally
 *   bytes 9-16   conversation id (big-endian long): the receiver orders delivery by conversation
 *   bytes 17-24  when the origin accepted the message, epoch milliseconds (for the delivery latency meter)
 *   bytes 25-    the complete WebSocket text frame, header and JSON, exactly as the origin wrote it
 * </pre>
 * 25 bytes on top of the frame; the receiver writes the frame bytes to its sockets as they are.
 */
final class RelayEnvelope {
    static final byte VERSION = 1;
    static final int HEADER_BYTES = 25;

    private RelayEnvelope() {
    }

    /** The envelope header for a message from {@code originNode} in {@code conversationId}. */
    static void writeHeader(ByteBuffer out, long originNode, long conversationId, long acceptedAtMillis) {
        out.put(VERSION).putLong(originNode).putLong(conversationId).putLong(acceptedAtMillis);
    }

    static long acceptedAtMillis(byte[] envelope) {
        return ByteBuffer.wrap(envelope, 17, 8).getLong();
    }

    static boolean isValid(byte[] envelope) {
        return envelope.length > HEADER_BYTES && envelope[0] == VERSION;
    }

    static long origin(byte[] envelope) {
        return ByteBuffer.wrap(envelope, 1, 8).getLong();
    }

    static long conversationId(byte[] envelope) {
        return ByteBuffer.wrap(envelope, 9, 8).getLong();
    }
}
