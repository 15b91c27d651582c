package dev.inbox.benchmarks;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Real connections for the gateway to write to: the gateway's end of each is a real Netty channel on the gateway's
 * kind of event loop group; the far end counts and drops what arrives ({@link ByteTally}). Two kinds:
 * {@link DiscardSink} ({@code discard}: Netty's local transport, peers on the same loop) and {@link LoopbackSink}
 * ({@code loopback}: TCP over 127.0.0.1).
 *
 * <p>Connections are opened one at a time from the setup thread; each accepted gateway end is handed back by
 * {@link #open}, its pipeline still empty, for the benchmark to set up as the gateway's upgrade would.
 */
abstract class Sink {
    /** As the gateway configures its public port with the default --max-outbound-bytes (1 MiB). */
    static final WriteBufferWaterMark WATER_MARK = new WriteBufferWaterMark(512 * 1024, 1024 * 1024);

    private final BlockingQueue<Channel> accepted = new LinkedBlockingQueue<>();

    /**
     * @param kind        {@code discard} or {@code loopback}
     * @param loops       gateway event loops
     * @param connections how many connections will be opened (the loopback sink checks the file-descriptor limit)
     */
    static Sink create(String kind, int loops, int connections) throws InterruptedException {
        return switch (kind) {
            case "discard" -> new DiscardSink(loops);
            case "loopback" -> new LoopbackSink(loops, connections);
            default -> throw new IllegalArgumentException("sink: " + kind + " (expected: discard or loopback)");
        };
    }

    /** The gateway's public event loops. */
    abstract EventLoopGroup gatewayLoops();

    /** What the peers received, per peer event loop. */
    abstract ByteTally tally();

    /** Opens one connection; returns its gateway end, registered, active and with an empty pipeline. */
    abstract Channel open() throws InterruptedException;

    /** Closes every connection and stops every event loop, waiting until they are gone. */
    abstract void close() throws InterruptedException;

    /** The gateway end's child handler: hands each accepted channel to {@link #takeAccepted}. */
    final ChannelHandler handOff() {
        return new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel ch) {
                accepted.add(ch);
            }
        };
    }

    /** The peer's handler: counts on its own loop's counter. */
    final ChannelHandler count() {
        return new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel ch) {
                ch.pipeline().addLast("count", tally().counterFor(ch.eventLoop()));
            }
        };
    }

    /** The gateway end of the connection just made; the peer is registered with the tally. */
    final Channel takeAccepted(Channel peer) throws InterruptedException {
        Channel ch = accepted.poll(10, TimeUnit.SECONDS);
        if (ch == null) {
            throw new IllegalStateException("sink: peer " + peer + " connected but nothing was accepted within 10 s");
        }
        tally().peerOpened(peer.eventLoop());
        return ch;
    }

    static void shutDown(EventLoopGroup... groups) throws InterruptedException {
        for (EventLoopGroup g : groups) {
            g.shutdownGracefully(0, 5, TimeUnit.SECONDS);
        }
        for (EventLoopGroup g : groups) {
            if (!g.terminationFuture().await(10, TimeUnit.SECONDS)) {
                throw new IllegalStateException("sink: event loops still running 10 s after shutdown: " + g);
            }
        }
    }
}
