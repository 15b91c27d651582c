package dev.inbox.gateway.hook;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.inbox.gateway.health.Readiness;
import dev.inbox.gateway.metrics.GatewayMetrics;
import dev.inbox.gateway.metrics.HookOutcome;
import dev.inbox.testkit.Await;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntFunction;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The hook client over real sockets, against a raw HTTP/1.1 backend that counts its connections: keep-alive and
 * reuse, one connection per call in flight, and the answers that must not leave a connection in the pool.
 */
class HookClientTest {
    private static final byte[] SECRET = "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] BODY = "{}".getBytes(StandardCharsets.UTF_8);

    private final EventLoopGroup loops = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final List<AutoCloseable> closing = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : closing) {
            c.close();
        }
        loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private HookClient client(URI url, Duration timeout, int maxInFlight) {
        return client(url, timeout, maxInFlight, 64);
    }

    private HookClient client(URI url, Duration timeout, int maxInFlight, int maxConnections) {
        HookClient client = new HookClient(
                "publish",
                url,
                SECRET,
                timeout,
                maxInFlight,
                maxConnections,
                loops,
                NioSocketChannel.class,
                new GatewayMetrics(),
                new Readiness());
        closing.add(0, client);
        return client;
    }

    private RawBackend backend(IntFunction<String> answers) throws IOException {
        RawBackend b = new RawBackend(answers);
        closing.add(b);
        return b;
    }

    private static HookResponse answer(CompletableFuture<HookResponse> call) {
        return call.orTimeout(10, TimeUnit.SECONDS).join();
    }

    private static HookException failure(CompletableFuture<HookResponse> call) {
        ExecutionException e = assertThrows(
                ExecutionException.class, () -> call.get(10, TimeUnit.SECONDS), "the call should have failed");
        return assertInstanceOf(HookException.class, e.getCause());
    }

    private static final String NO_CONTENT = "HTTP/1.1 204 No Content\r\n\r\n";

    /** A forwarded header HTTP cannot carry fails that call only: its in-flight slot comes back, its value is not told. */
    @Test
    void aRequestThatCannotBeBuiltGivesItsSlotBackAndNeverQuotesTheHeader() {
        HookClient client = client(URI.create("http://127.0.0.1:9/connect"), Duration.ofSeconds(1), 1);
        HookException cause = failure(client.post(BODY, "Cookie", "sessionid=secret\r\nX-Evil: 1"));
        assertEquals(HookOutcome.UNREACHABLE, cause.outcome());
        assertFalse(cause.getMessage().contains("secret"), cause.getMessage());
        assertEquals(0, client.inFlight(), "the slot of the call that was never sent is free again");
    }

    @Test
    void callsOneAfterAnotherShareOneKeptAliveConnection() throws IOException {
        RawBackend backend = backend(i -> NO_CONTENT);
        HookClient client = client(backend.url(), Duration.ofSeconds(5), 10);
        for (int i = 0; i < 20; i++) {
            assertEquals(204, answer(client.post(BODY)).status());
        }
        assertEquals(20, backend.requests.size());
        assertEquals(1, backend.connections.get(), "every call after the first reused its connection");
        assertEquals(0, client.inFlight());
        String first = backend.requests.get(0);
        assertTrue(first.startsWith("POST /hook?x=1 HTTP/1.1\r\n"), first);
        String headers = first.toLowerCase(Locale.ROOT);
        assertTrue(headers.contains("\r\nhost: 127.0.0.1:" + backend.port() + "\r\n"), first);
        assertTrue(headers.contains("\r\ncontent-type: application/json\r\n"), first);
        assertTrue(headers.contains("\r\nx-inbox-signature: v1="), first);
        assertTrue(first.endsWith("\r\n\r\n{}"), first);
    }

    @Test
    void callsInFlightTogetherEachHaveAConnectionAndTheNextWaveReusesThem() throws IOException {
        CountDownLatch allArrived = new CountDownLatch(5);
        RawBackend backend = backend(i -> {
            allArrived.countDown();
            await(allArrived); // each answer waits until all five are in flight
            return NO_CONTENT;
        });
        HookClient client = client(backend.url(), Duration.ofSeconds(10), 10);
        for (int wave = 0; wave < 3; wave++) {
            List<CompletableFuture<HookResponse>> calls = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                calls.add(client.post(BODY));
            }
            calls.forEach(c -> assertEquals(204, answer(c).status()));
        }
        assertEquals(15, backend.requests.size());
        assertEquals(5, backend.connections.get(), "five at once needed five connections; later waves reused them");
    }

    @Test
    void anAnswerOverTheBoundIsMalformedAndItsConnectionIsNotReused() throws IOException {
        int over = HookClient.MAX_RESPONSE_BYTES + 1;
        RawBackend backend = backend(i ->
                i == 0 ? "HTTP/1.1 200 OK\r\nContent-Length: " + over + "\r\n\r\n" + "x".repeat(over) : NO_CONTENT);
        HookClient client = client(backend.url(), Duration.ofSeconds(5), 10);
        assertEquals(HookOutcome.MALFORMED, failure(client.post(BODY)).outcome());
        assertEquals(204, answer(client.post(BODY)).status());
        assertEquals(2, backend.connections.get(), "the connection with the half-read answer was closed");
        assertEquals(0, client.inFlight());
    }

    @Test
    void aChunkedAnswerIsReadWholeAndItsConnectionReused() throws IOException {
        String json = "{\"message\":\"moderated\"}";
        RawBackend backend = backend(i -> "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "5\r\n" + json.substring(0, 5) + "\r\n"
                + Integer.toHexString(json.length() - 5) + "\r\n" + json.substring(5) + "\r\n0\r\n\r\n");
        HookClient client = client(backend.url(), Duration.ofSeconds(5), 10);
        for (int i = 0; i < 2; i++) {
            HookResponse r = answer(client.post(BODY));
            assertEquals(200, r.status());
            assertArrayEquals(json.getBytes(StandardCharsets.UTF_8), r.body());
        }
        assertEquals(1, backend.connections.get());
    }

    @Test
    void anAnswerThatClosesItsConnectionIsNotReused() throws IOException {
        RawBackend backend = backend(i -> "HTTP/1.1 409 Conflict\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}");
        HookClient client = client(backend.url(), Duration.ofSeconds(5), 10);
        assertEquals(409, answer(client.post(BODY)).status());
        assertEquals(409, answer(client.post(BODY)).status());
        assertEquals(2, backend.connections.get());
    }

    @Test
    void aCallPastTheTimeoutTimesOutAndTheNextGoesOutOnAFreshConnection() throws IOException {
        CountDownLatch never = new CountDownLatch(1);
        RawBackend backend = backend(i -> {
            if (i == 0) {
                await(never); // until the client gives up and closes the connection
            }
            return NO_CONTENT;
        });
        closing.add(never::countDown);
        HookClient client = client(backend.url(), Duration.ofMillis(300), 10);
        assertEquals(HookOutcome.TIMEOUT, failure(client.post(BODY)).outcome());
        assertEquals(0, client.inFlight());
        assertEquals(204, answer(client.post(BODY)).status());
        assertEquals(2, backend.connections.get(), "the timed-out call's connection was closed, not reused");
    }

    @Test
    void aBackendThatClosesWithoutAnsweringIsUnreachable() throws IOException {
        RawBackend backend = backend(i -> i == 0 ? null : NO_CONTENT); // null: close without a byte
        HookClient client = client(backend.url(), Duration.ofSeconds(5), 10);
        assertEquals(HookOutcome.UNREACHABLE, failure(client.post(BODY)).outcome());
        assertEquals(204, answer(client.post(BODY)).status());
    }

    @Test
    void pastTheInFlightBoundACallIsRefusedAtOnceWithNothingSent() throws IOException {
        CountDownLatch release = new CountDownLatch(1);
        RawBackend backend = backend(i -> {
            await(release);
            return NO_CONTENT;
        });
        closing.add(release::countDown);
        HookClient client = client(backend.url(), Duration.ofSeconds(10), 2);
        CompletableFuture<HookResponse> a = client.post(BODY);
        CompletableFuture<HookResponse> b = client.post(BODY);
        assertEquals(HookOutcome.OVERLOADED, failure(client.post(BODY)).outcome());
        Await.until("two calls reached the backend", () -> backend.requests.size() == 2);
        release.countDown();
        assertEquals(204, answer(a).status());
        assertEquals(204, answer(b).status());
        assertEquals(2, backend.requests.size(), "the refused call was never sent");
    }

    @Test
    void pastTheConnectionCapCallsWaitForAFreeConnectionInsteadOfOpeningMore() throws IOException {
        RawBackend backend = backend(i -> NO_CONTENT);
        HookClient client = client(backend.url(), Duration.ofSeconds(5), 100, 2);
        List<CompletableFuture<HookResponse>> calls = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            calls.add(client.post(BODY));
        }
        calls.forEach(c -> assertEquals(204, answer(c).status()));
        assertEquals(30, backend.requests.size());
        assertEquals(2, backend.connections.get(), "thirty calls at once went over the two connections allowed");
    }

    @Test
    void aCallWaitingForAConnectionTimesOutUnsentAndGivesItsSlotBack() throws IOException {
        CountDownLatch held = new CountDownLatch(1);
        RawBackend backend = backend(i -> {
            if (i == 0) {
                await(held); // the first call holds the only connection until the test lets it go
            }
            return NO_CONTENT;
        });
        closing.add(held::countDown);
        HookClient client = client(backend.url(), Duration.ofSeconds(10), 10, 1);
        CompletableFuture<HookResponse> first = client.post(BODY);
        Await.until("the first call reached the backend", () -> backend.requests.size() == 1);
        // Its own short timer: it waits behind the first for the only connection and runs out while waiting.
        CompletableFuture<HookResponse> second = client.post(BODY, Duration.ofMillis(300));
        assertEquals(HookOutcome.TIMEOUT, failure(second).outcome());
        assertEquals(1, client.inFlight(), "the call that timed out waiting gave its slot back");
        held.countDown();
        assertEquals(204, answer(first).status());
        assertEquals(204, answer(client.post(BODY)).status(), "the freed connection carries the next call");
        assertEquals(2, backend.requests.size(), "the call that only waited for a connection was never sent");
        assertEquals(1, backend.connections.get());
    }

    /** A call made on an event loop is answered on that loop: no thread is started or woken for it. */
    @Test
    void aCallFromAnEventLoopIsAnsweredOnThatLoop() throws Exception {
        RawBackend backend = backend(i -> NO_CONTENT);
        HookClient client = client(backend.url(), Duration.ofSeconds(5), 10);
        EventLoop loop = loops.next();
        AtomicReference<Thread> answeredOn = new AtomicReference<>();
        CompletableFuture<HookResponse> call = CompletableFuture.supplyAsync(() -> client.post(BODY), loop)
                .thenCompose(c -> c.whenComplete((r, t) -> answeredOn.set(Thread.currentThread())))
                .toCompletableFuture();
        assertEquals(204, answer(call).status());
        Thread loopThread =
                CompletableFuture.supplyAsync(Thread::currentThread, loop).get();
        assertEquals(loopThread, answeredOn.get());
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await(20, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * A minimal HTTP/1.1 backend on raw sockets: keeps every connection alive, reads each request (headers and a
     * Content-Length body), and writes whatever {@code answers} returns for the n-th request (0-based), or closes
     * the connection when it returns {@code null}. Counts the connections that carried a request (not the client's
     * readiness probe, which connects and closes).
     */
    private static final class RawBackend implements AutoCloseable {
        /** Connections that carried at least one request. */
        final AtomicInteger connections = new AtomicInteger();

        final List<String> requests = new CopyOnWriteArrayList<>();
        private final AtomicInteger arrivals = new AtomicInteger();
        private final ServerSocket server;
        private final IntFunction<String> answers;
        private final List<Socket> sockets = new CopyOnWriteArrayList<>();

        RawBackend(IntFunction<String> answers) throws IOException {
            this.answers = answers;
            this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            Thread acceptor = new Thread(this::accept, "raw-backend-accept");
            acceptor.setDaemon(true);
            acceptor.start();
        }

        int port() {
            return server.getLocalPort();
        }

        URI url() {
            return URI.create("http://127.0.0.1:" + port() + "/hook?x=1");
        }

        private void accept() {
            while (!server.isClosed()) {
                try {
                    Socket s = server.accept();
                    sockets.add(s);
                    Thread t = new Thread(() -> serve(s), "raw-backend-conn");
                    t.setDaemon(true);
                    t.start();
                } catch (IOException e) {
                    return; // closed
                }
            }
        }

        private void serve(Socket s) {
            try (s;
                    InputStream in = s.getInputStream();
                    OutputStream out = s.getOutputStream()) {
                for (boolean first = true; ; first = false) {
                    String request = readRequest(in);
                    if (request == null) {
                        return;
                    }
                    if (first) {
                        connections.incrementAndGet();
                    }
                    int n = arrivals.getAndIncrement();
                    requests.add(request);
                    String answer = answers.apply(n);
                    if (answer == null) {
                        return;
                    }
                    out.write(answer.getBytes(StandardCharsets.ISO_8859_1));
                    out.flush();
                }
            } catch (IOException e) {
                // the client closed the connection
            }
        }

        /** One request's head and body as text, or {@code null} at the end of the stream. */
        private static String readRequest(InputStream in) throws IOException {
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            int b;
            while ((b = in.read()) != -1) {
                head.write(b);
                byte[] h = head.toByteArray();
                int n = h.length;
                if (n >= 4 && h[n - 4] == '\r' && h[n - 3] == '\n' && h[n - 2] == '\r' && h[n - 1] == '\n') {
                    String text = head.toString(StandardCharsets.ISO_8859_1);
                    int length = 0;
                    for (String line : text.split("\r\n")) {
                        if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
                            length = Integer.parseInt(line.substring(15).trim());
                        }
                    }
                    byte[] body = in.readNBytes(length);
                    return text + new String(body, StandardCharsets.UTF_8);
                }
            }
            return null;
        }

        @Override
        public void close() throws IOException {
            server.close();
            for (Socket s : sockets) {
                s.close();
            }
        }
    }
}
