package dev.inbox.testkit;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * A real {@code redis-server} (from the PATH; Debian package {@code redis-server}, checked by {@link ExternalProgram}
 * before anything starts) on a free loopback port, owned by one test or benchmark, so the test can kill it and start it again on the same port. It keeps its data in an append-only file
 * in a temporary directory, the way a production Redis keeps membership across a restart.
 */
public final class RedisServer implements AutoCloseable {
    private final int port;
    private final Path dir;
    private final List<String> extraArgs;
    private Process process;

    private RedisServer(int port, Path dir, List<String> extraArgs) {
        this.port = port;
        this.dir = dir;
        this.extraArgs = extraArgs;
    }

    public static RedisServer start(String... extraArgs) {
        try {
            return start(freePort(), extraArgs);
        } catch (IOException e) {
            throw new AssertionError("cannot find a free port", e);
        }
    }

    /** A server on {@code port}. */
    public static RedisServer start(int port, String... extraArgs) {
        ExternalProgram.require("redis-server", "redis-server");
        try {
            RedisServer r = new RedisServer(port, Files.createTempDirectory("inbox-redis-"), List.of(extraArgs));
            r.startProcess();
            return r;
        } catch (IOException e) {
            throw new AssertionError("cannot start redis-server (is the redis-server package installed?)", e);
        }
    }

    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        }
    }

    /**
     * A free port whose cluster bus port (10 000 above it) is free too, both below the kernel's ephemeral range
     * (32768 up), where any process's outgoing connections may take the bus port meanwhile: a load generator holding
     * tens of thousands of connections made cluster nodes fail to start. Best effort, like {@link #freePort}.
     */
    public static int freePortWithClusterBus() throws IOException {
        java.util.concurrent.ThreadLocalRandom random = java.util.concurrent.ThreadLocalRandom.current();
        for (int attempt = 0; attempt < 200; attempt++) {
            int port = random.nextInt(11_000, 22_700);
            if (bindable(port) && bindable(port + 10_000)) {
                return port;
            }
        }
        throw new IOException("no free port pair (p, p + 10000) below 32768");
    }

    private static boolean bindable(int port) {
        try (ServerSocket s = new ServerSocket(port, 1, java.net.InetAddress.getLoopbackAddress())) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    public int port() {
        return port;
    }

    /** The server's log (every run of it, restarts included); gone after {@link #close}. */
    public Path log() {
        return dir.resolve("redis.log");
    }

    public String uri() {
        return "redis://127.0.0.1:" + port;
    }

    private void startProcess() throws IOException {
        List<String> cmd = new ArrayList<>(List.of(
                "redis-server",
                "--port",
                Integer.toString(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "yes",
                "--dir",
                dir.toString(),
                "--daemonize",
                "no",
                "--loglevel",
                "warning"));
        cmd.addAll(extraArgs);
        process = new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log().toFile()))
                .start(); // a restart keeps the log
        long deadline = System.nanoTime() + WsClient.WAIT.toNanos();
        while (!answersPing()) {
            if (!process.isAlive() || System.nanoTime() > deadline) {
                throw new IOException("redis-server did not come up on port " + port + ": " + Files.readString(log()));
            }
            LockSupport.parkNanos(10_000_000);
        }
    }

    private boolean answersPing() {
        try {
            return "+PONG".equals(command("PING"));
        } catch (IOException e) {
            return false;
        }
    }

    /** Sends one inline command and returns the first reply line (for simple checks such as PING or PUBSUB NUMSUB). */
    public String command(String inline) throws IOException {
        try (Socket s = send(inline)) {
            return new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8)).readLine();
        }
    }

    /** A new connection that has sent {@code inline} as one inline command; the caller reads the reply and closes it. */
    private Socket send(String inline) throws IOException {
        Socket s = new Socket("127.0.0.1", port);
        try {
            s.setSoTimeout(2000);
            OutputStream out = s.getOutputStream();
            out.write((inline + "\r\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
            return s;
        } catch (IOException e) {
            s.close();
            throw e;
        }
    }

    /** The elements of an array-of-bulk-strings reply (such as PUBSUB SHARDCHANNELS's). */
    public List<String> arrayReply(String inline) throws IOException {
        try (Socket s = send(inline)) {
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
            String head = in.readLine();
            if (head == null || head.charAt(0) != '*') {
                throw new IOException("not an array reply: " + head);
            }
            int n = Integer.parseInt(head.substring(1));
            List<String> items = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                in.readLine(); // $length
                items.add(in.readLine());
            }
            return items;
        }
    }

    /** The body of a bulk-string reply (such as CLIENT LIST's), as lines. */
    public List<String> bulkLines(String inline) throws IOException {
        try (Socket s = send(inline)) {
            java.io.DataInputStream in = new java.io.DataInputStream(s.getInputStream());
            StringBuilder head = new StringBuilder();
            for (int c; (c = in.read()) != '\n'; ) {
                if (c < 0) {
                    throw new IOException("connection closed");
                }
                head.append((char) c);
            }
            if (head.charAt(0) != '$') {
                throw new IOException("not a bulk reply: " + head);
            }
            byte[] body = new byte[Integer.parseInt(head.substring(1).trim())];
            in.readFully(body);
            return List.of(new String(body, StandardCharsets.UTF_8).split("\n"));
        }
    }

    /** The reply lines of one inline command, up to {@code lines} of them. */
    public List<String> commandLines(String inline, int lines) throws IOException {
        try (Socket s = send(inline)) {
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
            List<String> out2 = new ArrayList<>();
            for (int i = 0; i < lines; i++) {
                String l = in.readLine();
                if (l == null) {
                    break;
                }
                out2.add(l);
            }
            return out2;
        }
    }

    /** Kills the server the hard way (SIGKILL), as a crash would. */
    public void kill() {
        process.destroyForcibly();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                throw new AssertionError("redis-server did not die");
            }
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    /** Freezes the server (SIGSTOP): its sockets stay open and nothing answers, like a silently dead peer. */
    public void freeze() {
        signal("STOP");
    }

    /** Lets a frozen server run again (SIGCONT). */
    public void thaw() {
        signal("CONT");
    }

    private void signal(String name) {
        try {
            Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid()))
                    .inheritIO()
                    .start();
            if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
                throw new AssertionError("kill -" + name + " failed");
            }
        } catch (IOException | InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    /** Starts it again on the same port with the same data directory. */
    public void restart() {
        try {
            startProcess();
        } catch (IOException e) {
            throw new AssertionError("redis-server did not restart", e);
        }
    }

    @Override
    public void close() {
        if (process != null && process.isAlive()) {
            thaw(); // a frozen process ignores nothing but SIGKILL, which is what kill() sends anyway
            kill();
        }
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder())
                    .forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            throw new AssertionError("cannot remove " + dir, e);
        }
    }
}
