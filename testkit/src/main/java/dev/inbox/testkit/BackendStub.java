package dev.inbox.testkit;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * A product backend for the gateway's hooks to call: a real HTTP server (the JDK's) on a loopback port that
 * records every request (headers, body, arrival order), checks its signature with the recipe of
 * docs/operations.md ("Hooks") and answers what the test scripts per request: a status and body, after a delay or
 * a gate, never (until the stub closes), or by closing the connection. A request whose signature does not check
 * gets 401 {@code {"reason":"bad signature"}}, as a real backend would answer, and the script is not asked.
 *
 * <p>Requests are handled concurrently, one thread each, so one held answer does not hold the others.
 */
public final class BackendStub implements AutoCloseable {
    /** Signed timestamps older (or further ahead) than this are refused, as the documented recipe says. */
    public static final Duration MAX_SKEW = Duration.ofMinutes(5);

    private final HttpServer server;
    private final ExecutorService threads;
    private final byte[] secret;
    private final List<RecordedRequest> requests = new CopyOnWriteArrayList<>();
    private final AtomicInteger arrivals = new AtomicInteger();
    private final CompletableFuture<Void> closed = new CompletableFuture<>();
    private volatile Function<RecordedRequest, Answer> script = r -> Answer.status(204);

    private BackendStub(HttpServer server, ExecutorService threads, byte[] secret) {
        this.server = server;
        this.threads = threads;
        this.secret = secret.clone();
    }

    /** Starts a stub on a free loopback port, checking signatures made with {@code secret}. */
    public static BackendStub start(String secret) {
        return start(0, secret);
    }

    /** Starts a stub on a free loopback port that answers as {@code script} says (see {@link #answer}). */
    public static BackendStub start(String secret, Function<RecordedRequest, Answer> script) {
        BackendStub stub = start(0, secret);
        stub.answer(script);
        return stub;
    }

