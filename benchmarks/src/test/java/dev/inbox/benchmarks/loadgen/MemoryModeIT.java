package dev.inbox.benchmarks.loadgen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.inbox.testkit.GatewayProcess;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Memory mode against a gateway in its own process (so its heap and RSS are the node's alone, not this test's):
 * the per-connection figures come out present, and heap per connection positive.
 */
class MemoryModeIT {
    private static final int CONNECTIONS = 200;

    @TempDir
    Path dir;

    private Process node;

    @AfterEach
    void stopNode() throws InterruptedException {
        if (node != null) {
            node.destroy();
            if (!node.waitFor(10, TimeUnit.SECONDS)) {
                node.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void idleConnectionsAreMeasuredPerConnection() throws Exception {
        GatewayProcess gateway = GatewayProcess.started(
                "memory-mode",
                List.of("-Xmx256m"),
                GatewayProcess.onLoopback(
                        "--dev",
                        "--max-handshakes-per-ip",
                        "100000",
                        "--drain-delay",
                        "1ms",
                        "--drain-window",
                        "100ms",
                        "--drain-deadline",
                        "2s"),
                HttpClient.newHttpClient(),
                "dev-api-key");
        node = gateway.process();
        int port = gateway.port();
        int admin = gateway.adminPort();

        Path json = dir.resolve("memory.json");
        ByteArrayOutputStream text = new ByteArrayOutputStream();
        PrintStream print = new PrintStream(text, true, StandardCharsets.UTF_8);
        int exit = LoadGenerator.run(
                new String[] {
                    "--mode",
                    "memory",
                    "--dev",
                    "--connections",
                    "" + CONNECTIONS,
                    "--connections-per-user",
                    "2",
                    "--nodes",
                    "ws://127.0.0.1:" + port,
                    "--admin",
                    "http://127.0.0.1:" + admin,
                    "--node-pid",
                    Long.toString(node.pid()),
                    "--json",
                    json.toString()
                },
                print,
                print);
        String output = text.toString(StandardCharsets.UTF_8);
        assertEquals(LoadGenerator.PASSED, exit, output);

        JsonNode j = new ObjectMapper().readTree(json.toFile());
        assertTrue(j.get("passed").asBoolean(), output);
        assertEquals(node.pid(), j.get("pid").asLong());
        assertEquals(CONNECTIONS, j.at("/connections/established").asLong());
        assertEquals(CONNECTIONS, j.at("/connections/node_count").asLong(), "the node's own count");
        assertEquals(0, j.at("/before/node_connections").asLong());
        JsonNode per = j.get("per_connection_bytes");
        assertTrue(per.get("heap").asDouble() > 0, output);
        // Present, as numbers; they may be zero or slightly negative (an idle connection holds no buffer, and the
        // kernel may return pages), so only the heap figure has a sign the node's design fixes.
        assertTrue(per.get("rss").isNumber(), output);
        assertTrue(per.get("jvm_direct").isNumber(), output);
        assertTrue(per.get("netty_direct").isNumber(), output);
        assertTrue(
                j.at("/after/heap_bytes").asLong() > j.at("/before/heap_bytes").asLong());
        assertTrue(j.at("/after/rss_bytes").asLong() > 0);
        assertTrue(output.contains("heap after full GC"), output);
    }
}
