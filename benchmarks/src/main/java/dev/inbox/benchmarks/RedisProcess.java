package dev.inbox.benchmarks;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * A {@code redis-server} of the benchmark's own, on a free loopback port, with nothing persisted: the relay
 * benchmarks measure against a real Redis, never the shared one on 6379.
 */
final class RedisProcess implements AutoCloseable {
    private static final long START_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final Process process;
    private final int port;

    private RedisProcess(Process process, int port) {
        this.process = process;
        this.port = port;
    }

    /** Starts {@code redis-server} from the PATH and waits until it answers {@code PING}. */
    static RedisProcess start() throws IOException, InterruptedException {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Process p = new ProcessBuilder("redis-server", "--port", Integer.toString(port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no")
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        RedisProcess redis = new RedisProcess(p, port);
        long deadline = System.nanoTime() + START_TIMEOUT_NANOS;
        while (true) {
            try {
                if (redis.command("PING").equals("+PONG")) {
                    return redis;
                }
            } catch (IOException notYet) {
                if (!p.isAlive() || System.nanoTime() > deadline) {
                    redis.close();
                    throw new IOException("redis-server did not start on port " + port, notYet);
                }
            }
            Thread.sleep(20); // polling a starting process: nothing to wait on but the port
        }
    }

    String uri() {
        return "redis://127.0.0.1:" + port;
    }

    /**
     * Sends one command and returns the first line of the reply ({@code +PONG}, {@code :3}, {@code *2}, ...),
     * enough to check a server's state between measurements.
     */
    String command(String... args) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
            s.setSoTimeout(5000);
            StringBuilder resp = new StringBuilder("*").append(args.length).append("\r\n");
            for (String a : args) {
                resp.append('$').append(a.getBytes(StandardCharsets.UTF_8).length).append("\r\n").append(a)
                        .append("\r\n");
            }
            OutputStream out = s.getOutputStream();
            out.write(resp.toString().getBytes(StandardCharsets.UTF_8));
            out.flush();
            return new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8)).readLine();
        }
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
        }
    }
}
