package dev.inbox.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

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
            jvm_memory_used_bytes{area="heap",id="G1 Eden Space"} 100.0
            jvm_memory_used_bytes{area="heap",id="G1 Old Gen"} 20.0
            jvm_memory_used_bytes{area="nonheap",id="Metaspace"} 7.0
            with_timestamp{a="b"} 3.0 1733400000000
            not_a_number 12abc
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

    @Test
    void sumsSamplesHavingEveryLabelAndNoneOfTheExcluded() {
        assertEquals(120.0, TEXT.sum("jvm_memory_used_bytes", new String[] {"area=\"heap\""}));
        assertEquals(20.0, TEXT.sum("jvm_memory_used_bytes", new String[] {"area=\"heap\""}, "Eden"));
        assertEquals(127.0, TEXT.sum("jvm_memory_used_bytes", new String[0]));
        assertEquals(17.0, TEXT.value("inbox_connections"));
    }

    @Test
    void aTimestampIsNotPartOfTheValueAndANonNumberIsNoSample() {
        assertEquals(3.0, TEXT.sum("with_timestamp", "a=\"b\""));
        assertTrue(Double.isNaN(TEXT.value("not_a_number")));
    }
}
