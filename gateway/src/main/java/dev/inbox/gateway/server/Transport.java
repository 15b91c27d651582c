package dev.inbox.gateway.server;

import io.netty.channel.IoHandlerFactory;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringServerSocketChannel;
import io.netty.channel.uring.IoUringSocketChannel;

/**
 * The I/O transport: io_uring or epoll when their native library is on the classpath and works on this kernel,
 * else NIO. The build ships the transport classes only; add {@code netty-transport-native-epoll} (classifier
 * {@code linux-x86_64}) or {@code netty-transport-native-io_uring} at run time to use them.
 */
enum Transport {
    IO_URING,
    EPOLL,
    NIO;

    static Transport best() {
        if (available(IoUring::isAvailable)) {
            return IO_URING;
        }
        if (available(Epoll::isAvailable)) {
            return EPOLL;
        }
        return NIO;
    }

    private static boolean available(java.util.function.BooleanSupplier probe) {
        try {
            return probe.getAsBoolean();
        } catch (Throwable t) { // NoClassDefFoundError, UnsatisfiedLinkError: the native part is absent
            return false;
        }
    }

    IoHandlerFactory ioHandlerFactory() {
        return switch (this) {
            case IO_URING -> IoUringIoHandler.newFactory();
            case EPOLL -> EpollIoHandler.newFactory();
            case NIO -> NioIoHandler.newFactory();
        };
    }

    Class<? extends ServerChannel> serverChannel() {
        return switch (this) {
            case IO_URING -> IoUringServerSocketChannel.class;
            case EPOLL -> EpollServerSocketChannel.class;
            case NIO -> NioServerSocketChannel.class;
        };
    }

    /** The client socket of this transport: the hooks' connections to the backend. */
    Class<? extends SocketChannel> socketChannel() {
        return switch (this) {
            case IO_URING -> IoUringSocketChannel.class;
            case EPOLL -> EpollSocketChannel.class;
            case NIO -> NioSocketChannel.class;
        };
    }
}
