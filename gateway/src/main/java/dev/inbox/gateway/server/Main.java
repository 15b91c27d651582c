package dev.inbox.gateway.server;

import dev.inbox.gateway.config.ConfigException;
import dev.inbox.gateway.config.ConfigLoader;
import dev.inbox.gateway.config.GatewayConfig;
import dev.inbox.gateway.config.Setting;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

/**
 * Starts one node: {@code java -jar inbox-gateway.jar [--flag value ...]}. Exit code 2 on a bad configuration; 0
 * after a drain; 130 or 143 when a second SIGINT or SIGTERM cuts the drain short. {@code --version} and
 * {@code --help} print and exit 0.
 */
public final class Main {
    private Main() {}

    /**
     * Netty's object pools keep up to this many released objects per thread in a plain array before falling back to
     * a shared queue that allocates a new chunk every 32 entries. Fan-out releases one outbound-buffer entry and one
     * buffer view per recipient in a burst; at the default (32) a 1 000-recipient message allocated about 10 bytes
     * per recipient that way (FanoutBenchmark, -prof gc), at 2 048 nothing. Read once, when Netty's
     * {@code Recycler} is first loaded, so it is set before anything touches Netty; {@code -D} still wins.
     */
    private static final String RECYCLER_BATCH = "2048";

    public static void main(String[] args) throws InterruptedException {
        if (System.getProperty("io.netty.recycler.chunkSize") == null) {
            System.setProperty("io.netty.recycler.chunkSize", RECYCLER_BATCH);
        }
        for (String a : args) {
            if (a.equals("--help") || a.equals("-h")) {
                printHelp();
                return;
            }
            if (a.equals("--version")) {
                System.out.println("inbox-gateway " + version());
                return;
            }
        }
        GatewayConfig config;
        try {
            config = ConfigLoader.load(args);
        } catch (ConfigException e) {
            System.err.println("inbox-gateway: " + e.getMessage());
            System.exit(2);
            return;
        }
        // Before the first logger exists: logback.xml picks its appender from this.
        System.setProperty("inbox.log.format", config.logFormat());
        Logger log = LoggerFactory.getLogger(Main.class);
        InboxServer server;
        try {
            server = InboxServer.start(config);
        } catch (ConfigException e) {
            System.err.println("inbox-gateway: " + e.getMessage());
            System.exit(2);
            return;
        }
        if (config.dev()) {
            log.warn("DEV MODE: ?user_id=N is accepted without a token and unknown conversations are open to anyone."
                    + " Never expose a dev-mode node.");
            log.warn("DEV MODE: admin API key is '{}'", config.admin().apiKey());
        }
        // SIGTERM (and Ctrl-C) drain, then exit 0: a JVM left to its default would die with 143 mid-conversation.
        // A second signal during the drain stops the process at once, with the shell's code for a death by that
        // signal (128 + its number: 130 for INT, 143 for TERM): whoever sends it has decided not to wait. Handlers
        // of our own rather than a shutdown hook, because once a hook runs the JVM is already exiting and a second
        // signal can neither be seen nor change the exit code. halt, not exit: exit would run the shutdown hook,
        // whose close() waits for the event loops, the very wait being cut short.
        AtomicInteger signals = new AtomicInteger();
        Runnable drainThenExit = () -> {
            server.drainAndClose();
            System.exit(0);
        };
        for (String name : new String[] {"TERM", "INT"}) {
            Signal.handle(new Signal(name), signal -> {
                if (signals.getAndIncrement() == 0) {
                    log.info("SIG{}: draining; a second SIGINT (Ctrl-C) or SIGTERM stops at once", signal.getName());
                    new Thread(drainThenExit, "inbox-drain").start();
                } else {
                    log.warn(
                            "SIG{} during the drain: stopping now, {} connections open",
                            signal.getName(),
                            server.connectionCount());
                    Runtime.getRuntime().halt(128 + signal.getNumber());
                }
            });
        }
        Runtime.getRuntime().addShutdownHook(new Thread(server::close, "inbox-shutdown"));
        log.info(
                "listening public={} admin={} transport={} dev={}",
                server.port(),
                server.adminPort(),
                server.transport(),
                config.dev());
        if (config.dev()) {
            // The one line a newcomer acts on; plain in text format so it can be copied as it stands.
            String tryIt =
                    "try it: npx wscat -c '" + inboxUrl(config.listen().bind(), server.port()) + "?user_id=1&name=Ann'";
            String openIt = config.listen().demoPage()
                    ? "or open "
                            + inboxUrl(config.listen().bind(), server.port())
                                    .replaceFirst("^ws", "http")
                                    .replace("/ws/inbox/", "/")
                            + " in two tabs"
                    : null;
            if (config.logFormat().equals("json")) {
                log.info(tryIt);
                if (openIt != null) {
                    log.info(openIt);
                }
            } else {
                System.out.println(tryIt);
                if (openIt != null) {
                    System.out.println(openIt);
                }
            }
        }
    }

    /** The jar's {@code Implementation-Version}, or {@code unknown} when run from classes rather than the jar. */
    static String version() {
        String v = Main.class.getPackage().getImplementationVersion();
        return v != null ? v : "unknown (not run from the jar)";
    }

    /** The WebSocket URL a client on this machine reaches the public port at. */
    static String inboxUrl(String bind, int port) {
        String host = switch (bind) {
            case "0.0.0.0", "::", "0:0:0:0:0:0:0:0", "[::]" -> "localhost";
            default -> bind.contains(":") && !bind.startsWith("[") ? "[" + bind + "]" : bind;
        };
        return "ws://" + host + ":" + port + "/ws/inbox/";
    }

    private static void printHelp() {
        StringBuilder b = new StringBuilder("inbox-gateway [--flag value ...]    (or --version, --help)\n\n");
        for (Setting s : Setting.values()) {
            b.append(String.format(
                    "  --%-22s %-24s %s%n",
                    s.flag(),
                    s.env(),
                    s.description() + (s.defaultValue().isEmpty() ? "" : " [" + s.defaultValue() + "]")));
        }
        System.out.print(b);
    }
}
