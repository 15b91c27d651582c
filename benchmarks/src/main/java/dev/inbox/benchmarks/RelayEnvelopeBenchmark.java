package dev.inbox.benchmarks;

import dev.inbox.gateway.relay.RelayEnvelope;
import dev.inbox.protocol.Ids;
import dev.inbox.protocol.ServerEvent;
import dev.inbox.protocol.ServerFrameEncoder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The cross-node envelope ({@link RelayEnvelope}) on its own: {@link #encode}, what the sending node does once per
 * message before the admission script (a 25-byte header and a copy of the encoded frame into the array Lettuce
 * sends); {@link #decode}, what a receiving node does per envelope Redis hands it (check, read the header, wrap the
 * frame without copying it).
 */
@State(Scope.Benchmark)
public class RelayEnvelopeBenchmark extends AbstractMicrobenchmark {
    private ByteBuf frame;
    private byte[] envelope;

    @Setup(Level.Trial)
    public void setUp() {
        frame = new ServerFrameEncoder()
                .encodeEvent(
                        PooledByteBufAllocator.DEFAULT,
                        new ServerEvent(
                                "TEXT",
                                FanoutBenchmark.MESSAGE,
                                FanoutBenchmark.CONVERSATION,
                                FanoutBenchmark.FIRST_USER,
                                FanoutBenchmark.SENDER_NAME,
                                FanoutBenchmark.SENDER_AVATAR,
                                1_767_225_600_123L,
                                Ids.MIN_MESSAGE_ID + 42),
                        null);
        envelope = RelayEnvelope.encode(7, FanoutBenchmark.CONVERSATION, 1_767_225_600_123L, frame);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        frame.release();
    }

    @Benchmark
    public byte[] encode() {
        return RelayEnvelope.encode(7, FanoutBenchmark.CONVERSATION, 1_767_225_600_123L, frame);
    }

    @Benchmark
    public long decode() {
        if (!RelayEnvelope.isValid(envelope)) {
            throw new IllegalStateException("benchmark envelope is invalid");
        }
        ByteBuf view = RelayEnvelope.frameOf(envelope);
        try {
            return RelayEnvelope.origin(envelope)
                    ^ RelayEnvelope.conversationId(envelope)
                    ^ RelayEnvelope.acceptedAtMillis(envelope)
                    ^ view.readableBytes();
        } finally {
            view.release();
        }
    }
}
