package dev.inbox.gateway.relay;

import io.lettuce.core.cluster.SlotHash;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

/**
 * Where things live in Redis. A conversation belongs to outbox partition {@code conversation_id % N}
 * ({@code --outbox-partitions}), and all its keys share that partition's hash tag, so in a Redis Cluster they sit in
 * the slot of the partition's outbox stream and one script can touch them all, the stream included:
 * <pre>
 *   inbox:{TAG}:c:ID:state    "managed" (set by the admin API) or "open" (dev mode); absent: unknown conversation
 *   inbox:{TAG}:c:ID:members  set of user ids
 *   inbox:{TAG}:c:ID:seq      the last message_id given
 *   inbox:{TAG}:c:ID:dedup:SENDER:CMID  "message_id:created_at_millis" of SENDER's message with client_msg_id
 *                             CMID (percent-encoded UTF-8), for --dedup-window (PX)
 *   inbox:{TAG}:c:ID:history  stream of the conversation's recent events, entry id {@code <message_id>-0}
 *   inbox:{TAG}:c:ID:reads    hash of user id to read position (a message_id), moved forward only
 *   inbox:{TAG}:outbox        the partition's outbox stream, which the backend reads
 *   inbox:outbox:partitions   N, set by the first node; a node with another N refuses to start
 *   inbox:outbox:streams      set of the N stream keys, for a backend to find them (SMEMBERS)
 *   {inbox:u:USER}:nodes      set of the nodes USER is connected to (standalone Redis: {@link NodeRegistry})
 *   inbox:n:NODE              pub/sub channel of one node (standalone Redis)
 *   inbox:u:USER              pub/sub channel of one user, subscribed by every node that user is connected to
 *                             (Redis Cluster)
 *   {inbox:u:USER}:reads      set of the conversations in which USER has a read position (for UNREAD)
 * </pre>
 * TAG for partition k is the first {@code o<k>.<j>} (j = 0, 1, ...) whose cluster slot lies in
 * {@code [k * 16384 / N, (k + 1) * 16384 / N)}: the partitions spread evenly over the slot space, and so over the
 * shards of a cluster, whatever N is (docs/clustering.md, "Keys").
 */
final class RedisKeys {
    static final String USER_CHANNEL_PREFIX = "inbox:u:";
    static final String PARTITIONS = "inbox:outbox:partitions";
    static final String STREAMS = "inbox:outbox:streams";
    static final int SLOTS = 16384;

    private static final byte[] USER_CHANNEL_PREFIX_BYTES = USER_CHANNEL_PREFIX.getBytes(StandardCharsets.US_ASCII);

    /** Per partition, {@code inbox:{TAG}:}: the prefix every key of its conversations starts with. */
    private final String[] prefixes;
    /** Per partition, its outbox stream's key. */
    private final byte[][] streams;

    /** The layout for {@code partitions} outbox partitions; computes every tag once. */
    RedisKeys(int partitions) {
        prefixes = new String[partitions];
        streams = new byte[partitions][];
        for (int k = 0; k < partitions; k++) {
            prefixes[k] = "inbox:{" + tag(k, partitions) + "}:";
            streams[k] = (prefixes[k] + "outbox").getBytes(StandardCharsets.US_ASCII);
        }
    }

    /** The first {@code o<k>.<j>} whose slot lies in partition {@code k}'s share of the slot space. */
    static String tag(int k, int partitions) {
        int from = (int) ((long) k * SLOTS / partitions);
        int to = (int) ((long) (k + 1) * SLOTS / partitions);
        for (int j = 0; ; j++) {
            String tag = "o" + k + "." + j;
            int slot = SlotHash.getSlot(tag);
            if (slot >= from && slot < to) {
                return tag;
            }
        }
    }

    int partitions() {
        return prefixes.length;
    }

    int partitionOf(long conversationId) {
        return (int) (conversationId % prefixes.length);
    }

    /** Partition {@code k}'s outbox stream. */
    byte[] stream(int k) {
        return streams[k];
    }

    /**
     * The state, members and seq keys of a conversation, its partition's outbox stream and its history stream, in the
     * order the scripts expect.
     */
    byte[][] conversation(long conversationId) {
        int k = partitionOf(conversationId);
        String prefix = prefixes[k] + "c:" + conversationId + ":";
        return new byte[][] {
            (prefix + "state").getBytes(StandardCharsets.US_ASCII),
            (prefix + "members").getBytes(StandardCharsets.US_ASCII),
            (prefix + "seq").getBytes(StandardCharsets.US_ASCII),
            streams[k],
            (prefix + "history").getBytes(StandardCharsets.US_ASCII)
        };
    }

    /** The history stream and the seq key of a conversation, in the order the history script expects. */
    byte[][] history(long conversationId) {
        String prefix = prefixes[partitionOf(conversationId)] + "c:" + conversationId + ":";
        return new byte[][] {
            (prefix + "history").getBytes(StandardCharsets.US_ASCII),
            (prefix + "seq").getBytes(StandardCharsets.US_ASCII)
        };
    }

    /**
     * The state, members and seq keys of a conversation, its partition's outbox stream and its read positions hash, in
     * the order the read-position scripts expect: one slot, so moving a position, checking it against the last id
     * and writing the outbox entry are one atomic step.
     */
    byte[][] reads(long conversationId) {
        int k = partitionOf(conversationId);
        String prefix = prefixes[k] + "c:" + conversationId + ":";
        return new byte[][] {
            (prefix + "state").getBytes(StandardCharsets.US_ASCII),
            (prefix + "members").getBytes(StandardCharsets.US_ASCII),
            (prefix + "seq").getBytes(StandardCharsets.US_ASCII),
            streams[k],
            (prefix + "reads").getBytes(StandardCharsets.US_ASCII)
        };
    }

    /** The set of conversations in which {@code userId} has a read position, in the user's own slot. */
    static byte[] userReads(long userId) {
        return ("{" + USER_CHANNEL_PREFIX + userId + "}:reads").getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * The key that remembers {@code senderId}'s message with {@code clientMsgId} in a conversation, beside the
     * conversation's other keys (same slot). The id is any text a client chose: percent-encoded (URL form encoding
     * of its UTF-8, which leaves only letters, digits and {@code .-*_+%}), it can neither add a hash tag nor reach
     * another key.
     */
    byte[] dedup(long conversationId, long senderId, String clientMsgId) {
        return (prefixes[partitionOf(conversationId)] + "c:" + conversationId + ":dedup:" + senderId + ":"
                        + URLEncoder.encode(clientMsgId, StandardCharsets.UTF_8))
                .getBytes(StandardCharsets.US_ASCII);
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
