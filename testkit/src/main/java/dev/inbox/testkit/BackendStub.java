package dev.inbox.testkit;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * A backend for the gateway's hooks to call: a real HTTP server (the JDK's) on a free loopback port that records
 * every request (method, path, headers, body, arrival order, whether its signature is valid) and answers what the
 * test's handler says: a status, headers and a body, after a delay, or never ({@link Answer#hang}), or by closing the
 * connection ({@link Answer#closeConnection}). The handler may be replaced between calls. Delays and hangs hold no
 * thread: the answer is scheduled.
 *
 * <p>The signature is checked with the recipe in docs/operations.md ("Hooks"): {@code X-Inbox-Signature} is
 * {@code v1=} and the lowercase hex HMAC-SHA256, keyed with the hook secret, of {@code <X-Inbox-Timestamp>.<body>},
 * and the timestamp is within {@link #TOLERANCE} of now.
 */
public final class BackendStub implements AutoCloseable {
    /** How far a request's timestamp may be from now for its signature to count as valid. */
    public static final Duration TOLERANCE = Duration.ofMinutes(5);

    /**
     * One request as the backend received it.
     *
     * @param index       its arrival order, from 0
     * @param headers     every header, names in lower case
     * @param signatureOk whether it carried a valid, fresh signature
     */
    public record RecordedRequest(
            int index,
            String method,
            String path,
            Map<String, List<String>> headers,
            byte[] body,
            boolean signatureOk) {
        /** The first value of header {@code name} (any case), or null. */
        public String header(String name) {
            List<String> values = headers.get(name.toLowerCase(Locale.ROOT));
            return values == null || values.isEmpty() ? null : values.get(0);
        }

        public String bodyText() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    /** What the backend answers to one request. */
    public record Answer(int status, Map<String, String> headers, byte[] body, Duration delay, Kind kind) {
        /** How the answer ends the exchange. */
        public enum Kind {
            RESPOND,
            HANG,
            CLOSE
        }

        /** {@code status} with a JSON body. */
        public static Answer json(int status, String body) {
            return new Answer(
                    status,
                    Map.of("Content-Type", "application/json"),
                    body.getBytes(StandardCharsets.UTF_8),
                    Duration.ZERO,
                    Kind.RESPOND);
        }

        /** {@code status} with no body. */
        public static Answer status(int status) {
            return new Answer(status, Map.of(), new byte[0], Duration.ZERO, Kind.RESPOND);
        }

        /** 200 with an HTML page. */
        public static Answer html(String page) {
            return new Answer(
                    200,
                    Map.of("Content-Type", "text/html; charset=utf-8"),
                    page.getBytes(StandardCharsets.UTF_8),
                    Duration.ZERO,
                    Kind.RESPOND);
        }

        /** No answer at all, until the stub closes. */
        public static Answer hang() {
            return new Answer(0, Map.of(), new byte[0], Duration.ZERO, Kind.HANG);
        }

        /** The connection closed without an answer. */
        public static Answer closeConnection() {
            return new Answer(0, Map.of(), new byte[0], Duration.ZERO, Kind.CLOSE);
        }

        /** This answer, with one more header. */
        public Answer withHeader(String name, String value) {
            Map<String, String> h = new LinkedHashMap<>(headers);
            h.put(name, value);
            return new Answer(status, Map.copyOf(h), body, delay, kind);
        }

        /** This answer, given {@code wait} after the request arrived. */
        public Answer after(Duration wait) {
            return new Answer(status, headers, body, wait, kind);
        }
    }

    private final HttpServer server;
    private final ExecutorService executor = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "backend-stub");
        t.setDaemon(true);
        return t;
    });
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "backend-stub-timer");
        t.setDaemon(true);
        return t;
    });
    private final byte[] secret;
    private final List<RecordedRequest> requests = new CopyOnWriteArrayList<>();
    private final Set<HttpExchange> open = ConcurrentHashMap.newKeySet();
    private volatile Function<RecordedRequest, Answer> handler;

    private BackendStub(byte[] secret, Function<RecordedRequest, Answer> handler) throws IOException {
        this.secret = secret.clone();
        this.handler = handler;
        this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 128);
        server.setExecutor(executor);
        server.createContext("/", this::exchange);
        server.start();
    }

    /** A stub on a free loopback port, checking signatures with {@code secret}, answering with {@code handler}. */
    public static BackendStub start(String secret, Function<RecordedRequest, Answer> handler) throws IOException {
        return new BackendStub(secret.getBytes(StandardCharsets.UTF_8), handler);
    }

    public int port() {
        return server.getAddress().getPort();
    }

    /** {@code http://127.0.0.1:<port><path>}. */
    public URI url(String path) {
        return URI.create("http://127.0.0.1:" + port() + path);
    }

    /** Answers the requests from now on with {@code next}. */
    public void answer(Function<RecordedRequest, Answer> next) {
        handler = next;
    }

    /** Every request so far, in arrival order. */
    public List<RecordedRequest> requests() {
        return List.copyOf(requests);
    }

    /** Requests so far to {@code path} (without its query). */
    public List<RecordedRequest> requests(String path) {
        List<RecordedRequest> matching = new ArrayList<>();
        for (RecordedRequest r : requests) {
            if (URI.create(r.path()).getPath().equals(path)) {
                matching.add(r);
            }
        }
        return matching;
    }

    private void exchange(HttpExchange exchange) throws IOException {
        byte[] body;
        try (InputStream in = exchange.getRequestBody()) {
            body = in.readAllBytes();
        }
        Map<String, List<String>> headers = new LinkedHashMap<>();
        exchange.getRequestHeaders()
                .forEach((name, values) -> headers.put(name.toLowerCase(Locale.ROOT), List.copyOf(values)));
        RecordedRequest request;
        synchronized (requests) {
            request = new RecordedRequest(
                    requests.size(),
                    exchange.getRequestMethod(),
                    exchange.getRequestURI().toString(),
                    Map.copyOf(headers),
                    body,
                    signatureOk(headers, body));
            requests.add(request);
        }
        Answer answer;
        try {
            answer = handler.apply(request);
        } catch (RuntimeException e) {
            answer = Answer.json(500, "{\"error\":\"the stub's handler failed: " + e + "\"}");
        }
        open.add(exchange);
        Answer a = answer;
        if (a.kind() == Answer.Kind.HANG) {
            return; // closed with the stub
        }
        if (a.delay().isZero()) {
            finish(exchange, a);
        } else {
            timer.schedule(() -> finish(exchange, a), a.delay().toNanos(), TimeUnit.NANOSECONDS);
        }
    }

    private void finish(HttpExchange exchange, Answer a) {
        try {
            if (a.kind() == Answer.Kind.RESPOND) {
                a.headers().forEach((n, v) -> exchange.getResponseHeaders().add(n, v));
                exchange.sendResponseHeaders(a.status(), a.body().length == 0 ? -1 : a.body().length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(a.body());
                }
            }
        } catch (IOException e) {
            // the gateway gave up on this call first (its timeout): nothing to answer
        } finally {
            // Before the response headers, closing the exchange closes the connection: Kind.CLOSE.
            exchange.close();
            open.remove(exchange);
        }
    }

    private boolean signatureOk(Map<String, List<String>> headers, byte[] body) {
        List<String> ts = headers.get("x-inbox-timestamp");
        List<String> sig = headers.get("x-inbox-signature");
        if (ts == null || sig == null || ts.size() != 1 || sig.size() != 1) {
            return false;
        }
        long seconds;
        try {
            seconds = Long.parseLong(ts.get(0));
        } catch (NumberFormatException e) {
            return false;
        }
        if (Math.abs(System.currentTimeMillis() / 1000 - seconds) > TOLERANCE.toSeconds()) {
            return false;
        }
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            mac.update(ts.get(0).getBytes(StandardCharsets.US_ASCII));
            mac.update((byte) '.');
            String expected = "v1=" + HexFormat.of().formatHex(mac.doFinal(body));
            return MessageDigest.isEqual(
                    expected.getBytes(StandardCharsets.US_ASCII), sig.get(0).getBytes(StandardCharsets.US_ASCII));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }

    /** Stops the server: hung exchanges and open connections are closed. */
    @Override
    public void close() {
        server.stop(0);
        for (HttpExchange e : open) {
            e.close();
        }
        timer.shutdownNow();
        executor.shutdownNow();
    }
}
