package dev.inbox.benchmarks;

import com.sun.management.UnixOperatingSystemMXBean;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;

/**
 * Real TCP connections over 127.0.0.1, set up as the gateway sets up its public port (NIO, {@code TCP_NODELAY}, the
 * outbound water mark), whose peers are Netty NIO channels on their own event loops that count and drop what they
 * read. A Netty client rather than a thread per socket: ten thousand reader threads would measure the scheduler.
 *
 * <p>On one machine the peers' reads, both kernels' TCP work and the gateway share the cores, so this is the cost of
 * the write path end to end on loopback, not of the gateway alone.
 */
final class LoopbackSink extends Sink {
    /** Descriptors kept for the JVM itself (jars, epoll, pipes) beyond two per connection. */
    private static final int SPARE_DESCRIPTORS = 512;

    private final EventLoopGroup boss;
    private final EventLoopGroup loops;
    private final EventLoopGroup peerLoops;
    private final ByteTally tally;
    private final Channel server;
    private final Bootstrap peers;

    LoopbackSink(int threads, int connections) throws InterruptedException {
        long needed = 2L * connections + SPARE_DESCRIPTORS;
        long limit = maxFileDescriptors();
        if (needed > limit) {
            throw new IllegalStateException("loopback: " + connections + " connections need about " + needed
                    + " file descriptors (two per connection); this JVM may open " + limit + " (ulimit -n)");
        }
        boss = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("inbox-accept"), NioIoHandler.newFactory());
        loops = new MultiThreadIoEventLoopGroup(
                threads, new DefaultThreadFactory("inbox-io"), NioIoHandler.newFactory());
        peerLoops = new MultiThreadIoEventLoopGroup(
                threads, new DefaultThreadFactory("sink-peer"), NioIoHandler.newFactory());
        tally = new ByteTally(peerLoops);
        try {
            server = new ServerBootstrap()
                    .group(boss, loops)
                    .channel(NioServerSocketChannel.class)
                    .option(ChannelOption.SO_BACKLOG, 4096)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, WATER_MARK)
                    .childHandler(handOff())
                    .bind("127.0.0.1", 0)
                    .sync()
                    .channel();
            peers = new Bootstrap()
                    .group(peerLoops)
                    .channel(NioSocketChannel.class)
                    .handler(count());
        } catch (InterruptedException | RuntimeException e) {
            shutDown(loops, boss, peerLoops);
            throw e;
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
        Channel peer = peers.connect(server.localAddress()).sync().channel();
        return takeAccepted(peer);
    }

    @Override
    void close() throws InterruptedException {
        server.close().await();
        shutDown(loops, boss, peerLoops);
    }

    private static long maxFileDescriptors() {
        OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        return os instanceof UnixOperatingSystemMXBean unix ? unix.getMaxFileDescriptorCount() : Long.MAX_VALUE;
    }
}
