package dev.inbox.gateway.routing;

import dev.inbox.protocol.ServerFrameEncoder;

import java.util.concurrent.CompletionStage;

/**
 * Lets a message into its conversation, as one step: checks that the sender is a member (in dev mode, joins an
 * open conversation), assigns the {@code message_id} and names the recipients. A clustered implementation also
 * hands the encoded event to the other nodes in the same step, so the order ids are given in is the order every
 * node sees. Never blocks; the stage may complete on another thread.
 */
public interface Admission {
    /**
     * @param event the encoded event, its id still a placeholder; read, never released, by the implementation
     * @return the admitted message, or {@code null} when the sender is not a member
     */
    CompletionStage<Admitted> admit(long conversationId, long senderId, ServerFrameEncoder.PreparedFrame event);
}
