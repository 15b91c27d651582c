package dev.inbox.gateway.relay;

import dev.inbox.gateway.history.ConversationHistory;
import dev.inbox.gateway.history.HistoryEvent;
import dev.inbox.gateway.history.HistoryPage;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * A conversation's history read from its Redis Stream ({@code inbox:{TAG}:c:ID:history}, written by the admission
 * script: entry id {@code <message_id>-0}, fields {@code e} the event's JSON and {@code p} the conversation's previous
 * id). One script per read, so the page and the trimming it is checked against are one moment.
 *
 * <p>Why {@code trimmed} is exact: only the oldest entries are ever removed (MAXLEN and MINID trimming, or the
 * whole stream when it expires), so the events gone are exactly those up to the first entry's previous id ({@code p}),
 * the last event gone. Some event above {@code after} is gone exactly when that id is above {@code after}. A stream
 * that does not exist lost everything up to the conversation's seq. (Redis's own {@code max-deleted-entry-id} does
 * not help: trimming does not update it, only XDEL does.)
 */
final class RedisConversationHistory implements ConversationHistory {
    /**
     * KEYS: history stream, seq. ARGV: 1 'a' (after) or 'b' (before), 2 the id, 3 the count. Reply: {the last id
     * gone, as digits (0: none), id, json, id, json, ...}, oldest first.
     */
    static final String SCRIPT = """
            local entries
            if ARGV[1] == 'a' then
              entries = redis.call('XRANGE', KEYS[1], '(' .. ARGV[2] .. '-0', '+', 'COUNT', ARGV[3])
            else
              entries = redis.call('XREVRANGE', KEYS[1], '(' .. ARGV[2] .. '-0', '-', 'COUNT', ARGV[3])
            end
            local first = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 1)
            local gone = '0'
            if #first == 0 then
              gone = redis.call('GET', KEYS[2]) or '0'
            else
              local fields = first[1][2]
              for i = 1, #fields, 2 do
                if fields[i] == 'p' then gone = fields[i + 1] end
              end
            end
            local out = {gone}
            local n = #entries
            for i = 1, n do
              local e = ARGV[1] == 'a' and entries[i] or entries[n + 1 - i]
              out[#out + 1] = string.match(e[1], '^(%d+)')
              for j = 1, #e[2], 2 do
                if e[2][j] == 'e' then out[#out + 1] = e[2][j + 1] end
              end
            end
            return out
            """;

    private static final byte[] AFTER = {'a'};
    private static final byte[] BEFORE = {'b'};

    private final RedisLink link;
    private final RedisKeys keys;
    private final RedisScript script = new RedisScript(SCRIPT);

    RedisConversationHistory(RedisLink link, RedisKeys keys) {
        this.link = link;
        this.keys = keys;
        link.preload(script);
    }

    @Override
    public CompletionStage<HistoryPage> after(long conversationId, long afterMessageId, int limit) {
        long from = Math.max(0, afterMessageId); // stream ids are unsigned
        return read(conversationId, AFTER, from, limit).thenApply(reply -> page(reply, gone -> gone > from, limit));
    }

    @Override
    public CompletionStage<HistoryPage> before(long conversationId, long beforeMessageId, int limit) {
        // Stream ids are unsigned 64-bit: Long.MAX_VALUE is above every message id, so "the newest".
        return read(conversationId, BEFORE, beforeMessageId, limit).thenApply(reply -> {
            int events = (reply.size() - 1) / 2;
            return page(reply, gone -> events < limit && gone > 0, limit);
        });
    }

    private CompletionStage<List<Object>> read(long conversationId, byte[] direction, long id, int limit) {
        if (limit <= 0) {
            return CompletableFuture.completedFuture(List.of(new byte[] {'0'}));
        }
        return link.run(
                script, keys.history(conversationId), direction, RedisAdmission.ascii(id), RedisAdmission.ascii(limit));
    }

    private interface TrimRule {
        boolean trimmed(long lastGone);
    }

    private static HistoryPage page(List<Object> reply, TrimRule rule, int limit) {
        if (limit <= 0) {
            return HistoryPage.empty(false); // asked for nothing: nothing it asked for is gone
        }
        long lastGone = RedisAdmission.parse(reply.get(0));
        List<HistoryEvent> events = new ArrayList<>((reply.size() - 1) / 2);
        for (int i = 1; i + 1 < reply.size(); i += 2) {
            events.add(new HistoryEvent(RedisAdmission.parse(reply.get(i)), (byte[]) reply.get(i + 1)));
        }
        return new HistoryPage(events, rule.trimmed(lastGone));
    }
}
