package dev.inbox.gateway.routing;

import java.util.concurrent.CompletionStage;

/**
 * Who belongs to which conversation. Every operation may complete later (a shared store answers over the
 * network); none blocks the calling thread, and callbacks may run on any thread.
 *
 * <p>A conversation is <em>managed</em> once the admin API has set its members: from then on only the admin API
 * changes it. In dev mode an unknown conversation is <em>open</em>: whoever sends to it joins it, which the
 * {@link Admission} does as part of letting the message in.
 */
public interface Membership {
    /** The members, or {@code null} when the conversation is unknown. */
    CompletionStage<Members> members(long conversationId);

    /** Replaces the member list; the conversation becomes managed. */
    CompletionStage<Members> replace(long conversationId, long[] userIds);

    /** Adds one member; the conversation becomes managed. */
    CompletionStage<Members> add(long conversationId, long userId);

    /** Removes one member; {@code null} when the conversation is unknown. */
    CompletionStage<Members> remove(long conversationId, long userId);

    /**
     * Of {@code others}, those who share no conversation with {@code userId} (presence subscriptions may only name
     * people the subscriber can already see in a conversation); empty when all do. {@code userId} itself is never a
     * stranger. Answered from a per-user index of conversations, so the cost is one look-up per user named, not a
     * walk over conversations.
     */
    CompletionStage<long[]> strangers(long userId, long[] others);
}
