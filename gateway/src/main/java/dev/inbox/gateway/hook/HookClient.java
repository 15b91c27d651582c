package dev.inbox.gateway.hook;

import dev.inbox.gateway.health.Readiness;
import dev.inbox.gateway.metrics.GatewayMetrics;
import dev.inbox.gateway.metrics.HookMeters;
import dev.inbox.gateway.metrics.HookOutcome;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Calls one backend hook: a signed JSON POST over pooled, kept-alive HTTP/1.1 connections (the JDK's
 * {@link HttpClient}), with a timeout, a bound on calls in flight and on the answer's size, and meters. Never blocks
 * the caller: {@link #post} returns at once and its future completes on the client's threads, never an event loop.
 *
 * <p>While the hook cannot be reached (at start, or after a call found it unreachable) {@code /readyz} says so, and
 * a TCP probe retries until it can; any answer, whatever its status, clears it. Thread-safe.
 */
public final class HookClient implements AutoCloseable {
    /** Largest answer body read; past it the call is {@link HookOutcome#MALFORMED}. */
    public static final int MAX_RESPONSE_BYTES = 64 * 1024;

    private static final Logger log = LoggerFactory.getLogger(HookClient.class);
    private static final Duration PROBE_INTERVAL = Duration.ofSeconds(2);

    private final String name;
    private final URI url;
    private final HookSigner signer;
    private final Duration timeout;
    private final int maxInFlight;
    private final HttpClient http;
    private final HookMeters meters;
    private final Readiness readiness;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicBoolean probing = new AtomicBoolean();
    private final ScheduledExecutorService prober;

    /**
     * @param name which hook: {@code publish} or {@code connect}; names its meters and readiness condition
     */
    public HookClient(
            String name,
            URI url,
            byte[] secret,
            Duration timeout,
            int maxInFlight,
            GatewayMetrics metrics,
            Readiness readiness) {
        this.name = name;
        this.url = url;
        this.signer = new HookSigner(secret);
        this.timeout = timeout;
        this.maxInFlight = maxInFlight;
        this.readiness = readiness;
        this.meters = metrics.hook(name, inFlight::get);
        this.http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(timeout)
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
        this.prober = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "inbox-" + name + "-hook-probe");
            t.setDaemon(true);
            return t;
        });
        unreachable("not yet reached");
    }

    /** Calls waiting for their answer now. */
    public int inFlight() {
        return inFlight.get();
    }

    public HookMeters meters() {
        return meters;
    }

    /**
     * POSTs {@code body} (JSON), signed, with {@code headers} (name, value, name, value...) added. Completes with the
     * answer, whatever its status (counted ok, refused or failed by status class), or exceptionally with a
     * {@link HookException}: timed out, unreachable, over the in-flight bound (at once, nothing sent), or an answer
     * body over {@link #MAX_RESPONSE_BYTES}. A caller that finds the answer unusable counts it with
     * {@link HookMeters#call}{@code (MALFORMED)}.
     */
    public CompletableFuture<HookResponse> post(byte[] body, String... headers) {
        if (inFlight.incrementAndGet() > maxInFlight) {
            inFlight.decrementAndGet();
            meters.call(HookOutcome.OVERLOADED);
            return CompletableFuture.failedFuture(new HookException(
                    HookOutcome.OVERLOADED, name + " hook: " + maxInFlight + " calls already waiting"));
        }
        long started = System.nanoTime();
        CompletableFuture<HookResponse> result = new CompletableFuture<>();
        try {
            // Built inside the try: a header value the JDK refuses (a control character) must give the slot back.
            long seconds = System.currentTimeMillis() / 1000;
            HttpRequest.Builder request = HttpRequest.newBuilder(url)
                    .timeout(timeout)
                    .header("Content-Type", "application/json")
                    .header(HookSigner.TIMESTAMP_HEADER, Long.toString(seconds))
                    .header(HookSigner.SIGNATURE_HEADER, signer.sign(seconds, body))
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body));
            for (int i = 0; i + 1 < headers.length; i += 2) {
                request.header(headers[i], headers[i + 1]);
            }
            http.sendAsync(request.build(), info -> new BoundedBody(MAX_RESPONSE_BYTES))
                    .whenComplete((response, failure) -> {
                        inFlight.decrementAndGet();
                        if (failure == null) {
                            answered(started);
                            HookResponse r = new HookResponse(response.statusCode(), response.body());
                            meters.call(
                                    r.ok() ? HookOutcome.OK : r.refused() ? HookOutcome.REFUSED : HookOutcome.FAILED);
                            result.complete(r);
                        } else {
                            HookException e = classify(failure);
                            if (e.outcome() == HookOutcome.MALFORMED) {
                                answered(started);
                            } else if (e.outcome() == HookOutcome.UNREACHABLE) {
                                unreachable(e.getMessage());
                            }
                            meters.call(e.outcome());
                            result.completeExceptionally(e);
                        }
                    });
        } catch (RuntimeException e) {
            inFlight.decrementAndGet();
            meters.call(HookOutcome.UNREACHABLE);
            // The type only: the message may quote a forwarded header value (a cookie).
            result.completeExceptionally(new HookException(
                    HookOutcome.UNREACHABLE,
                    name + " hook: request not sent (" + e.getClass().getSimpleName() + ")"));
        }
        return result;
    }

    private void answered(long startedNanos) {
        meters.answeredIn(System.nanoTime() - startedNanos);
        readiness.set(condition(), null);
    }

    private HookException classify(Throwable failure) {
        Throwable cause =
                failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
        if (cause instanceof HookException e) {
            return e;
        }
        if (cause instanceof HttpConnectTimeoutException || cause instanceof ConnectException) {
            return new HookException(HookOutcome.UNREACHABLE, name + " hook unreachable (" + cause.getMessage() + ")");
        }
        if (cause instanceof HttpTimeoutException) {
            return new HookException(HookOutcome.TIMEOUT, name + " hook did not answer within " + timeout);
        }
        return new HookException(HookOutcome.UNREACHABLE, name + " hook connection failed (" + cause + ")");
    }

    private String condition() {
        return name + "-hook";
    }

    /** Reports not-ready and probes until a TCP connection to the hook succeeds. */
    private void unreachable(String why) {
        readiness.set(condition(), name + " hook " + url.getHost() + ":" + port() + " unreachable: " + why);
        if (probing.compareAndSet(false, true)) {
            prober.execute(this::probe);
        }
    }

    private void probe() {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(url.getHost(), port()), (int) Math.max(1, timeout.toMillis()));
            probing.set(false);
            readiness.set(condition(), null);
        } catch (IOException | RuntimeException e) {
            log.warn("{} hook {}:{} unreachable: {}", name, url.getHost(), port(), e.toString());
            readiness.set(condition(), name + " hook " + url.getHost() + ":" + port() + " unreachable: " + e);
            if (!prober.isShutdown()) {
                prober.schedule(this::probe, PROBE_INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
            }
        }
    }

    private int port() {
        if (url.getPort() > 0) {
            return url.getPort();
        }
        return "https".equalsIgnoreCase(url.getScheme()) ? 443 : 80;
    }

    @Override
    public void close() {
        prober.shutdownNow();
    }
}
