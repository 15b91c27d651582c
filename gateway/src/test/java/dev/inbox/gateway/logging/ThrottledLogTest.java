package dev.inbox.gateway.logging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class ThrottledLogTest {
    private final Logger logger = (Logger) LoggerFactory.getLogger("throttled-log-test");
    private final ListAppender<ILoggingEvent> lines = new ListAppender<>();

    ThrottledLogTest() {
        lines.start();
        logger.addAppender(lines);
    }

    @AfterEach
    void detach() {
        logger.detachAppender(lines);
    }

    @Test
    void aBurstIsOneLineAndTheNextLineCountsWhatWasLeftOut() {
        long[] now = {0};
        ThrottledLog log = new ThrottledLog(logger, "a task failed", Duration.ofSeconds(10), () -> now[0]);
        for (int i = 0; i < 1000; i++) {
            now[0] += Duration.ofMillis(9).toNanos(); // 9 s in all: within one interval
            log.warn("conversation " + i, new IllegalStateException("boom " + i));
        }
        assertEquals(1, lines.list.size(), "one line for the burst");
        assertEquals("a task failed (conversation 0)", lines.list.get(0).getFormattedMessage());
        assertNotNull(lines.list.get(0).getThrowableProxy(), "the first occurrence ever has its stack trace");
        assertEquals(999, log.pending());

        now[0] = Duration.ofSeconds(10)
                .plusMillis(9)
                .toNanos(); // past the interval after the first line (logged at 9 ms)
        log.warn("conversation 1000", new IllegalStateException("boom again"));
        assertEquals(2, lines.list.size());
        String second = lines.list.get(1).getFormattedMessage();
        assertTrue(second.startsWith("a task failed (conversation 1000; 999 more since the last such line)"), second);
        assertTrue(second.endsWith("IllegalStateException: boom again"), second);
        assertNull(lines.list.get(1).getThrowableProxy(), "no stack trace after the first");
        assertEquals(0, log.pending());
    }

    @Test
    void anOccurrenceWithoutACauseIsOneLine() {
        ThrottledLog log = new ThrottledLog(logger, "dropping a malformed relay message");
        log.warn("channel of 3 bytes", null);
        log.warn("channel of 4 bytes", null);
        assertEquals(1, lines.list.size());
        assertEquals(
                "dropping a malformed relay message (channel of 3 bytes)",
                lines.list.get(0).getFormattedMessage());
    }
}
