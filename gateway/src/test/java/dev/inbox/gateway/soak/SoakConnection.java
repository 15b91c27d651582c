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
    /** {@link #closedByServer}'s value for a connection whose resume failed and which this client closes. */
    static final int RESUME_FAILED = -2;

    private final Ledger ledger;
    private final Ledger.Conn conn;
    /** Where the client is, for its next resume; null for a connection that does not resume. */
    private final Position position;

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

    private SoakConnection(Ledger ledger, Ledger.Conn conn, Position position) {
        this.ledger = ledger;
        this.conn = conn;
        this.position = position;
    }

    /**
     * A resuming client's place, as docs/protocol.md (Resume) asks a client to keep it: the token of its last
     * {@code RESUMED} and, since then, the highest {@code message_id} it received per conversation (its own
     * acknowledgements included). Handed from a closed connection to the one resuming it; touched by one delivery
     * thread at a time (the next connection opens after the previous one's close).
     */
    static final class Position {
        private String token;
        private final java.util.Map<Long, Long> highest = new java.util.TreeMap<>();

        String resumeFrame() {
            return ServerFrame.resume(token, highest);
        }

        void received(ServerFrame f) {
            if (f.isResumed() && !f.recovered() && Ledger.RESUME_FAILED.equals(f.reason())) {
                return; // nothing changed: the next resume starts from here again
            }
            if (f.isResumed()) {
                token = f.position();
                highest.clear();
            } else if (f.isText() && f.messageId() > 0) {
                highest.merge(f.conversationId(), f.messageId(), Math::max);
            }
        }
    }

    /**
     * Opens a connection for {@code conn} with its token in the Authorization header. Completes with null, after
     * recording why in the ledger, when the upgrade is refused or the connection fails.
     */
    static CompletableFuture<SoakConnection> open(
            HttpClient http, URI uri, String token, Ledger ledger, Ledger.Conn conn) {
        return open(http, uri, token, ledger, conn, null);
    }

    /**
     * Opens a connection with {@code ?resume=1} whose first frame is the {@code RESUME} from {@code position} (a new
     * one on a client's first connection); it may send once its {@code RESUMED} arrived ({@link #live}).
     */
    static CompletableFuture<SoakConnection> openResuming(
            HttpClient http, URI uri, String token, Ledger ledger, Ledger.Conn conn, Position position) {
        return open(http, URI.create(uri + "?resume=1"), token, ledger, conn, position);
    }

    private static CompletableFuture<SoakConnection> open(
            HttpClient http, URI uri, String token, Ledger ledger, Ledger.Conn conn, Position position) {
        SoakConnection c = new SoakConnection(ledger, conn, position);
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

    /** The client's place, for the connection that resumes this one (null: this one does not resume). */
    Position position() {
        return position;
    }

    /** Open, and, if resuming, answered: the soak may send on it. */
    boolean live() {
        return conn.isOpen() && (position == null || conn.isResumed());
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

    /**
     * Completes with the close code if the server closes the connection first (-1: it dropped without one), or with
     * {@link #RESUME_FAILED} when its resume answered {@code failed} and this client closes it to resume again.
     */
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
        if (position != null) {
            String resume = position.resumeFrame();
            synchronized (this) {
                lastSend = webSocket.sendText(resume, true); // the first frame, before any message
            }
        }
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
        boolean dropping = conn.resumeFailed();
        conn.receive(f, System.nanoTime());
        if (position != null && !dropping) {
            position.received(f);
        }
        if (!dropping && conn.resumeFailed()) {
            // docs/protocol.md: failed means retry later. Close and resume again from the same place.
            closedByServer.complete(RESUME_FAILED);
            close();
        }
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
        if (!closing) {
            closedByServer.complete(-1); // the connection dropped without a close frame: a client reconnects too
        }
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
