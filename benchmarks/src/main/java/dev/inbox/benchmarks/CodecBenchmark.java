package dev.inbox.benchmarks;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.inbox.protocol.ClientMessage;
import dev.inbox.protocol.ClientMessageDecoder;
import dev.inbox.protocol.Ids;
import dev.inbox.protocol.ProtocolException;
import dev.inbox.protocol.ServerEvent;
import dev.inbox.protocol.ServerFrameEncoder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The codec on its own, each direction against Jackson databind:
 * <ul>
 *   <li>{@link #decode}: {@code ClientMessageDecoder.decode} of a client frame's payload in a pooled direct buffer,
 *       as the WebSocket decoder hands it over; {@link #decodeJackson}: the frame's text, as
 *       {@code TextWebSocketFrame.text()} gives it, read into a {@code Map} and picked apart;</li>
 *   <li>{@link #encode}: {@code ServerFrameEncoder.encodeEvent} into a pooled buffer holding the complete WebSocket
 *       frame (released after); {@link #encodeJackson}: {@code writeValueAsBytes} of the event, JSON only, no
 *       frame.</li>
 * </ul>
 * The baselines do less than the gateway (no UTF-8 check, no field rules, no framing), which favours them.
 */
@State(Scope.Benchmark)
public class CodecBenchmark extends AbstractMicrobenchmark {
    /** Code points in {@code message}: a chat line, and a long paste. */
    @Param({"64", "1024"})
    public int messageChars;

    private final ClientMessageDecoder decoder = new ClientMessageDecoder(4096, 65_536);
    private final ServerFrameEncoder encoder = new ServerFrameEncoder();
    private final ObjectMapper mapper = JsonEvent.mapper();
    private final ByteBufAllocator alloc = PooledByteBufAllocator.DEFAULT;
    private ByteBuf clientFrame;
    /** The mixed scenario's most frequent client frame: five of these go with every message. */
    private ByteBuf typingFrame;

    private ServerEvent event;

    @Setup(Level.Trial)
    public void setUp() {
        String message = text(messageChars);
        String json = "{\"type\":\"TEXT\",\"conversation_id\":" + FanoutBenchmark.CONVERSATION + ",\"message\":\""
                + message + "\",\"client_msg_id\":\"3f2c9a1e-7b44-4c1d-9e0a-5d6b8f1c2a73\"}";
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        clientFrame = alloc.directBuffer(bytes.length).writeBytes(bytes);
        byte[] typing = ("{\"type\":\"TYPING\",\"conversation_id\":" + FanoutBenchmark.CONVERSATION + "}")
                .getBytes(StandardCharsets.UTF_8);
        typingFrame = alloc.directBuffer(typing.length).writeBytes(typing);
        event = new ServerEvent(
                "TEXT",
                message,
                FanoutBenchmark.CONVERSATION,
                FanoutBenchmark.FIRST_USER,
                FanoutBenchmark.SENDER_NAME,
                FanoutBenchmark.SENDER_AVATAR,
                1_767_225_600_123L,
                Ids.MIN_MESSAGE_ID + 42);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        clientFrame.release();
        typingFrame.release();
    }

    @Benchmark
    public ClientMessage decodeTyping() throws ProtocolException {
        return decoder.decode(typingFrame);
    }

    @Benchmark
    public ClientMessage decode() throws ProtocolException {
        return decoder.decode(clientFrame);
    }

    @Benchmark
    public ClientMessage decodeJackson() throws JsonProcessingException {
        Map<?, ?> m = mapper.readValue(clientFrame.toString(StandardCharsets.UTF_8), Map.class);
        return new ClientMessage(
                (String) m.get("type"),
                ((Number) m.get("conversation_id")).longValue(),
                (String) m.get("message"),
                (String) m.get("client_msg_id"));
    }

    @Benchmark
    public int encode() {
        ByteBuf frame = encoder.encodeEvent(alloc, event, null);
        try {
            return frame.readableBytes();
        } finally {
            frame.release();
        }
    }

    @Benchmark
    public byte[] encodeJackson() throws JsonProcessingException {
        return mapper.writeValueAsBytes(JsonEvent.of(event));
    }

    /** Chat-like text of exactly {@code chars} characters, with an accented letter and no JSON escapes. */
    private static String text(int chars) {
        String line = "Café at ten? I'll bring the slides for the quarterly review, and the numbers. ";
        StringBuilder sb = new StringBuilder(chars);
        while (sb.length() < chars) {
            sb.append(line, 0, Math.min(line.length(), chars - sb.length()));
        }
        return sb.toString();
    }
}
