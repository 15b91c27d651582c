package dev.inbox.benchmarks.loadgen;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A backend that answers every hook call at once with {@code 204 No Content} (the publish hook's "admit unchanged"),
 * keeping connections alive: what the publish hook costs the gateway, with the backend's own time taken out. It
 * checks nothing; it counts what it answered and prints the count when stopped.
 *
 * <p>{@code java -cp benchmarks/target/benchmarks.jar dev.inbox.benchmarks.loadgen.StubBackend <port> [threads]}
 */
public final class StubBackend {
    private StubBackend() {}

    public static void main(String[] args) throws InterruptedException {
        int port = Integer.parseInt(args[0]);
        int threads = args.length > 1 ? Integer.parseInt(args[1]) : 1;
        AtomicLong answered = new AtomicLong();
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(threads, NioIoHandler.newFactory());
        Channel server = new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline()
                                .addLast(new HttpServerCodec())
                                .addLast(new HttpObjectAggregator(1 << 20))
                                .addLast(new SimpleChannelInboundHandler<FullHttpRequest>() {
                                    @Override
                                    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
                                        FullHttpResponse response = new DefaultFullHttpResponse(
                                                HttpVersion.HTTP_1_1,
                                                HttpResponseStatus.NO_CONTENT,
                                                Unpooled.EMPTY_BUFFER);
                                        HttpUtil.setKeepAlive(response, HttpUtil.isKeepAlive(request));
                                        response.headers().set(HttpHeaderNames.CONTENT_LENGTH, 0);
                                        answered.incrementAndGet();
                                        ctx.writeAndFlush(response);
                                    }
                                });
                    }
                })
                .bind("127.0.0.1", port)
                .sync()
                .channel();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.println("stub backend answered " + answered.get() + " calls");
            server.close().syncUninterruptibly();
            group.shutdownGracefully();
        }));
        System.out.println("stub backend on 127.0.0.1:" + port);
        server.closeFuture().sync();
    }
}
