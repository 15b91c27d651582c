package dev.inbox.gateway.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.inbox.gateway.testing.GatewayFixture;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The public port's files under --demo-page: exactly the client's files, from the jar, and nothing without it. */
class DemoFilesIT {
    private static HttpResponse<String> get(GatewayFixture gw, String path) {
        try {
            return gw.http()
                    .send(HttpRequest.newBuilder(gw.publicHttp(path)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException | InterruptedException e) {
            throw new AssertionError("GET " + path, e);
        }
    }

    @Test
    void withTheFlagThePageAndTheClientAreServedAsTheyAreInClientDir() throws IOException {
        try (GatewayFixture gw = GatewayFixture.start("--demo-page", "true")) {
            HttpResponse<String> page = get(gw, "/");
            assertEquals(200, page.statusCode());
            assertEquals(
                    "text/html; charset=utf-8",
                    page.headers().firstValue("content-type").orElse(""));
            assertTrue(page.headers()
                    .firstValue("content-security-policy")
                    .orElse("")
                    .contains("default-src 'self'"));
            assertEquals(200, get(gw, "/?user_id=1&name=Ann").statusCode(), "the query is the page's");

            HttpResponse<String> client = get(gw, "/client/inbox-client.js");
            assertEquals(200, client.statusCode());
            assertEquals(
                    "text/javascript; charset=utf-8",
                    client.headers().firstValue("content-type").orElse(""));
            // One source of truth: the jar holds client/ as it is in the tree.
            Path source = Path.of("").toAbsolutePath().getParent().resolve("client/inbox-client.js");
            assertEquals(Files.readString(source), client.body());

            for (String notServed :
                    new String[] {"/client/test/unit.html", "/client/../pom.xml", "/client/", "/logback.xml", "/x"}) {
                assertEquals(404, get(gw, notServed).statusCode(), notServed);
            }
        }
    }

    @Test
    void withoutTheFlagThePublicPortServesOnlyTheWebSocket() {
        try (GatewayFixture gw = GatewayFixture.start()) {
            assertEquals(404, get(gw, "/").statusCode());
            assertEquals(404, get(gw, "/client/inbox-client.js").statusCode());
        }
    }
}
