package dev.inbox.gateway.relay;

import java.nio.charset.StandardCharsets;

/**
 * Where things live in Redis. A conversation's keys share the hash tag {@code {c:<id>}}, so in a Redis Cluster they
 * sit in one slot and one script can touch them all:
 * <pre>
 *   inbox:{c:ID}:state    "managed" (set by the admin API) or "open" (dev mode); absent: unknown conversation
 *   inbox:{c:ID}:members  set of user ids
 *   inbox:{c:ID}:seq      the last message_id given
 *   inbox:u:USER          pub/sub channel of one user, subscribed by every node that user is connected to
 * </pre>
 */
final class RedisKeys {
    static final String USER_CHANNEL_PREFIX = "inbox:u:";
    private static final byte[] USER_CHANNEL_PREFIX_BYTES = USER_CHANNEL_PREFIX.getBytes(StandardCharsets.US_ASCII);

    private RedisKeys() {}

    /** The state, members and seq keys of a conversation, in the order the scripts expect. */
    static byte[][] conversation(long conversationId) {
        String tag = "inbox:{c:" + conversationId + "}:";
        return new byte[][] {
            (tag + "state").getBytes(StandardCharsets.US_ASCII),
            (tag + "members").getBytes(StandardCharsets.US_ASCII),
            (tag + "seq").getBytes(StandardCharsets.US_ASCII)
        };
    }

    static byte[] userChannel(long userId) {
        return (USER_CHANNEL_PREFIX + userId).getBytes(StandardCharsets.US_ASCII);
    }

    /** The user id of a user channel, or -1 when it is not one. */
    static long userOf(byte[] channel) {
        if (channel.length <= USER_CHANNEL_PREFIX_BYTES.length
                || channel.length > USER_CHANNEL_PREFIX_BYTES.length + 16) {
            return -1;
        }
        for (int i = 0; i < USER_CHANNEL_PREFIX_BYTES.length; i++) {
            if (channel[i] != USER_CHANNEL_PREFIX_BYTES[i]) {
                return -1;
            }
        }
        long id = 0;
        for (int i = USER_CHANNEL_PREFIX_BYTES.length; i < channel.length; i++) {
            int d = channel[i] - '0';
            if (d < 0 || d > 9) {
                return -1;
            }
            id = id * 10 + d;
        }
        return id;
    }
}
