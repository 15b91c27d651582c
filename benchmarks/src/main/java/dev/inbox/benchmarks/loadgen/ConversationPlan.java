package dev.inbox.benchmarks.loadgen;

/**
 * One conversation of a scenario: {@code members} consecutive users starting at user index {@code firstUser} (user
 * id = index + 1), of which the first {@code senders} send.
 */
record ConversationPlan(long id, int firstUser, int members, int senders) {

    long userId(int member) {
        return firstUser + member + 1L;
    }

    /** The admin API body that sets the members: {@code {"user_ids":[...]}}. */
    String membersBody() {
        StringBuilder b = new StringBuilder(16 + members * 6).append("{\"user_ids\":[");
        for (int m = 0; m < members; m++) {
            b.append(m == 0 ? "" : ",").append(userId(m));
        }
        return b.append("]}").toString();
    }
}
