package dev.inbox.testkit;

import static org.junit.jupiter.api.Assertions.fail;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real WebSocket client that nobody here wrote, the JDK's {@link java.net.http.WebSocket}, with what a test needs
 * around it: every text message queued in arrival order, the close code the server sent, the pings it received.
 */
public final class WsClient implements WebSocket.Listener, AutoCloseable {
    /** How long a test waits for something it expects to happen. */
    public static final Duration WAIT = Await.WAIT;

    private final BlockingQueue<String> messages = new LinkedBlockingQueue<>();
    private final CompletableFuture<Integer> closeCode = new CompletableFuture<>();
    private final AtomicInteger pings = new AtomicInteger();
    private volatile long closedAtNanos;
    private final StringBuilder partial = new StringBuilder();
    private volatile WebSocket ws;

    private WsClient() {}

    /** Thrown when the server refused the upgrade; carries the HTTP status. */
    public static final class Refused extends Exception {
        private static final long serialVersionUID = 1L;
        private final int status;
        private final String body;

        Refused(int status, String body) {
            super("upgrade refused with HTTP " + status + ": " + body);
            this.status = status;
            this.body = body;
        }

        public int status() {
            return status;
        }

        public String body() {
            return body;
        }
    }

    public static WsClient connect(HttpClient http, URI uri, Map<String, String> headers, List<String> subprotocols)
            throws Refused {
        WsClient client = new WsClient();
        WebSocket.Builder b = http.newWebSocketBuilder().connectTimeout(WAIT);
        headers.forEach(b::header);
        if (!subprotocols.isEmpty()) {
            b.subprotocols(
                    subprotocols.get(0),
                    subprotocols.subList(1, subprotocols.size()).toArray(new String[0]));
        }
        try {
            client.ws = b.buildAsync(uri, client).get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
            return client;
        } catch (ExecutionException e) {
            if (e.getCause() instanceof WebSocketHandshakeException h) {
                Object body = h.getResponse().body();
                throw new Refused(h.getResponse().statusCode(), body == null ? "" : body.toString());
            }
            throw new AssertionError("connect to " + uri.getPath() + " failed", e);
        } catch (InterruptedException | TimeoutException e) {
            throw new AssertionError("connect to " + uri.getPath() + " did not complete", e);
        }
    }

    public WebSocket socket() {
        return ws;
    }

    /** The subprotocol the server selected. */
    public String subprotocol() {
        return ws.getSubprotocol();
    }

    public void send(String text) {
        ws.sendText(text, true).join();
    }

    public void sendBinary(byte[] bytes) {
        ws.sendBinary(ByteBuffer.wrap(bytes), true).join();
    }

    /** The next text message, waiting up to {@link #WAIT}. */
    public String next() {
        try {
            String m = messages.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
            if (m == null) {
                fail("no message within " + WAIT);
            }
            return m;
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    /** The next text message as a JSON object. */
    public Map<String, Object> nextJson() {
        return Json.parse(next());
    }

    /** Messages received and not yet taken. */
    public int pending() {
        return messages.size();
    }

    /** Pings received from the server. */
    public int pings() {
        return pings.get();
    }

    /** The close code the server sent, waiting up to {@link #WAIT}. */
    public int awaitClose() {
        try {
            return closeCode.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException | ExecutionException | TimeoutException e) {
            throw new AssertionError("no close from the server within " + WAIT, e);
        }
    }

    /** {@link System#nanoTime()} when the server's close frame arrived. */
    public long closedAtNanos() {
        return closedAtNanos;
    }

    public boolean isClosedByServer() {
        return closeCode.isDone();
    }

    @Override
    public void onOpen(WebSocket webSocket) {
        webSocket.request(1);
    }

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
        synchronized (partial) {
            partial.append(data);
            if (last) {
                messages.add(partial.toString());
                partial.setLength(0);
            }
        }
        webSocket.request(1);
        return null;
    }

    @Override
    public CompletionStage<?> onPing(WebSocket webSocket, ByteBuffer message) {
        pings.incrementAndGet();
        webSocket.request(1);
        return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
        closedAtNanos = System.nanoTime();
        closeCode.complete(statusCode);
        return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
        closeCode.completeExceptionally(error);
    }

    /** Closes normally (1000) and waits for the server's answer. */
    @Override
    public void close() {
        if (ws != null && !ws.isOutputClosed()) {
            try {
                ws.sendClose(WebSocket.NORMAL_CLOSURE, "bye").get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException | ExecutionException | TimeoutException | CompletionException e) {
                ws.abort();
            }
        }
    }
}
