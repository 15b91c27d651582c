package dev.inbox.benchmarks;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufHolder;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.local.LocalAddress;
import io.netty.channel.local.LocalChannel;
import io.netty.channel.local.LocalIoHandler;
import io.netty.channel.local.LocalServerChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.EventExecutor;
import java.util.ArrayList;
import java.util.List;

/**
 * Connections whose writes end in a discard at the transport, so what is measured is the gateway's code and Netty's
 * channel machinery, minus any I/O.
 *
 * <p>The gateway end of each connection is a {@link DiscardingChannel}: Netty's local-transport channel (on a
 * {@link MultiThreadIoEventLoopGroup} of {@link LocalIoHandler}) whose {@code doWrite} counts the flushed bytes and
 * removes them from the {@link ChannelOutboundBuffer}, releasing each buffer, instead of handing them to a peer. So a
 * write goes through the same {@code Channel}, pipeline, outbound buffer, writability and flush machinery as a socket
 * write and stops where a socket's would make a system call. The local peer only holds the connection open.
 */
final class DiscardSink extends Sink {
    /** The peers' whole pipeline: nothing is ever written to them. */
    private static final ChannelHandler HOLD_OPEN = new HoldOpen();

    private final EventLoopGroup loops;
    private final ByteTally tally;
    private final List<Channel> servers = new ArrayList<>();
    private final List<Bootstrap> peers = new ArrayList<>();
    private int next;

    DiscardSink(int threads) throws InterruptedException {
        loops = new MultiThreadIoEventLoopGroup(
                threads, new DefaultThreadFactory("inbox-io"), LocalIoHandler.newFactory());
        tally = new ByteTally(loops);
        try {
            for (EventExecutor e : loops) {
                EventLoop loop = (EventLoop) e;
                ByteTally.Counter counter = tally.counterOf(loop);
                // One server channel per loop, its children on that loop too: the counter is written by one thread.
                servers.add(new ServerBootstrap()
                        .group(loop)
                        .channelFactory(() -> new DiscardingServerChannel(counter))
                        .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, WATER_MARK)
                        .childHandler(handOff())
                        .bind(LocalAddress.ANY)
                        .sync()
                        .channel());
                peers.add(
                        new Bootstrap().group(loop).channel(LocalChannel.class).handler(HOLD_OPEN));
            }
        } catch (InterruptedException | RuntimeException ex) {
            shutDown(loops);
            throw ex;
        }
    }

    @Override
    EventLoopGroup gatewayLoops() {
        return loops;
    }

    @Override
    ByteTally tally() {
        return tally;
    }

    @Override
    Channel open() throws InterruptedException {
        int i = next++ % servers.size();
        Channel peer =
                peers.get(i).connect(servers.get(i).localAddress()).sync().channel();
        return takeAccepted(peer);
    }

    @Override
    void close() throws InterruptedException {
        shutDown(loops);
    }

    @ChannelHandler.Sharable
    private static final class HoldOpen extends ChannelInboundHandlerAdapter {}

    /** Accepts {@link DiscardingChannel}s. */
    private static final class DiscardingServerChannel extends LocalServerChannel {
        private final ByteTally.Counter counter;

        DiscardingServerChannel(ByteTally.Counter counter) {
            this.counter = counter;
        }

        @Override
        protected LocalChannel newLocalChannel(LocalChannel peer) {
            return new DiscardingChannel(this, peer, counter);
        }
    }

    /** A local channel whose flushed writes are counted and dropped: the transport's write is the discard. */
    private static final class DiscardingChannel extends LocalChannel {
        private final ByteTally.Counter counter;

        DiscardingChannel(LocalServerChannel parent, LocalChannel peer, ByteTally.Counter counter) {
            super(parent, peer);
            this.counter = counter;
        }

        @Override
        protected void doWrite(ChannelOutboundBuffer in) {
            for (Object msg; (msg = in.current()) != null; ) {
                int bytes = msg instanceof ByteBuf b
                        ? b.readableBytes()
                        : msg instanceof ByteBufHolder h ? h.content().readableBytes() : 0;
                in.remove(); // releases the buffer and completes its promise, as a socket write would
                counter.count(bytes);
            }
        }
    }
}
