package dev.inbox.protocol;

/**
 * {@code {"type":"PRESENCE_SUBSCRIBE","user_ids":[1,2,3]}} or {@code PRESENCE_UNSUBSCRIBE}: start or stop being told
 * of these users' presence.
 *
 * @param subscribe true for {@code PRESENCE_SUBSCRIBE}, false for {@code PRESENCE_UNSUBSCRIBE}
 * @param userIds   distinct valid user ids, in the order first listed; never empty
 */
public record PresenceRequest(boolean subscribe, long[] userIds) {}
