package dev.inbox.benchmarks.loadgen;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.nio.charset.StandardCharsets;

/**
 * The client frame the load generator sends, and the message text that identifies and times it:
 * {@code "<slot> <seq> <intended> xxx..."}, where {@code slot} is the sending connection's index in its
 * conversation, {@code seq} its count of messages sent (1, 2, ...) and {@code intended} the nanoseconds from the run's
 * origin to the moment the open-model schedule meant the message to leave. The same JVM sends and receives, so
 * {@link System#nanoTime()} on both sides is one clock. The text is padded with {@code x} to the configured length
 * and is plain ASCII, so the server's JSON never escapes anything in it. {@code client_msg_id} is the sequence, so
 * a refusal names the message it refuses, then the sending connection's tag ({@link #newTag}): a
 * {@code client_msg_id} the gateway saw from the same user in the same conversation within its
 * {@code --dedup-window} is taken for a resend, and every connection's sequence starts at 1.
 */
final class MessageText {
    /** Room for the three numbers and their separators in any realistic run (7 + 10 + 14 digits). */
    static final int MIN_CHARS = 32;

    private static final byte[] CLIENT_MSG_ID = "\",\"client_msg_id\":\"".getBytes(StandardCharsets.US_ASCII);
    private static final java.util.concurrent.atomic.AtomicLong TAGS =
            new java.util.concurrent.atomic.AtomicLong(new java.security.SecureRandom().nextLong() >>> 2);
    private static final byte[] END = "\"}".getBytes(StandardCharsets.US_ASCII);

    private MessageText() {}

    /** {@code {"type":"TEXT","conversation_id":<id>,"message":"}: the part of a frame fixed per conversation. */
    static byte[] prefix(long conversationId) {
        return ("{\"type\":\"TEXT\",\"conversation_id\":" + conversationId + ",\"message\":\"")
                .getBytes(StandardCharsets.US_ASCII);
    }

    /** Writes one client frame's JSON payload into a new buffer the caller owns. */
    static ByteBuf clientFrame(
            ByteBufAllocator alloc, byte[] prefix, int slot, long seq, byte[] tag, long intended, int chars) {
        ByteBuf b = alloc.buffer(prefix.length + chars + CLIENT_MSG_ID.length + 20 + tag.length + END.length);
        b.writeBytes(prefix);
        int textStart = b.writerIndex();
        writeDecimal(b, slot);
        b.writeByte(' ');
        writeDecimal(b, seq);
        b.writeByte(' ');
        writeDecimal(b, intended);
        b.writeByte(' ');
        for (int n = b.writerIndex() - textStart; n < chars; n++) {
            b.writeByte('x');
        }
        b.writeBytes(CLIENT_MSG_ID);
        writeDecimal(b, seq);
        b.writeBytes(tag);
        b.writeBytes(END);
        return b;
    }

    /**
     * A new connection's {@code client_msg_id} tag: {@code .} and a number no other connection of this process has,
     * from a random start so that other processes' (other runs on the same node) differ too.
     */
    static byte[] newTag() {
        return ("." + Long.toHexString(TAGS.getAndIncrement())).getBytes(StandardCharsets.US_ASCII);
    }

    /** Appends the decimal digits of {@code v} (not negative) without making a String. */
    static void writeDecimal(ByteBuf b, long v) {
        int digits = 1;
        for (long t = v; t >= 10; t /= 10) {
            digits++;
        }
        int at = b.writerIndex();
        b.ensureWritable(digits);
        for (int i = at + digits - 1; i >= at; i--) {
            b.setByte(i, (int) ('0' + v % 10));
            v /= 10;
        }
        b.writerIndex(at + digits);
    }
}
