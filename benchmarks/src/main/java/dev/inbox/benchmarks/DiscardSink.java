package dev.inbox.benchmarks;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
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
 * Connections whose writes end in a discard at the transport, so what is measured is the gateway's code plus the
 * cheapest real Netty transport there is.
 *
 * <p>Why Netty's local transport ({@code io.netty.channel.local}, on a {@link MultiThreadIoEventLoopGroup} of
 * {@link LocalIoHandler}): its channels go through the same {@code Channel}, pipeline, {@code ChannelOutboundBuffer},
 * writability and flush machinery as a socket, minus the system call. Each gateway end and its peer live on the same
 * event loop (one {@link LocalServerChannel} per loop, and the peer connects on that loop), so a flush hands the
 * buffers to the peer's pipeline in the same call stack, where they are counted and released. The transport's own
 * cost per frame is a queue node (its inbound queue is a linked SPSC queue: 24 bytes a write) and a reference-count
 * increment and decrement; both are charged to the gateway here.
 */
final class DiscardSink extends Sink {
    private final EventLoopGroup loops;
    private final ByteTally tally;
    private final List<Channel> servers = new ArrayList<>();
    private final List<Bootstrap> peers = new ArrayList<>();
    private int next;

    DiscardSink(int threads) throws InterruptedException {
        loops = new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory("inbox-io"),
                LocalIoHandler.newFactory());
        tally = new ByteTally(loops);
        try {
            for (EventExecutor e : loops) {
                EventLoop loop = (EventLoop) e;
                servers.add(new ServerBootstrap()
                        .group(loop)
                        .channel(LocalServerChannel.class)
                        .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, WATER_MARK)
                        .childHandler(handOff())
                        .bind(LocalAddress.ANY).sync().channel());
                peers.add(new Bootstrap().group(loop).channel(LocalChannel.class).handler(count()));
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
        Channel peer = peers.get(i).connect(servers.get(i).localAddress()).sync().channel();
        return takeAccepted(peer);
    }

    @Override
    void close() throws InterruptedException {
        shutDown(loops);
    }
}
