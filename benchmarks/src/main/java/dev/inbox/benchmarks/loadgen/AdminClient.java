package dev.inbox.benchmarks.loadgen;

import dev.inbox.testkit.PrometheusText;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;

/**
 * The gateway's admin API as the load generator uses it: membership ({@code PUT /api/conversations/{id}/members})
 * and {@code GET /metrics}. The JDK HTTP client; called from the orchestrating thread, never an event loop.
 */
final class AdminClient {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    /** Membership calls in flight at once: enough to set thousands of conversations quickly, few enough to be polite. */
    private static final int IN_FLIGHT = 16;

    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(TIMEOUT).build();
    private final String apiKey;

    AdminClient(String apiKey) {
        this.apiKey = apiKey;
    }

    /** Sets every conversation's members on {@code admin}; throws on the first refusal, naming it. */
    void setMembers(URI admin, List<ConversationPlan> conversations) throws InterruptedException {
        Semaphore permits = new Semaphore(IN_FLIGHT);
        List<CompletableFuture<String>> calls = new ArrayList<>();
        for (ConversationPlan c : conversations) {
            permits.acquire();
            String path = "/api/conversations/" + c.id() + "/members";
            HttpRequest put = HttpRequest.newBuilder(admin.resolve(path))
                    .timeout(TIMEOUT)
                    .header("Authorization", "Bearer " + apiKey)
                    .header("Content-Type", "application/json")
                    .PUT(HttpRequest.BodyPublishers.ofString(c.membersBody()))
                    .build();
            calls.add(http.sendAsync(put, HttpResponse.BodyHandlers.ofString()).handle((r, e) -> {
                permits.release();
                if (e != null) {
                    return "PUT " + admin.resolve(path) + ": " + e;
                }
                return r.statusCode() == 200
                        ? null
                        : "PUT " + admin.resolve(path) + ": " + r.statusCode() + " "
                                + r.body().strip();
            }));
        }
        for (CompletableFuture<String> call : calls) {
            try {
                String failure = call.get();
                if (failure != null) {
                    throw new IllegalStateException("setting membership: " + failure);
                }
            } catch (ExecutionException e) {
                throw new IllegalStateException("setting membership", e.getCause());
            }
        }
    }

    /** The Prometheus text of {@code admin}'s {@code /metrics}. */
    PrometheusText metrics(URI admin) throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(
                HttpRequest.newBuilder(admin.resolve("/metrics"))
                        .timeout(TIMEOUT)
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IOException("GET " + admin.resolve("/metrics") + ": " + r.statusCode());
        }
        return new PrometheusText(r.body());
    }
}
