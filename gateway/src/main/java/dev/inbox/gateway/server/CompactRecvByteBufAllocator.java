package dev.inbox.gateway.server;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.ChannelConfig;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.util.UncheckedBooleanSupplier;

/**
 * Sizes each connection's receive buffers as {@link AdaptiveRecvByteBufAllocator} does, in a handle a third the size.
 * A channel keeps its handle for life, so every idle connection pays for it: Netty's is three objects, 112 bytes (its
 * handle 56, the {@code AdaptiveCalculator} 40 and a supplier 16; issue 18's class histogram), this one is one of 40.
 *
 * <p>The sizes are powers of two from {@value #MIN_BYTES} to {@value #MAX_BYTES} bytes, starting at
 * {@value #INITIAL_BYTES} (Netty's defaults): a read that fills its buffer makes the next one sixteen times larger
 * (Netty's four steps up its table), and two reads in a row that would have fit in half the buffer make it half (its
 * one step down). One read per read event ({@value #MAX_MESSAGES_PER_READ}), as the shared
 * {@code AdaptiveRecvByteBufAllocator} this replaces was configured. Stateless and shared by every connection; each
 * handle belongs to its channel's event loop.
 */
final class CompactRecvByteBufAllocator implements RecvByteBufAllocator {
    static final int MIN_BYTES = 64;
    static final int INITIAL_BYTES = 2048;
    static final int MAX_BYTES = 65536;
    static final int MAX_MESSAGES_PER_READ = 1;

    private static final byte MIN_SHIFT = 6;
    private static final byte INITIAL_SHIFT = 11;
    private static final byte MAX_SHIFT = 16;
    private static final byte SHIFTS_UP = 4;

    @Override
    public Handle newHandle() {
        return new CompactHandle();
    }

    /** One channel's reads; its event loop only. */
    static final class CompactHandle implements ExtendedHandle {
        private ChannelConfig config;
        private int messages;
        private int totalBytesRead;
        private int attemptedBytesRead;
        private int lastBytesRead;
        /** The next buffer is {@code 1 << shift} bytes. */
        private byte shift = INITIAL_SHIFT;
        /** The last read would have fit in half the buffer: one more such read halves it. */
        private boolean decreaseNow;

        @Override
        public ByteBuf allocate(ByteBufAllocator alloc) {
            return alloc.ioBuffer(guess());
        }

        @Override
        public int guess() {
            return 1 << shift;
        }

        @Override
        public void reset(ChannelConfig config) {
            this.config = config;
            messages = 0;
            totalBytesRead = 0;
        }

        @Override
        public void incMessagesRead(int numMessages) {
            messages += numMessages;
        }

        @Override
        public void lastBytesRead(int bytes) {
            if (bytes == attemptedBytesRead) {
                record(bytes); // the buffer filled: more may be waiting, so grow now rather than at readComplete
            }
            lastBytesRead = bytes;
            if (bytes > 0) {
                totalBytesRead += bytes;
            }
        }

        @Override
        public int lastBytesRead() {
            return lastBytesRead;
        }

        @Override
        public void attemptedBytesRead(int bytes) {
            attemptedBytesRead = bytes;
        }

        @Override
        public int attemptedBytesRead() {
            return attemptedBytesRead;
        }

        @Override
        public boolean continueReading() {
            return config.isAutoRead() && attemptedBytesRead == lastBytesRead && moreAllowed();
        }

        @Override
        public boolean continueReading(UncheckedBooleanSupplier maybeMoreDataSupplier) {
            return config.isAutoRead() && maybeMoreDataSupplier.get() && moreAllowed();
        }

        private boolean moreAllowed() {
            return messages < MAX_MESSAGES_PER_READ && totalBytesRead > 0;
        }

        @Override
        public void readComplete() {
            record(totalBytesRead < 0 ? Integer.MAX_VALUE : totalBytesRead);
        }

        private void record(int bytes) {
            if (bytes <= 1 << (shift - 1)) {
                if (decreaseNow) {
                    shift = (byte) Math.max(shift - 1, MIN_SHIFT);
                    decreaseNow = false;
                } else {
                    decreaseNow = true;
                }
            } else if (bytes >= 1 << shift) {
                shift = (byte) Math.min(shift + SHIFTS_UP, MAX_SHIFT);
                decreaseNow = false;
            }
        }
    }
}
