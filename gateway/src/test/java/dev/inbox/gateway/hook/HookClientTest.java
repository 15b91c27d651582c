package dev.inbox.gateway.hook;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.inbox.gateway.health.Readiness;
import dev.inbox.gateway.metrics.GatewayMetrics;
import dev.inbox.gateway.metrics.HookOutcome;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;

class HookClientTest {
    private static final byte[] SECRET = "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

    /** A forwarded header the JDK refuses fails that call only: its in-flight slot comes back, its value is not told. */
    @Test
    void aRequestThatCannotBeBuiltGivesItsSlotBackAndNeverQuotesTheHeader() {
        try (HookClient client = new HookClient(
                "connect",
                URI.create("http://127.0.0.1:9/connect"),
                SECRET,
                Duration.ofSeconds(1),
                1,
                new GatewayMetrics(),
                new Readiness())) {
            ExecutionException e = assertThrows(
                    ExecutionException.class,
                    () -> client.post("{}".getBytes(StandardCharsets.UTF_8), "Cookie", "sessionid=secret\r\nX-Evil: 1")
                            .get());
            HookException cause = assertInstanceOf(HookException.class, e.getCause());
            assertEquals(HookOutcome.UNREACHABLE, cause.outcome());
            assertFalse(cause.getMessage().contains("secret"), cause.getMessage());
            assertEquals(0, client.inFlight(), "the slot of the call that was never sent is free again");
        }
    }
}
