package dev.inbox.gateway.routing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class MembersTest {

    @Test
    void ofSortsAndRemovesDuplicates() {
        Members m = Members.of(new long[] {5, 1, 3, 5, 1}, true);
        assertArrayEquals(new long[] {1, 3, 5}, m.userIds());
        assertEquals(3, m.size());
        assertTrue(m.managed());
    }

    @Test
    void ofCopiesItsInput() {
        long[] ids = {2, 1};
        Members m = Members.of(ids, true);
        ids[0] = 99;
        assertArrayEquals(new long[] {1, 2}, m.userIds());
    }

    @Test
    void emptyListContainsNobody() {
        Members m = Members.of(new long[0], true);
        assertEquals(0, m.size());
        assertFalse(m.contains(1));
        assertSame(m, m.without(1));
    }

    @Test
    void containsFindsExactlyTheMembers() {
        Members m = Members.of(new long[] {10, 20, 30}, false);
        assertTrue(m.contains(10));
        assertTrue(m.contains(20));
        assertTrue(m.contains(30));
        assertFalse(m.contains(0));
        assertFalse(m.contains(15));
        assertFalse(m.contains(31));
        assertFalse(m.contains(-10));
    }

    @Test
    void withAddsInSortedPosition() {
        Members m = Members.of(new long[] {10, 30}, true).with(20, true);
        assertArrayEquals(new long[] {10, 20, 30}, m.userIds());
        assertArrayEquals(
                new long[] {5, 10, 30},
                Members.of(new long[] {10, 30}, true).with(5, true).userIds());
        assertArrayEquals(
                new long[] {10, 30, 40},
                Members.of(new long[] {10, 30}, true).with(40, true).userIds());
    }

    @Test
    void withAnExistingMemberAndTheSameFlagReturnsTheSameList() {
        Members m = Members.of(new long[] {1, 2}, true);
        assertSame(m, m.with(2, true));
    }

    @Test
    void withAnExistingMemberAndAnotherFlagOnlyChangesTheFlag() {
        Members open = Members.of(new long[] {1, 2}, false);
        Members managed = open.with(2, true);
        assertArrayEquals(new long[] {1, 2}, managed.userIds());
        assertTrue(managed.managed());
        assertFalse(open.managed(), "the original is unchanged");
    }

    @Test
    void withLeavesTheOriginalUnchanged() {
        Members m = Members.of(new long[] {1}, true);
        m.with(2, true);
        assertArrayEquals(new long[] {1}, m.userIds());
    }

    @Test
    void withoutRemovesTheMemberAndKeepsTheFlag() {
        Members m = Members.of(new long[] {1, 2, 3}, false);
        Members after = m.without(2);
        assertArrayEquals(new long[] {1, 3}, after.userIds());
        assertFalse(after.managed());
        assertArrayEquals(new long[] {1, 2, 3}, m.userIds(), "the original is unchanged");

        assertArrayEquals(new long[] {2, 3}, m.without(1).userIds());
        assertArrayEquals(new long[] {1, 2}, m.without(3).userIds());
        assertArrayEquals(
                new long[0], Members.of(new long[] {1}, true).without(1).userIds());
    }

    @Test
    void withoutANonMemberReturnsTheSameList() {
        Members m = Members.of(new long[] {1, 3}, true);
        assertSame(m, m.without(2));
    }

    @Test
    void equalityIsByContentAndFlag() {
        Members a = Members.of(new long[] {3, 1}, true);
        Members b = Members.of(new long[] {1, 3}, true);
        assertEquals(a, b);
        assertEquals(a.hashCode(), b.hashCode());
        assertNotEquals(a, Members.of(new long[] {1, 3}, false));
        assertNotEquals(a, Members.of(new long[] {1, 2}, true));
        assertNotEquals(a, null);
    }

    @Test
    void toStringShowsTheIdsAndWhetherOpen() {
        assertEquals("Members[1, 2]", Members.of(new long[] {2, 1}, true).toString());
        assertEquals("Members[1] (open)", Members.of(new long[] {1}, false).toString());
    }
}
