package dev.inbox.gateway.relay;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lettuce.core.cluster.SlotHash;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The outbox partitions' tags and the keys built on them (the layout in docs/clustering.md, "Keys"). */
class RedisKeysTest {
    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 7, 16, 100, 1024})
    void eachPartitionsTagIsTheFirstWhoseSlotLiesInItsShareOfTheSlotSpace(int partitions) {
        Set<String> tags = new HashSet<>();
        for (int k = 0; k < partitions; k++) {
            int from = (int) ((long) k * 16384 / partitions);
            int to = (int) ((long) (k + 1) * 16384 / partitions);
            String tag = RedisKeys.tag(k, partitions);
            assertTrue(tag.startsWith("o" + k + "."), tag);
            int j = Integer.parseInt(tag.substring(tag.indexOf('.') + 1));
            int slot = SlotHash.getSlot(tag);
            assertTrue(slot >= from && slot < to, tag + " has slot " + slot + ", outside [" + from + ", " + to + ")");
            for (int earlier = 0; earlier < j; earlier++) {
                int s = SlotHash.getSlot("o" + k + "." + earlier);
                assertTrue(s < from || s >= to, "o" + k + "." + earlier + " would have done: the first one is taken");
            }
            tags.add(tag);
        }
        assertEquals(partitions, tags.size(), "one tag per partition");
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 16, 1024})
    void aConversationsKeysAndItsPartitionsStreamShareOneSlot(int partitions) {
        RedisKeys keys = new RedisKeys(partitions);
        for (long conversation : new long[] {1, 2, 15, 16, 17, 1023, 1024, 9_007_199_254_740_991L}) {
            byte[][] k = keys.conversation(conversation);
            int partition = (int) (conversation % partitions);
            String prefix = "inbox:{" + RedisKeys.tag(partition, partitions) + "}:";
            assertEquals(prefix + "c:" + conversation + ":state", ascii(k[0]));
            assertEquals(prefix + "c:" + conversation + ":members", ascii(k[1]));
            assertEquals(prefix + "c:" + conversation + ":seq", ascii(k[2]));
            assertEquals(prefix + "outbox", ascii(k[3]));
            assertArrayEquals(keys.stream(partition), k[3]);
            for (byte[] key : k) {
                assertEquals(SlotHash.getSlot(k[3]), SlotHash.getSlot(key), ascii(key));
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {3, 16})
    void thePartitionsSpreadOverAThreeShardClustersSlotRanges(int partitions) {
        // redis-cli --cluster create splits 16384 slots into three ranges like these.
        int[] shardStarts = {0, 5461, 10923};
        Set<Integer> shards = new HashSet<>();
        RedisKeys keys = new RedisKeys(partitions);
        for (int k = 0; k < partitions; k++) {
            int slot = SlotHash.getSlot(keys.stream(k));
            int shard = slot >= shardStarts[2] ? 2 : slot >= shardStarts[1] ? 1 : 0;
            shards.add(shard);
        }
        assertEquals(Set.of(0, 1, 2), shards);
    }

    private static String ascii(byte[] b) {
        return new String(b, StandardCharsets.US_ASCII);
    }
}
