package dev.inbox.benchmarks;

import dev.inbox.gateway.routing.LocalUserFeed;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;

/**
 * Heap one user's resume feed takes on a single node (a {@link LocalUserFeed}): fills {@code users} feeds with
 * {@code entries} entries each, as admission appends them (each message to every member), and reports the heap used
 * after a full GC against before, per feed and per entry. The append is the router's (package-private), reached by
 * a method handle: the tool measures the class as the node uses it, not a copy.
 *
 * <pre>java -XX:+UseSerialGC -cp benchmarks/target/benchmarks.jar dev.inbox.benchmarks.FeedMemory [users] [entries]</pre>
 */
public final class FeedMemory {
    private FeedMemory() {}

    public static void main(String[] args) throws Throwable {
        int users = args.length > 0 ? Integer.parseInt(args[0]) : 2000;
        int entries = args.length > 1 ? Integer.parseInt(args[1]) : 1000;
        MethodHandle append = MethodHandles.privateLookupIn(LocalUserFeed.class, MethodHandles.lookup())
                .findVirtual(
                        LocalUserFeed.class,
                        "append",
                        MethodType.methodType(void.class, long[].class, long.class, long.class));
        long base = 1_000_000_000_000_000L;
        long before = usedAfterGc();
        LocalUserFeed feed = new LocalUserFeed(entries, users);
        // Groups of ten: each message lands in ten members' feeds, as a group chat's does.
        long[] group = new long[10];
        for (int first = 0; first < users; first += group.length) {
            for (int m = 0; m < group.length; m++) {
                group[m] = 1_000_000L + first + m;
            }
            long conversation = 1_000_000L + first / group.length;
            for (int e = 0; e < entries; e++) {
                append.invokeExact(feed, group, conversation, base + e);
            }
        }
        long after = usedAfterGc();
        long used = after - before;
        System.out.printf(
                "users=%d entries=%d heap_used=%d per_feed=%d per_entry=%.1f%n",
                users, entries, used, used / users, used / (double) users / entries);
        if (feed.hashCode() == 0) {
            System.out.println(); // keeps the feed reachable through the measurement
        }
    }

    /** The least heap in use over a few full collections (run with a stop-the-world collector: -XX:+UseSerialGC). */
    private static long usedAfterGc() {
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 5; i++) {
            System.gc();
            used = Math.min(used, memory.getHeapMemoryUsage().getUsed());
        }
        return used;
    }
}
