package dev.inbox.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import org.junit.jupiter.api.Test;

class NodeProcessTest {

    @Test
    void readsG1HeapInfo() throws IOException {
        // jcmd <pid> GC.heap_info of a gateway on JDK 17, G1.
        String g1 = """
                15392:
                 garbage-first heap   total 397312K, used 14255K [0x0000000687400000, 0x0000000800000000)
                  region size 4096K, 3 young (12288K), 1 survivors (4096K)
                 Metaspace       used 14180K, committed 14464K, reserved 1114112K
                  class space    used 1839K, committed 1920K, reserved 1048576K
                """;
        assertEquals(14255L * 1024, NodeProcess.parseHeapUsed(g1));
    }

    @Test
    void addsTheGenerationsOfAGenerationalCollector() throws IOException {
        String parallel = """
                123:
                 PSYoungGen      total 76288K, used 2621K [0x00000007ab000000, 0x00000007b0500000, 0x0000000800000000)
                  eden space 65536K, 4% used [0x00000007ab000000,0x00000007ab28f5b8,0x00000007af000000)
                 ParOldGen       total 175104K, used 10000K [0x0000000701000000, 0x000000070bb00000, 0x00000007ab000000)
                 Metaspace       used 14180K, committed 14464K, reserved 1114112K
                """;
        assertEquals((2621L + 10000L) * 1024, NodeProcess.parseHeapUsed(parallel));
        assertEquals(
                8L << 20,
                NodeProcess.parseHeapUsed("1:\n ZHeap           used 8M, capacity 4096M, max capacity 4096M\n"));
    }

    @Test
    void noHeapFigureIsAnError() {
        assertThrows(IOException.class, () -> NodeProcess.parseHeapUsed("1:\nAttach failed\n"));
    }

    @Test
    void readsThisProcessFromProc() throws IOException {
        NodeProcess self = new NodeProcess(ProcessHandle.current().pid());
        assertTrue(self.cpuNanos() > 0);
        assertTrue(self.rssBytes() > 10L << 20, "a JVM holds more than 10 MiB");
    }
}
