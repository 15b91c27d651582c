package dev.inbox.gateway.inbox;

import dev.inbox.gateway.routing.UserFeed;

/**
 * A client's place in its user's feed, as the opaque token a {@code RESUMED} frame hands out:
 * {@code <epoch>:<feed id>:<entries added>}. The count is what tells a trimmed feed from a quiet one: entries added
 * since the position that the feed no longer holds were trimmed away (docs/protocol.md, "Resume").
 */
record ResumePosition(String epoch, UserFeed.Id id, long added) {
    /** The token, or null when {@code token} is not one (a client's own invention or a corrupted copy). */
    static ResumePosition parse(String token) {
        String[] parts = token.split(":", -1);
        if (parts.length != 3 || parts[0].isEmpty()) {
            return null;
        }
        UserFeed.Id id = UserFeed.Id.parse(parts[1]);
        if (id == null
                || parts[2].isEmpty()
                || parts[2].length() > 18
                || !parts[2].chars().allMatch(Character::isDigit)) {
            return null;
        }
        return new ResumePosition(parts[0], id, Long.parseLong(parts[2]));
    }

    static ResumePosition of(UserFeed.Read read) {
        return new ResumePosition(read.epoch(), read.lastId(), read.added());
    }

    String token() {
        return epoch + ":" + id + ":" + added;
    }
}
