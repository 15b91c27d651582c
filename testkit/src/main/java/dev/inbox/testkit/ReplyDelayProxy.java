package dev.inbox.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * A TCP proxy in front of a server (a test's redis-server) that passes requests through at once and can hold back
 * the replies: late by a set delay, or not at all until the connection is cut. It plays the faults a client cannot
 * tell apart from a slow or lost server: the server did the work, its answer comes late or never.
 *
 * <p>Each connection through it: one thread copies requests, one reads replies and stamps each chunk with when it
 * may go on, one writes them then. Every thread is a daemon and ends with its connection.
 */
public final class ReplyDelayProxy implements AutoCloseable {
    private static final long HOLD = Long.MAX_VALUE;

    private final ServerSocket server;
    private final int targetPort;
    private final List<Socket> open = new CopyOnWriteArrayList<>();
    /** How long replies read from now on are held back; {@link #HOLD}: until the connection is cut. */
    private volatile long delayNanos;

    private ReplyDelayProxy(int targetPort) throws IOException {
        this.targetPort = targetPort;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(this::accept, "reply-delay-proxy-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** A proxy on a free loopback port in front of {@code targetPort} on loopback. */
    public static ReplyDelayProxy start(int targetPort) {
        try {
            return new ReplyDelayProxy(targetPort);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public int port() {
        return server.getLocalPort();
    }

    /** The proxy as a Redis URI. */
    public String redisUri() {
        return "redis://127.0.0.1:" + port();
    }

    /** Replies read from now on go on {@code delay} after they came. */
    public void delayReplies(Duration delay) {
        delayNanos = delay.toNanos();
    }

    /** Replies read from now on are held until their connection is cut. */
    public void holdReplies() {
        delayNanos = HOLD;
    }

    /** Closes every connection open through the proxy (what was held is dropped) and passes replies on at once again. */
    public void cut() {
        delayNanos = 0;
        for (Socket s : open) {
            closeQuietly(s);
        }
    }

    @Override
    public void close() {
        closeQuietly(server);
        cut();
    }

    private void accept() {
        while (!server.isClosed()) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException e) {
                return; // closed
            }
            try {
                Socket target = new Socket();
                target.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), targetPort));
                client.setTcpNoDelay(true);
                target.setTcpNoDelay(true);
                open.add(client);
                open.add(target);
                BlockingQueue<Chunk> replies = new LinkedBlockingQueue<>();
                daemon("requests", () -> copy(client, target));
                daemon("replies-in", () -> readReplies(target, client, replies));
                daemon("replies-out", () -> writeReplies(replies, client, target));
            } catch (IOException e) {
                closeQuietly(client);
            }
        }
    }

    private record Chunk(byte[] bytes, long dueNanos) {}

    private void copy(Socket from, Socket to) {
        byte[] buf = new byte[16 * 1024];
        try (InputStream in = from.getInputStream();
                OutputStream out = to.getOutputStream()) {
            for (int n; (n = in.read(buf)) >= 0; ) {
                out.write(buf, 0, n);
                out.flush();
            }
        } catch (IOException e) {
            // the connection ended
        } finally {
            closeBoth(from, to);
        }
    }

    private void readReplies(Socket target, Socket client, BlockingQueue<Chunk> replies) {
        byte[] buf = new byte[16 * 1024];
        try (InputStream in = target.getInputStream()) {
            for (int n; (n = in.read(buf)) >= 0; ) {
                long delay = delayNanos;
                long due = delay == HOLD ? HOLD : System.nanoTime() + delay;
                replies.add(new Chunk(Arrays.copyOf(buf, n), due));
            }
        } catch (IOException e) {
            // the connection ended
        } finally {
            closeBoth(target, client);
        }
    }

    private void writeReplies(BlockingQueue<Chunk> replies, Socket client, Socket target) {
        try (OutputStream out = client.getOutputStream()) {
            while (!client.isClosed()) {
                Chunk c = replies.poll(100, TimeUnit.MILLISECONDS);
                if (c == null) {
                    continue;
                }
                // A deadline, not a condition: the chunk may go on once it has been held for its delay.
                while (!client.isClosed()) {
                    long left = c.dueNanos() == HOLD ? Long.MAX_VALUE : c.dueNanos() - System.nanoTime();
                    if (left <= 0) {
                        break;
                    }
                    LockSupport.parkNanos(Math.min(left, 50_000_000L));
                }
                if (client.isClosed()) {
                    return;
                }
                out.write(c.bytes());
                out.flush();
            }
        } catch (IOException | InterruptedException e) {
            // the connection ended
        } finally {
            closeBoth(client, target);
        }
    }

    private void closeBoth(Socket a, Socket b) {
        closeQuietly(a);
        closeQuietly(b);
        open.remove(a);
        open.remove(b);
    }

    private static void daemon(String name, Runnable body) {
        Thread t = new Thread(body, "reply-delay-proxy-" + name);
        t.setDaemon(true);
        t.start();
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            // closing anyway
        }
    }
}
