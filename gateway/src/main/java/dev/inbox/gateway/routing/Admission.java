package dev.inbox.gateway.routing;

import dev.inbox.protocol.ServerFrameEncoder;
import java.util.function.BiConsumer;

/**
 * Lets a message into its conversation, as one step: checks that the sender is a member (in dev mode, joins an
 * open conversation), assigns the {@code message_id} and names the recipients. A clustered implementation also
 * hands the encoded event to the other nodes in the same step, so the order ids are given in is the order every
 * node sees, and appends the message to the backend's outbox in it too. Never blocks.
 */
public interface Admission {
    /**
     * Lets {@code event} in and hands the outcome to {@code outcome}, exactly once: the admitted message, or
     * {@code null} and no failure when the sender is not a member, or {@code null} and the failure.
     *
     * <p>{@code outcome} is taken before anything is sent and runs on the thread that learns the outcome, at the
     * moment it does (Lettuce's I/O thread as it decodes the reply, or this thread before this returns); not a stage
     * continued later, which could run after other nodes' later messages (docs/clustering.md#order). It must only
     * hand work off.
     *
     * @param message what was submitted: the conversation, the sender and what the outbox records
     * @param event the encoded event, its id still a placeholder; read, never released, by the implementation
     * @throws RuntimeException when nothing was sent; {@code outcome} is then never called
     */
    void admit(Submitted message, ServerFrameEncoder.PreparedFrame event, BiConsumer<Admitted, Throwable> outcome);
}
