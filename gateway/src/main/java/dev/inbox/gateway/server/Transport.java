package dev.inbox.gateway.server;

import dev.inbox.gateway.config.ConfigException;
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
import java.util.Locale;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * The I/O transport ({@code --transport auto}): io_uring where the kernel allows it, else epoll, else NIO (the jar
 * carries the native libraries for Linux on x86_64 and aarch64). A kernel without io_uring, with
 * {@code kernel.io_uring_disabled}, or a seccomp profile that blocks it (recent Docker defaults) falls back to epoll.
 * A forced transport that cannot run here is a configuration error, not a silent fallback.
 */
enum Transport {
    IO_URING,
    EPOLL,
    NIO;

    /** The transport {@code --transport} names ({@code auto}, {@code io_uring}, {@code epoll}, {@code nio}). */
    static Transport of(String setting) throws ConfigException {
        return switch (setting) {
            case "auto" -> best();
            case "io_uring" -> required(IO_URING, IoUring::isAvailable, IoUring::unavailabilityCause);
            case "epoll" -> required(EPOLL, Epoll::isAvailable, Epoll::unavailabilityCause);
            case "nio" -> NIO;
            default -> throw new ConfigException("transport: " + setting + " (expected: auto, io_uring, epoll or nio)");
        };
    }

    static Transport best() {
        if (available(IoUring::isAvailable)) {
            return IO_URING;
        }
        return available(Epoll::isAvailable) ? EPOLL : NIO;
    }

    private static Transport required(Transport transport, BooleanSupplier probe, Supplier<Throwable> cause)
            throws ConfigException {
        if (available(probe)) {
            return transport;
        }
        Throwable why;
        try {
            why = cause.get();
        } catch (Throwable t) {
            why = t;
        }
        throw new ConfigException("transport: " + transport.name().toLowerCase(Locale.ROOT) + " cannot run here ("
                + (why == null ? "unavailable" : why.toString()) + ")");
    }

    private static boolean available(BooleanSupplier probe) {
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
