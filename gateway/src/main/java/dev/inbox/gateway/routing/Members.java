package dev.inbox.gateway.routing;

import java.util.Arrays;

/**
 * An immutable member list: sorted, distinct user ids.
 *
 * @param userIds sorted, distinct; never modified after construction
 * @param managed true when the admin API set the list (a closed conversation); false for a dev-mode open one
 */
public record Members(long[] userIds, boolean managed) {
    /** A list from ids in any order, with duplicates removed. */
    public static Members of(long[] ids, boolean managed) {
        long[] sorted = Arrays.stream(ids).sorted().distinct().toArray();
        return new Members(sorted, managed);
    }

    public boolean contains(long userId) {
        return Arrays.binarySearch(userIds, userId) >= 0;
    }

    public int size() {
        return userIds.length;
    }

    /** This list with {@code userId} added (this list itself when already a member). */
    public Members with(long userId, boolean managed) {
        if (contains(userId) && managed == this.managed) {
            return this;
        }
        long[] next = Arrays.copyOf(userIds, userIds.length + 1);
        next[userIds.length] = userId;
        return of(next, managed);
    }

    /** This list with {@code userId} removed. */
    public Members without(long userId) {
        int at = Arrays.binarySearch(userIds, userId);
        if (at < 0) {
            return this;
        }
        long[] next = new long[userIds.length - 1];
        System.arraycopy(userIds, 0, next, 0, at);
        System.arraycopy(userIds, at + 1, next, at, next.length - at);
        return new Members(next, managed);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Members m && m.managed == managed && Arrays.equals(m.userIds, userIds);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(userIds) * 31 + Boolean.hashCode(managed);
    }

    @Override
    public String toString() {
        return "Members" + Arrays.toString(userIds) + (managed ? "" : " (open)");
    }
}
