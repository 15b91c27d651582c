package dev.inbox.gateway.routing;

import dev.inbox.gateway.config.ConfigException;
import dev.inbox.gateway.history.ConversationHistory;

/**
 * Where a node's messages are admitted and how they reach the members' connections on other nodes: the one seam
 * between a single node ({@link LocalRelay}) and many ({@code relay.RedisRelay}). Membership comes from the same
 * place, since a message is admitted against it.
 */
public interface Relay extends AutoCloseable {
    /** Numbers and admits messages; its outcomes reach the router on the conversation's loop. */
    Admission admission();

    /** Who is in which conversation. */
    Membership membership();

    /** Each user's feed of delivered events, for resuming; {@code null} where resuming is not supported yet. */
    UserFeed feed();

    /** Each conversation's recent events, written by {@link #admission()} as it gives ids. */
    ConversationHistory history();

    /**
     * Sends {@code frame}, an event that is not a message ({@code TYPING}, {@code READ}), to the connections of
     * {@code userIds} on other nodes: never numbered, stored or written to the outbox, only passed on. The single
     * node has no other node. Any thread; takes no ownership of {@code frame}.
     *
     * @param droppable typing: may be dropped under load, on the way and at the receiving node
     * @return false when it was shed (not sent)
     */
    default boolean publishEvent(
            long conversationId, long[] userIds, io.netty.buffer.ByteBuf frame, boolean droppable) {
        return true;
    }

    /**
     * Whether this node is shedding load on its way to other nodes (messages waiting on Redis past half its bound, or
     * Redis unreachable): typing is dropped then, before any message is. Any thread.
     */
    default boolean crowded() {
        return false;
    }

    /**
     * Starts handing what other nodes send to {@code router}; before it, nothing arrives.
     *
     * @throws ConfigException when the shared store shows this node's configuration cannot work with it
     */
    void start(ConversationRouter router) throws ConfigException, InterruptedException;

    /** Stops relaying and lets go of connections; idempotent. */
    @Override
    void close();
}
