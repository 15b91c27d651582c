package dev.inbox.gateway.routing;

import dev.inbox.gateway.auth.AuthenticatedUser;
import dev.inbox.gateway.hook.PublishHook;
import dev.inbox.gateway.hook.PublishVerdict;
import dev.inbox.gateway.logging.ThrottledLog;
import dev.inbox.protocol.ErrorCode;
import io.netty.channel.EventLoop;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Client messages waiting for the publish hook's answer, one FIFO per conversation, kept on the conversation's owner
 * loop. The calls of one conversation run concurrently, but its messages go on to admission in the order they
 * arrived: an answer marks its message, and the queue lets out its head while the head is answered (a refused or
 * failed head gets its {@code ERROR} and is dropped). A slow answer holds back only later messages of its own
 * conversation; nothing waits on a thread. A conversation's entry is removed when its queue empties.
 *
 * <p>Bound: at most {@link PublishHook#maxWaiting} messages wait on this node (in flight, or answered behind an
 * earlier one); past it a message gets {@code backend_unavailable} at once. Thread-safe: {@link #submit} from any
 * thread; each map is touched by its loop only.
 */
final class PublishHookQueues {
    private static final Logger log = LoggerFactory.getLogger(PublishHookQueues.class);
    private static final ThrottledLog notAsked = new ThrottledLog(log, "publish hook not asked");
    static final String UNAVAILABLE_TEXT = "the backend could not be reached; nothing was delivered; retrying is safe";

    private final PublishHook hook;
    private final EventLoops loops;
    private final LoopTaskQueue[] taskQueues;
    private final Consumer<ConversationRouter.Submission> admit;
    /** Messages in every queue of this node, for the bound. */
    private final AtomicInteger waiting = new AtomicInteger();
    /** Per owner loop index: conversation id to its waiting messages, oldest first. Touched by that loop only. */
    private final Map<Long, ArrayDeque<Waiting>>[] queues;

    /**
     * @param taskQueues the router's ordered way into each loop, for the answers
     * @param admit      lets a message into admission; called on its owner loop, in arrival order
     */
    @SuppressWarnings("unchecked")
    PublishHookQueues(
            PublishHook hook,
            EventLoops loops,
            LoopTaskQueue[] taskQueues,
            Consumer<ConversationRouter.Submission> admit) {
        this.hook = hook;
        this.loops = loops;
        this.taskQueues = taskQueues;
        this.admit = admit;
        this.queues = new Map[loops.size()];
        for (int i = 0; i < queues.length; i++) {
            queues[i] = new HashMap<>();
        }
    }

    /** Queues a client's message on its conversation's owner loop and asks the backend about it. Any thread. */
    void submit(ConversationRouter.Submission s) {
        int index = loops.ownerIndexOf(s.conversationId);
        EventLoop owner = loops.get(index);
        if (owner.inEventLoop()) {
            enqueue(s, index);
        } else {
            owner.execute(() -> enqueue(s, index));
        }
    }

    /** On the owner loop: joins the conversation's queue, and the call goes out. */
    private void enqueue(ConversationRouter.Submission s, int index) {
        if (waiting.incrementAndGet() > hook.maxWaiting()) {
            waiting.decrementAndGet();
            hook.overloaded();
            fail(s, ErrorCode.BACKEND_UNAVAILABLE, UNAVAILABLE_TEXT);
            return;
        }
        Waiting w = new Waiting(s);
        queues[index]
                .computeIfAbsent(s.conversationId, id -> new ArrayDeque<>(4))
                .addLast(w);
        AuthenticatedUser user = s.sender.user();
        CompletableFuture<PublishVerdict> verdict;
        try {
            verdict = hook.ask(
                    s.conversationId,
                    s.senderId,
                    s.senderName,
                    s.senderAvatar,
                    s.type,
                    s.message,
                    s.clientMsgId,
                    user.claimsJson());
        } catch (RuntimeException e) {
            notAsked.warn("conversation " + s.conversationId, e);
            verdict = CompletableFuture.completedFuture(PublishVerdict.unavailable(e.toString()));
        }
        // Always queued, never handled in place, even when the verdict is known at once: the queue is walked only
        // from a task of its own, never from inside enqueue.
        verdict.whenComplete((v, failure) -> taskQueues[index].execute(() -> answered(w, v, index)));
    }

    /** On the owner loop: marks the message answered and lets out every answered message at the queue's head. */
    private void answered(Waiting w, PublishVerdict verdict, int index) {
        w.verdict = verdict != null ? verdict : PublishVerdict.unavailable("no verdict");
        Map<Long, ArrayDeque<Waiting>> byConversation = queues[index];
        long conversationId = w.submission.conversationId;
        ArrayDeque<Waiting> queue = byConversation.get(conversationId);
        if (queue == null) {
            return; // not reachable: a message leaves its queue only once answered
        }
        for (Waiting head = queue.peekFirst(); head != null && head.verdict != null; head = queue.peekFirst()) {
            queue.pollFirst();
            waiting.decrementAndGet();
            release(head);
        }
        if (queue.isEmpty()) {
            byConversation.remove(conversationId);
        }
    }

    private void release(Waiting w) {
        ConversationRouter.Submission s = w.submission;
        switch (w.verdict.kind()) {
            case ADMIT -> {
                if (w.verdict.text() != null) {
                    s.message = w.verdict.text();
                }
                admit.accept(s);
            }
            case REJECT -> fail(s, ErrorCode.REJECTED, w.verdict.text());
            case UNAVAILABLE -> fail(s, ErrorCode.BACKEND_UNAVAILABLE, UNAVAILABLE_TEXT);
        }
    }

    private static void fail(ConversationRouter.Submission s, ErrorCode code, String text) {
        s.result.completeExceptionally(new RoutingException(code, text));
    }

    /** One message in a queue; {@link #verdict} is set on the owner loop when the answer arrives. */
    private static final class Waiting {
        final ConversationRouter.Submission submission;
        PublishVerdict verdict;

        Waiting(ConversationRouter.Submission submission) {
            this.submission = submission;
        }
    }
}
