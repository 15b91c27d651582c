package dev.inbox.gateway.hook;

import dev.inbox.gateway.metrics.HookOutcome;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The publish hook ({@code --publish-hook}): asks the backend about one client message before it is admitted, and
 * turns whatever happens (an answer, a timeout, an unreachable or overloaded backend, a malformed answer) into a
 * {@link PublishVerdict}. Keeping each conversation's messages in order while their calls are in flight is the
 * router's job; this class only asks. Thread-safe.
 */
public final class PublishHook implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(PublishHook.class);

    private final HookClient client;
    private final PublishHookCodec codec;
    private final int maxWaiting;

    /**
     * @param client          the publish hook's client; closed with this
     * @param maxMessageChars the longest replacement text a backend may answer with ({@code --max-message-chars})
     * @param maxWaiting      messages that may wait for an answer on this node ({@code --hook-max-in-flight})
     */
    public PublishHook(HookClient client, int maxMessageChars, int maxWaiting) {
        this.client = client;
        this.codec = new PublishHookCodec(maxMessageChars);
        this.maxWaiting = maxWaiting;
    }

    /**
     * Messages that may wait for their answer on this node at once, in flight or answered behind an earlier message
     * of their conversation; past it a message is refused at once (see {@link #overloaded}).
     */
    public int maxWaiting() {
        return maxWaiting;
    }

    /**
     * Asks the backend about one message. Returns at once; the verdict arrives on an event loop (this one, when
     * asked from one; or on this thread, when it is known at once), never exceptionally.
     *
     * @param claimsJson the sender's verified claims object, or {@code null} to send {@code sub}, {@code name},
     *                   {@code picture}
     */
    public CompletableFuture<PublishVerdict> ask(
            long conversationId,
            long senderId,
            String senderName,
            String senderAvatar,
            String type,
            String message,
            String clientMsgId,
            String claimsJson) {
        byte[] body = codec.request(
                conversationId, senderId, senderName, senderAvatar, type, message, clientMsgId, claimsJson);
        return client.post(body).handle((response, failure) -> {
            if (failure != null) {
                Throwable cause = failure.getCause() != null ? failure.getCause() : failure;
                return PublishVerdict.unavailable(cause.getMessage());
            }
            PublishVerdict verdict = codec.answer(response);
            if (response.ok() && verdict.kind() == PublishVerdict.Kind.UNAVAILABLE) {
                // A 2xx the codec could not use: counted here, since HookClient counted only its status.
                client.meters().call(HookOutcome.MALFORMED);
                log.debug("publish hook: {} (conversation {})", verdict.text(), conversationId);
            }
            return verdict;
        });
    }

    /** Counts a message refused because {@link #maxWaiting} were already waiting. */
    public void overloaded() {
        client.meters().call(HookOutcome.OVERLOADED);
    }

    @Override
    public void close() {
        client.close();
    }
}
