package dev.inbox.gateway.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.ChannelConfig;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class CompactRecvByteBufAllocatorTest {
    private final EmbeddedChannel ch = new EmbeddedChannel();
    private final ChannelConfig config = ch.config();
    private final RecvByteBufAllocator.ExtendedHandle handle =
            (RecvByteBufAllocator.ExtendedHandle) new CompactRecvByteBufAllocator().newHandle();

    @AfterEach
    void close() {
        assertFalse(ch.finish());
    }

    /** One read event as a transport runs it: reads of up to the guess, while the handle says go on. */
    private static void readEvent(RecvByteBufAllocator.ExtendedHandle h, ChannelConfig config, int available) {
        h.reset(config);
        do {
            int attempt = h.guess();
            h.attemptedBytesRead(attempt);
            int read = Math.min(available, attempt);
            available -= read;
            h.lastBytesRead(read);
            if (read <= 0) {
                break;
            }
            h.incMessagesRead(1);
        } while (h.continueReading());
        h.readComplete();
    }

    @Test
    void startsAtTwoKibAndGrowsSixteenfoldWhenAReadFillsItsBuffer() {
        assertEquals(2048, handle.guess());
        readEvent(handle, config, 2048);
        assertEquals(32_768, handle.guess());
        readEvent(handle, config, 40_000);
        assertEquals(65_536, handle.guess(), "never past 64 KiB");
    }

    @Test
    void halvesAfterTwoReadsInARowThatFitInHalf() {
        readEvent(handle, config, 100);
        assertEquals(2048, handle.guess(), "one small read is not a trend");
        readEvent(handle, config, 100);
        assertEquals(1024, handle.guess());
        for (int i = 0; i < 40; i++) {
            readEvent(handle, config, 10);
        }
        assertEquals(64, handle.guess(), "never below 64 bytes");
    }

    @Test
    void readsOncePerEventAndNotWithAutoReadOff() {
        handle.reset(config);
        handle.attemptedBytesRead(2048);
        handle.lastBytesRead(2048);
        handle.incMessagesRead(1);
        assertFalse(handle.continueReading(), "one read per read event, as the allocator it replaces");

        handle.reset(config);
        handle.attemptedBytesRead(handle.guess());
        handle.lastBytesRead(0);
        assertFalse(handle.continueReading(() -> true), "nothing read: nothing more to read");

        config.setAutoRead(false);
        handle.reset(config);
        handle.attemptedBytesRead(handle.guess());
        handle.lastBytesRead(10);
        assertFalse(handle.continueReading(() -> true));
        config.setAutoRead(true);
    }

    @Test
    void allocatesItsGuess() {
        ByteBuf buf = handle.allocate(UnpooledByteBufAllocator.DEFAULT);
        try {
            assertEquals(2048, buf.capacity());
        } finally {
            buf.release();
        }
    }

    /** Above 1 KiB Netty's size table is the powers of two too, so both size the same reads the same way. */
    @Test
    void sizesAsNettysAdaptiveAllocatorDoesAboveOneKib() {
        RecvByteBufAllocator.ExtendedHandle netty = nettys();
        RecvByteBufAllocator.ExtendedHandle compact = handle;
        Random random = new Random(18);
        int compared = 0;
        for (int i = 0; i < 10_000; i++) {
            int available = random.nextInt(4) == 0 ? random.nextInt(70_000) : 512 + random.nextInt(3000);
            readEvent(compact, config, available);
            readEvent(netty, config, available);
            if (netty.guess() < 1024) {
                // Below 1 KiB Netty steps by 16 bytes: start both over, from where they agree.
                netty = nettys();
                compact = (RecvByteBufAllocator.ExtendedHandle) new CompactRecvByteBufAllocator().newHandle();
                continue;
            }
            assertEquals(netty.guess(), compact.guess(), "after read event " + i + " of " + available + " bytes");
            compared++;
        }
        assertTrue(compared > 5_000, "compared " + compared);
    }

    private static RecvByteBufAllocator.ExtendedHandle nettys() {
        return (RecvByteBufAllocator.ExtendedHandle) new AdaptiveRecvByteBufAllocator().newHandle();
    }
}
