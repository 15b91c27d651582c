package dev.inbox.benchmarks;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.inbox.protocol.ServerEvent;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * The baselines' event: what a gateway written the obvious way would hand to Jackson databind. The same fields, in
 * the same order and with the same widths as {@code ServerFrameEncoder} writes ({@code created_at} always 24
 * characters), so a baseline frame is as long as the gateway's and the sinks can count bytes.
 */
record JsonEvent(
        String type,
        String message,
        long conversationId,
        long senderId,
        String senderName,
        String senderAvatar,
        String createdAt,
        long messageId) {

    private static final DateTimeFormatter RFC_3339_MILLIS =
            DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

    /** A mapper as an application would configure one: the wire's snake_case names from the record's. */
    static ObjectMapper mapper() {
        return JsonMapper.builder()
                .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
                .build();
    }

    static JsonEvent of(ServerEvent e) {
        return new JsonEvent(
                e.type(),
                e.message(),
                e.conversationId(),
                e.senderId(),
                e.senderName(),
                e.senderAvatar(),
                RFC_3339_MILLIS.format(Instant.ofEpochMilli(e.createdAtMillis())),
                e.messageId());
    }
}
