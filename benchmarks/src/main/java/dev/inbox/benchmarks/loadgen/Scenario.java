package dev.inbox.benchmarks.loadgen;

import java.util.ArrayList;
import java.util.List;

/**
 * How users are grouped into conversations. Every user belongs to exactly one conversation, made of consecutive
 * users, so a connection's deliveries all come from one conversation and its accounting is one small array.
 */
enum Scenario {
    /** Direct messages: users 1-2, 3-4, ... each pair a conversation; both send. */
    DM("dm"),
    /** Group chats: consecutive runs of {@code --group-size} users; all send. */
    GROUP("group"),
    /** One conversation of every user; the first {@code --senders} users send. */
    BROADCAST("broadcast"),
    /**
     * The group scenario with what a real chat sends beside its messages (issue 15): with every message its sender
     * also sends {@value LoadWorker#TYPING_PER_MESSAGE} {@code TYPING} frames and one {@code READ} of the newest message
     * it has received.
     */
    MIXED("mixed");

    final String flagValue;

    Scenario(String flagValue) {
        this.flagValue = flagValue;
    }

    static Scenario named(String s) {
        for (Scenario v : values()) {
            if (v.flagValue.equals(s)) {
                return v;
            }
        }
        return null;
    }

    /** What is wrong with these sizes for this scenario, or null. */
    String check(int users, int groupSize, int senders) {
        return switch (this) {
            case DM -> users % 2 == 0 ? null : "--users: " + users + " (expected: an even number for --scenario dm)";
            case GROUP, MIXED ->
                users % groupSize == 0 && users >= groupSize
                        ? null
                        : "--users: " + users + " (expected: a multiple of --group-size " + groupSize + ")";
            case BROADCAST ->
                senders <= users ? null : "--senders: " + senders + " (expected: at most --users " + users + ")";
        };
    }

    int sendingUsers(int users, int senders) {
        return this == BROADCAST ? senders : users;
    }

    /** The conversations, with ids 1, 2, ... */
    List<ConversationPlan> plan(int users, int groupSize, int senders) {
        int size = switch (this) {
            case DM -> 2;
            case GROUP, MIXED -> groupSize;
            case BROADCAST -> users;
        };
        List<ConversationPlan> out = new ArrayList<>(users / size);
        for (int first = 0, id = 1; first < users; first += size, id++) {
            out.add(new ConversationPlan(id, first, size, this == BROADCAST ? senders : size));
        }
        return out;
    }
}