    /** Starts a stub on {@code port} of the loopback address (0: a free one). */
    public static BackendStub start(int port, String secret) {
        try {
            HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 64);
            ExecutorService threads = Executors.newCachedThreadPool(r -> {
                Thread t = new Thread(r, "backend-stub");
                t.setDaemon(true);
                return t;
            });
            server.setExecutor(threads);
            BackendStub stub = new BackendStub(server, threads, secret.getBytes(StandardCharsets.UTF_8));
            server.createContext("/", stub::handle);
            server.start();
            return stub;
        } catch (IOException e) {
            throw new UncheckedIOException("backend stub on port " + port, e);
        }
    }

    /** How to answer from now on: {@code script} sees each request (on the stub's thread) and picks the answer. */
    public void answer(Function<RecordedRequest, Answer> script) {
        this.script = script;
    }

    public int port() {
        return server.getAddress().getPort();
    }

    /** {@code http://127.0.0.1:<port><path>}. */
    public URI url(String path) {
        return URI.create("http://127.0.0.1:" + port() + path);
    }

    /** Every request so far, in arrival order. */
    public List<RecordedRequest> requests() {
        return List.copyOf(requests);
    }

    /** The requests so far to {@code path}, in arrival order (a stub that also serves pages to a browser). */
    public List<RecordedRequest> requests(String path) {
        return requests.stream().filter(r -> r.path.equals(path)).toList();
    }

    /** Waits until {@code count} requests have arrived and returns them, in arrival order. */
    public List<RecordedRequest> awaitRequests(int count) {
        Await.until(count + " requests at the backend stub", () -> requests.size() >= count);
        return requests();
    }

    private void handle(HttpExchange exchange) throws IOException {
        byte[] body;
        try (InputStream in = exchange.getRequestBody()) {
            body = in.readAllBytes();
        }
        RecordedRequest r = new RecordedRequest(
                arrivals.getAndIncrement(),
                exchange.getRequestMethod(),
                exchange.getRequestURI().getPath(),
                Map.copyOf(exchange.getRequestHeaders()),
                body,
                signatureChecks(exchange, body));
        requests.add(r);
        // A request with no signature at all is a browser's, for a page; a hook request signed wrongly gets 401.
        boolean unsigned = r.header("X-Inbox-Signature") == null && r.header("X-Inbox-Timestamp") == null;
        Answer a = r.signatureValid || unsigned ? script.apply(r) : Answer.json(401, "{\"reason\":\"bad signature\"}");
        try {
            if (a.after != null) {
                CompletableFuture.anyOf(a.after.toCompletableFuture(), closed).join();
            }
            if (!a.delay.isZero() && !closed.isDone()) {
                Thread.sleep(a.delay.toMillis());
            }
            if (a.drop || closed.isDone()) {
                exchange.close(); // before any response header: the connection is closed without an answer
                return;
            }
            exchange.getResponseHeaders().set("Content-Type", a.contentType);
            a.headers.forEach((name, value) -> exchange.getResponseHeaders().add(name, value));
            exchange.sendResponseHeaders(a.status, a.body.length == 0 ? -1 : a.body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(a.body);
            }
        } catch (IOException | InterruptedException e) {
            // the gateway gave up (timeout, or an answer over its bound): its side is closed
        } finally {
            exchange.close();
            r.answered.complete(null);
        }
    }

    /** The documented recipe: HMAC-SHA256 over "{timestamp}.{body}", compared in constant time; a fresh timestamp. */
    private boolean signatureChecks(HttpExchange exchange, byte[] body) {
        String timestamp = exchange.getRequestHeaders().getFirst("X-Inbox-Timestamp");
        String signature = exchange.getRequestHeaders().getFirst("X-Inbox-Signature");
        if (timestamp == null || signature == null || !signature.startsWith("v1=")) {
            return false;
        }
        long sentAt;
        try {
            sentAt = Long.parseLong(timestamp);
        } catch (NumberFormatException e) {
            return false;
        }
        if (Math.abs(System.currentTimeMillis() / 1000 - sentAt) > MAX_SKEW.toSeconds()) {
            return false;
        }
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            mac.update((timestamp + ".").getBytes(StandardCharsets.US_ASCII));
            byte[] expected = HexFormat.of().formatHex(mac.doFinal(body)).getBytes(StandardCharsets.US_ASCII);
            return MessageDigest.isEqual(expected, signature.substring(3).getBytes(StandardCharsets.US_ASCII));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Stops listening; answers still held are abandoned (their connections closed). */
    @Override
    public void close() {
        if (!closed.complete(null)) {
            return;
        }
        server.stop(0);
        threads.shutdownNow();
    }

    /** One request as the stub received it. */
    public static final class RecordedRequest {
        /** 0 for the first request the stub received, and so on. */
        public final int index;

        public final String method;
        public final String path;
        /** Header names as the JDK's server spells them (first letter upper case, the rest lower). */
        public final Map<String, List<String>> headers;

        public final byte[] body;
        /** Whether the signature checked (the request was answered by the script, not with 401). */
        public final boolean signatureValid;
        /** Completes once the answer is written (or abandoned). */
        public final CompletableFuture<Void> answered = new CompletableFuture<>();

        RecordedRequest(
                int index,
                String method,
                String path,
                Map<String, List<String>> headers,
                byte[] body,
                boolean signatureValid) {
            this.index = index;
            this.method = method;
            this.path = path;
            this.headers = headers;
            this.body = body;
            this.signatureValid = signatureValid;
        }

        /** The first value of header {@code name}, matched without regard to case, or null. */
        public String header(String name) {
            for (Map.Entry<String, List<String>> e : headers.entrySet()) {
                if (e.getKey().equalsIgnoreCase(name) && !e.getValue().isEmpty()) {
                    return e.getValue().get(0);
                }
            }
            return null;
        }

        public String text() {
            return new String(body, StandardCharsets.UTF_8);
        }

        /** The body as a JSON object ({@link Json#parse}). */
        public Map<String, Object> json() {
            return Json.parse(text());
        }

        @Override
        public String toString() {
            return "#" + index + " " + method + " " + path + " " + text();
        }
    }

    /** How the stub answers one request. */
    public static final class Answer {
        final int status;
        final byte[] body;
        final String contentType;
        final Map<String, String> headers;
        final Duration delay;
        final CompletionStage<?> after;
        final boolean drop;

        private Answer(
                int status,
                byte[] body,
                String contentType,
                Map<String, String> headers,
                Duration delay,
                CompletionStage<?> after,
                boolean drop) {
            this.status = status;
            this.body = body;
            this.contentType = contentType;
            this.headers = headers;
            this.delay = delay;
            this.after = after;
            this.drop = drop;
        }

        private static Answer of(int status, byte[] body, String contentType) {
            return new Answer(status, body, contentType, Map.of(), Duration.ZERO, null, false);
        }

        /** {@code status} with an empty body. */
        public static Answer status(int status) {
            return of(status, new byte[0], "application/json");
        }

        /** {@code status} with {@code body}. */
        public static Answer json(int status, String body) {
            return of(status, body.getBytes(StandardCharsets.UTF_8), "application/json");
        }

        /** 200 with an HTML page, for a browser. */
        public static Answer html(String page) {
            return of(200, page.getBytes(StandardCharsets.UTF_8), "text/html; charset=utf-8");
        }

        /** No answer at all until the stub closes (the gateway's timeout decides). */
        public static Answer hang() {
            return status(204).after(new CompletableFuture<>());
        }

        /** The connection is closed without an answer. */
        public static Answer drop() {
            return new Answer(0, new byte[0], "", Map.of(), Duration.ZERO, null, true);
        }

        /** This answer with one more response header (a Set-Cookie, say). */
        public Answer withHeader(String name, String value) {
            Map<String, String> more = new java.util.LinkedHashMap<>(headers);
            more.put(name, value);
            return new Answer(status, body, contentType, Map.copyOf(more), delay, after, drop);
        }

        /** This answer, {@code delay} later. */
        public Answer delayed(Duration delay) {
            return new Answer(status, body, contentType, headers, delay, after, drop);
        }

        /** This answer, once {@code gate} completes (or never, if the stub closes first). */
        public Answer after(CompletionStage<?> gate) {
            return new Answer(status, body, contentType, headers, delay, gate, drop);
        }

        @Override
        public String toString() {
            String text = new String(body, StandardCharsets.UTF_8);
            return drop ? "drop" : status + " " + (text.length() > 80 ? text.substring(0, 80) + "..." : text);
        }
    }
}
