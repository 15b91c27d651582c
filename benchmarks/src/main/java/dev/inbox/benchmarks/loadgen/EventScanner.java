package dev.inbox.benchmarks.loadgen;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;

/**
 * Reads what the load generator needs from a server frame's JSON by scanning its bytes: the type, the
 * conversation id and, for an event, the three numbers in the message text ({@link MessageText}); for an error, its
 * code and {@code client_msg_id}. No parser object, no String per frame (an error's code is the one exception).
 *
 * <p>Why a key scan is exact here: a key is found as {@code "name":} starting at an unescaped quote, and inside a JSON
 * string every quote is escaped, so {@code "name":} can only match a real key, whatever order the server writes the
 * fields in. The server never writes whitespace between tokens. One instance per event-loop thread; the results of
 * the last {@link #scan} are in its fields.
 */
final class EventScanner {
    enum Kind {
        TEXT,
        ERROR,
        /** A READ event (a reader's position moved), apart so the mixed scenario can count them. */
        READ,
        OTHER,
        MALFORMED
    }

    private static final byte[] TYPE = key("type");
    private static final byte[] CONVERSATION_ID = key("conversation_id");
    private static final byte[] MESSAGE = key("message");
    private static final byte[] CODE = key("code");
    private static final byte[] CLIENT_MSG_ID = key("client_msg_id");
    private static final byte[] MESSAGE_ID = key("message_id");
    private static final byte[] TEXT = "\"TEXT\"".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] ERROR = "\"ERROR\"".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] READ = "\"READ\"".getBytes(StandardCharsets.US_ASCII);

    /** -1 when absent. */
    long conversationId;
    /** TEXT: the sending connection's slot, its sequence and the intended send time (ns from the run's origin). */
    int slot;

    long seq;
    long intended;
    /** TEXT: its message_id, -1 when absent. */
    long messageId;
    /** ERROR: the code, and the refused message's sequence (-1 when absent). */
    String errorCode;

    long clientMsgId;

    private int pos;
    /** The frame's bytes, reused; grows to the largest frame seen (at most the decoder's frame limit). */
    private byte[] bytes = new byte[1024];

    private static byte[] key(String name) {
        return ("\"" + name + "\":").getBytes(StandardCharsets.US_ASCII);
    }

    Kind scan(ByteBuf frame) {
        // One copy into a reused array, then plain array reads: ByteBuf.getByte checks bounds and the reference
        // count on every byte, which made the scan the load generator's largest cost (JFR, 200k deliveries/s).
        int to = frame.readableBytes();
        if (to > bytes.length) {
            bytes = new byte[Math.max(to, bytes.length * 2)];
        }
        frame.getBytes(frame.readerIndex(), bytes, 0, to);
        byte[] b = bytes;
        conversationId = -1;
        errorCode = null;
        clientMsgId = -1;
        int type = find(b, 0, to, TYPE);
        if (type < 0) {
            return Kind.MALFORMED;
        }
        if (matches(b, type, to, TEXT)) {
            int id = find(b, type, to, CONVERSATION_ID);
            if (id < 0) {
                id = find(b, 0, type, CONVERSATION_ID);
            }
            conversationId = id < 0 ? -1 : digits(b, id, to);
            int text = find(b, type, to, MESSAGE);
            if (text < 0) {
                text = find(b, 0, type, MESSAGE);
            }
            if (text < 0 || text >= to || b[text] != '"' || conversationId < 0) {
                return Kind.MALFORMED;
            }
            long s = digits(b, text + 1, to);
            if (s < 0 || s > Integer.MAX_VALUE || !space(b, to)) {
                return Kind.MALFORMED;
            }
            slot = (int) s;
            seq = digits(b, pos + 1, to);
            if (seq < 0 || !space(b, to)) {
                return Kind.MALFORMED;
            }
            intended = digits(b, pos + 1, to);
            if (intended < 0 || !space(b, to)) {
                return Kind.MALFORMED;
            }
            int mid = find(b, pos, to, MESSAGE_ID);
            messageId = mid < 0 ? -1 : digits(b, mid, to);
            return Kind.TEXT;
        }
        if (matches(b, type, to, ERROR)) {
            int id = find(b, 0, to, CONVERSATION_ID);
            conversationId = id < 0 ? -1 : digits(b, id, to);
            int code = find(b, 0, to, CODE);
            if (code >= 0 && code < to && b[code] == '"') {
                int end = indexOfQuote(b, code + 1, to);
                if (end > code) {
                    errorCode = new String(b, code + 1, end - code - 1, StandardCharsets.US_ASCII);
                }
            }
            int cmid = find(b, 0, to, CLIENT_MSG_ID);
            if (cmid >= 0 && cmid < to && b[cmid] == '"') {
                clientMsgId = digits(b, cmid + 1, to);
            }
            if (errorCode == null) {
                errorCode = "(no code)";
            }
            return Kind.ERROR;
        }
        return matches(b, type, to, READ) ? Kind.READ : Kind.OTHER;
    }

    private boolean space(byte[] b, int to) {
        return pos < to && b[pos] == ' ';
    }

    /**
     * The index just past {@code "name":} in {@code b[from, to)}, or -1; looks only at quotes. Searching after the
     * type first finds the server's fields where it writes them (type, then message, then the rest) with one pass.
     */
    private static int find(byte[] b, int from, int to, byte[] key) {
        for (int i = from; (i = indexOfQuote(b, i, to)) >= 0; i++) {
            if (matches(b, i, to, key)) {
                return i + key.length;
            }
        }
        return -1;
    }

    private static int indexOfQuote(byte[] b, int from, int to) {
        for (int i = from; i < to; i++) {
            if (b[i] == '"') {
                return i;
            }
        }
        return -1;
    }

    private static boolean matches(byte[] b, int at, int to, byte[] key) {
        if (at + key.length > to) {
            return false;
        }
        for (int k = 0; k < key.length; k++) {
            if (b[at + k] != key[k]) {
                return false;
            }
        }
        return true;
    }

    /** The non-negative decimal number starting at {@code at} (-1 if none or too long); {@link #pos} ends past it. */
    private long digits(byte[] b, int at, int to) {
        long v = 0;
        int i = at;
        for (; i < to; i++) {
            int c = b[i] - '0';
            if (c < 0 || c > 9) {
                break;
            }
            if (i - at >= 18) {
                pos = i;
                return -1;
            }
            v = v * 10 + c;
        }
        pos = i;
        return i == at ? -1 : v;
    }
}
