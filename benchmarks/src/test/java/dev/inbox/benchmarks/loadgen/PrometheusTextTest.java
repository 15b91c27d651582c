package dev.inbox.benchmarks.loadgen;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PrometheusTextTest {
    // Lines as the gateway's /metrics writes them (Micrometer's Prometheus registry).
    private static final PrometheusText TEXT = new PrometheusText("""
            # HELP inbox_deliveries_total frames written to connections
            # TYPE inbox_deliveries_total counter
            inbox_deliveries_total{path="local"} 1200.0
            inbox_deliveries_total{path="relayed"} 34.0
            inbox_connections 17.0
            inbox_connections_max 99.0
            jvm_buffer_memory_used_bytes{id="direct"} 139272.0
            jvm_buffer_memory_used_bytes{id="mapped"} 5.0
            process_cpu_time_ns_total 8.6E8
            """);

    @Test
    void sumsEverySampleOfAMeterMatchingTheLabelFilter() {
        assertEquals(1234.0, TEXT.sum("inbox_deliveries_total", ""));
        assertEquals(34.0, TEXT.sum("inbox_deliveries_total", "path=\"relayed\""));
        assertEquals(139272.0, TEXT.sum("jvm_buffer_memory_used_bytes", "id=\"direct\""));
        assertEquals(8.6e8, TEXT.sum("process_cpu_time_ns_total", ""));
    }

    @Test
    void aLongerNameWithTheSamePrefixIsAnotherMeter() {
        assertEquals(17.0, TEXT.sum("inbox_connections", ""));
    }

    @Test
    void anAbsentMeterIsNaN() {
        assertTrue(Double.isNaN(TEXT.sum("netty_allocator_memory_used", "")));
        assertTrue(Double.isNaN(TEXT.sum("inbox_deliveries_total", "path=\"other\"")));
    }
}
