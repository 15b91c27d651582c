package dev.inbox.gateway.history;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/** History switched off: every read is empty, and not trimmed (nothing was kept, so nothing was lost from it). */
public final class NoHistory implements ConversationHistory {
    public static final NoHistory INSTANCE = new NoHistory();

    private static final CompletionStage<HistoryPage> EMPTY =
            CompletableFuture.completedFuture(HistoryPage.empty(false));

    private NoHistory() {}

    @Override
    public CompletionStage<HistoryPage> after(long conversationId, long afterMessageId, int limit) {
        return EMPTY;
    }

    @Override
    public CompletionStage<HistoryPage> before(long conversationId, long beforeMessageId, int limit) {
        return EMPTY;
    }
}
