package dev.inbox.gateway.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.inbox.testkit.Chromium;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The client's pure logic (backoff, close codes, listener filtering, typing expiry): {@code client/test/unit.html}
 * in headless Chromium, the browser the client is for. The files are served as they are in the source tree (module
 * scripts need http, not file:), by the JDK's own HTTP server.
 */
class ClientUnitBrowserIT {
    /** The top-level client/ directory: the failsafe run's working directory is the gateway module. */
    private static final Path CLIENT = Path.of("").toAbsolutePath().getParent().resolve("client");

    @Test
    void everyUnitTestOfTheClientPassesInChromium() throws IOException {
        assertTrue(Files.isDirectory(CLIENT.resolve("test")), () -> CLIENT + " has no test directory");
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", exchange -> {
            Path file = CLIENT.resolve(exchange.getRequestURI().getPath().substring(1))
                    .normalize();
            if (!file.startsWith(CLIENT) || !Files.isRegularFile(file)) {
                exchange.sendResponseHeaders(404, -1);
                exchange.close();
                return;
            }
            byte[] body = Files.readAllBytes(file);
            String name = file.getFileName().toString();
            exchange.getResponseHeaders()
                    .set("Content-Type", name.endsWith(".js") ? "text/javascript" : "text/html; charset=utf-8");
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
        try (Chromium chromium = Chromium.start()) {
            chromium.open("http://127.0.0.1:" + server.getAddress().getPort() + "/test/unit.html");
            chromium.await(
                    "the unit tests ran",
                    d -> chromium.<Boolean>script("return document.getElementById('results').dataset.done === 'true'"));
            List<Map<String, Object>> results = chromium.script("return window.unitResults");
            String failures = results.stream()
                    .filter(r -> !Boolean.TRUE.equals(r.get("ok")))
                    .map(r -> r.get("name") + ": " + r.get("error"))
                    .collect(Collectors.joining("\n"));
            assertEquals("", failures);
            assertTrue(results.size() >= 14, () -> "only " + results.size() + " tests ran");
        } finally {
            server.stop(0);
        }
    }
}
