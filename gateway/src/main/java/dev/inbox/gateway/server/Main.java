package dev.inbox.gateway.server;

import dev.inbox.gateway.config.ConfigException;
import dev.inbox.gateway.config.ConfigLoader;
import dev.inbox.gateway.config.GatewayConfig;
import dev.inbox.gateway.config.Setting;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

import java.util.concurrent.atomic.AtomicBoolean;

/** Starts one node: {@code java -jar inbox-gateway.jar [--flag value ...]}. Exit code 2 on a bad configuration. */
public final class Main {
    private Main() {
    }

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
        AtomicBoolean draining = new AtomicBoolean();
        Runnable drainThenExit = () -> {
            server.drainAndClose();
            System.exit(0);
        };
        for (String name : new String[]{"TERM", "INT"}) {
            Signal.handle(new Signal(name), signal -> {
                if (draining.compareAndSet(false, true)) {
                    new Thread(drainThenExit, "inbox-drain").start();
                }
            });
        }
        Runtime.getRuntime().addShutdownHook(new Thread(server::close, "inbox-shutdown"));
        log.info("listening public={} admin={} transport={} dev={}", server.port(), server.adminPort(),
                server.transport(), config.dev());
    }

    private static void printHelp() {
        StringBuilder b = new StringBuilder("inbox-gateway [--flag value ...]\n\n");
        for (Setting s : Setting.values()) {
            b.append(String.format("  --%-22s %-24s %s%n", s.flag(), s.env(),
                    s.description() + (s.defaultValue().isEmpty() ? "" : " [" + s.defaultValue() + "]")));
        }
        System.out.print(b);
    }
}
