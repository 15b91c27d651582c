package dev.inbox.gateway.relay;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class RelayEnvelopeTest {
    /** A text frame of two bytes of JSON: FIN + text opcode, length 2, then {@code {}}. */
    private static final byte[] FRAME = {(byte) 0x81, 0x02, '{', '}'};

    @Test
    void headerIsVersionThenThreeBigEndianLongsThenTheFrameUntouched() {
        ByteBuf frame = Unpooled.wrappedBuffer(FRAME);
        byte[] envelope = RelayEnvelope.encode(0x0102030405060708L, 42, 1_767_225_600_123L, frame);

        // 01 | origin 0102030405060708 | conversation 000000000000002a | accepted 0000019b76daa87b | frame 8102 7b7d
        assertEquals(
                "01" + "0102030405060708" + "000000000000002a" + "0000019b76daa87b" + "81027b7d",
                ByteBufUtil.hexDump(envelope));
        assertEquals(0, frame.readerIndex(), "the frame is read in place, not consumed");
        assertEquals(4, frame.readableBytes());
    }

    @Test
    void fieldsReadBackAsWritten() {
        byte[] envelope = RelayEnvelope.encode(-7L, Long.MAX_VALUE, 1_767_225_600_123L, Unpooled.wrappedBuffer(FRAME));

        assertTrue(RelayEnvelope.isValid(envelope));
        assertEquals(-7L, RelayEnvelope.origin(envelope));
        assertEquals(Long.MAX_VALUE, RelayEnvelope.conversationId(envelope));
        assertEquals(1_767_225_600_123L, RelayEnvelope.acceptedAtMillis(envelope));
        ByteBuf view = RelayEnvelope.frameOf(envelope);
        try {
            assertArrayEquals(FRAME, ByteBufUtil.getBytes(view));
        } finally {
            view.release();
        }
    }

    @Test
    void headerAloneOrAnotherVersionIsNotAnEnvelope() {
        byte[] envelope = RelayEnvelope.encode(1, 2, 3, Unpooled.wrappedBuffer(FRAME));
        assertFalse(RelayEnvelope.isValid(Arrays.copyOf(envelope, RelayEnvelope.HEADER_BYTES)), "no frame");
        byte[] future = envelope.clone();
        future[0] = 4;
        assertFalse(RelayEnvelope.isValid(future), "a kind this node does not read");
        future[0] = 0;
        assertFalse(RelayEnvelope.isValid(future), "no kind at all");
        assertFalse(RelayEnvelope.isValid("inbox".getBytes(StandardCharsets.US_ASCII)));
    }

    @Test
    void typingAndReadEnvelopesCarryTheirKindAndTheFrameUntouched() {
        byte[] typing = RelayEnvelope.encode(RelayEnvelope.TYPING, 1, 2, 3, Unpooled.wrappedBuffer(FRAME));
        byte[] read = RelayEnvelope.encode(RelayEnvelope.READ, 1, 2, 3, Unpooled.wrappedBuffer(FRAME));
        assertTrue(RelayEnvelope.isValid(typing) && RelayEnvelope.isValid(read));
        assertEquals(RelayEnvelope.TYPING, RelayEnvelope.kind(typing));
        assertEquals(RelayEnvelope.READ, RelayEnvelope.kind(read));
        assertEquals(
                RelayEnvelope.VERSION,
                RelayEnvelope.kind(RelayEnvelope.encode(1, 2, 3, Unpooled.wrappedBuffer(FRAME))));
        assertEquals(2, RelayEnvelope.conversationId(typing));
        ByteBuf view = RelayEnvelope.frameOf(read);
        try {
            assertArrayEquals(FRAME, ByteBufUtil.getBytes(view));
        } finally {
            view.release();
        }
    }
}
