package dev.inbox.gateway.soak;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;

/**
 * One soak client: a JDK {@link WebSocket} (a client nobody here wrote) whose every frame goes to the {@link Ledger}.
 * Nothing blocks: opening, sending, waiting for answers and closing are futures, so a few threads drive thousands of
 * these. Small on purpose (no queue of frames, no per-connection thread): the test JVM holds thousands at once.
 *
 * <p>Threads: the JDK calls the listener methods for one WebSocket one at a time; {@link #send} from any thread (sends
 * are chained, since the JDK allows one outstanding send per WebSocket).
 */
final class SoakConnection implements WebSocket.Listener {
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);

    private final Ledger ledger;
    private final Ledger.Conn conn;
    private volatile WebSocket ws;
    /** The last send handed to the JDK; guarded by this. */
    private CompletableFuture<?> lastSend = CompletableFuture.completedFuture(null);
    /** Messages sent and not yet answered, and who waits for that to reach zero; guarded by this. */
    private int unanswered;

    private CompletableFuture<Void> allAnswered;
    /** Set before this side sends its close, so the server's answer is not taken for a close of its own. */
    private volatile boolean closing;

    private final CompletableFuture<Integer> closed = new CompletableFuture<>();
    /** Completes with the code when the server closes first (say 4002: reconnect); never when this side does. */
    private final CompletableFuture<Integer> closedByServer = new CompletableFuture<>();
    /** A text message arriving in parts; delivery thread only. */
    private StringBuilder partial;

    private SoakConnection(Ledger ledger, Ledger.Conn conn) {
        this.ledger = ledger;
        this.conn = conn;
    }

    /**
     * Opens a connection for {@code conn} with its token in the Authorization header. Completes with null, after
     * recording why in the ledger, when the upgrade is refused or the connection fails.
     */
    static CompletableFuture<SoakConnection> open(
            HttpClient http, URI uri, String token, Ledger ledger, Ledger.Conn conn) {
        SoakConnection c = new SoakConnection(ledger, conn);
        return http.newWebSocketBuilder()
                .header("Authorization", "Bearer " + token)
                .connectTimeout(CONNECT_TIMEOUT)
                .buildAsync(uri, c)
                .handle((ws, failure) -> {
                    if (failure == null) {
                        return c;
                    }
                    Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                            ? failure.getCause()
                            : failure;
                    ledger.upgradeRefused(conn + ": "
                            + (cause instanceof WebSocketHandshakeException h
                                    ? "HTTP " + h.getResponse().statusCode()
                                    : cause.toString()));
                    return null;
                });
    }

    Ledger.Conn conn() {
        return conn;
    }

    /** Sends one message of the soak's to {@code conversation}; its answer settles it in the ledger. */
    Ledger.Msg send(long conversation, String padding) {
        Ledger.Msg m = ledger.sent(conn, conversation, System.nanoTime());
        String text = ServerFrame.text(m.seq(), conversation, padding);
        synchronized (this) {
            unanswered++;
            lastSend = lastSend.thenCompose(previous -> {
                m.transmitted(System.nanoTime());
                return ws.sendText(text, true);
            });
        }
        return m;
    }

    /** Completes with the close code if the server closes the connection first. */
    CompletableFuture<Integer> closedByServer() {
        return closedByServer;
    }

    /** Completes once every message sent so far has been answered, or the connection closed (no answer can come). */
    synchronized CompletableFuture<Void> allAnswered() {
        if (unanswered == 0 || closed.isDone()) {
            return CompletableFuture.completedFuture(null);
        }
        if (allAnswered == null) {
            allAnswered = new CompletableFuture<>();
        }
        return allAnswered;
    }

    /** Closes normally (1000); completes with the server's close code once its close frame arrived. */
    CompletableFuture<Integer> close() {
        closing = true;
        CompletableFuture<?> sent;
        synchronized (this) {
            sent = lastSend.handle((x, f) -> null).thenCompose(x -> ws.sendClose(WebSocket.NORMAL_CLOSURE, "bye"));
        }
        sent.whenComplete((x, failure) -> {
            if (failure != null) {
                closed.completeExceptionally(failure);
            }
        });
        return closed;
    }

    /** Drops the TCP connection without a close handshake (after a close that timed out). */
    void abort() {
        closing = true;
        ws.abort();
    }

    @Override
    public void onOpen(WebSocket webSocket) {
        ws = webSocket;
        conn.opened(System.nanoTime());
        webSocket.request(1);
    }

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
        if (!last || partial != null) {
            if (partial == null) {
                partial = new StringBuilder();
            }
            partial.append(data);
            if (!last) {
                webSocket.request(1);
                return null;
            }
            data = partial;
            partial = null;
        }
        ServerFrame f = ServerFrame.parse(data.toString());
        conn.receive(f, System.nanoTime());
        if (f.answerTo() >= 0 && (f.isError() || f.isText())) {
            answered();
        }
        webSocket.request(1);
        return null;
    }

    private void answered() {
        CompletableFuture<Void> waiting = null;
        synchronized (this) {
            if (unanswered > 0 && --unanswered == 0 && allAnswered != null) {
                waiting = allAnswered;
                allAnswered = null;
            }
        }
        if (waiting != null) {
            waiting.complete(null);
        }
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
        boolean byServer = !closing;
        conn.closed(System.nanoTime(), statusCode, byServer);
        closed.complete(statusCode);
        if (byServer) {
            closedByServer.complete(statusCode);
        }
        stopWaitingForAnswers();
        return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
        conn.closed(System.nanoTime(), -1, !closing);
        closed.completeExceptionally(error);
        stopWaitingForAnswers();
    }

    /** The connection is gone: whoever waits for answers has all there will be (the ledger judges the rest). */
    private void stopWaitingForAnswers() {
        CompletableFuture<Void> waiting;
        synchronized (this) {
            waiting = allAnswered;
            allAnswered = null;
        }
        if (waiting != null) {
            waiting.complete(null);
        }
    }
}
