package dev.inbox.gateway.inbox;

import dev.inbox.gateway.auth.ClientAddressResolver;
import dev.inbox.gateway.routing.InboxSession;
import java.net.InetAddress;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One structured line when a connection opens and one when it closes, on the logger {@code inbox.access}: the user,
 * the client address (after PROXY protocol and trusted X-Forwarded-For), and at close the duration, the close code
 * and frames in and out. Never a token or a message. With {@code --log-format json} each line is a JSON object
 * whose fields include these key/value pairs.
 */
final class AccessLog {
    private static final Logger log = LoggerFactory.getLogger("inbox.access");

    private AccessLog() {}

    static void opened(InboxSession s) {
        if (log.isInfoEnabled()) {
            log.atInfo()
                    .addKeyValue("event", "open")
                    .addKeyValue("user", s.userId())
                    .addKeyValue("client", client(s))
                    .addKeyValue("conn", conn(s))
                    .log("open user={} client={} conn={}", s.userId(), client(s), conn(s));
        }
    }

    static void closed(InboxSession s) {
        if (log.isInfoEnabled()) {
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - s.openedAtNanos());
            log.atInfo()
                    .addKeyValue("event", "close")
                    .addKeyValue("user", s.userId())
                    .addKeyValue("client", client(s))
                    .addKeyValue("conn", conn(s))
                    .addKeyValue("duration_ms", ms)
                    .addKeyValue("close_code", s.closeCode())
                    .addKeyValue("frames_in", s.framesIn())
                    .addKeyValue("frames_out", s.framesOut())
                    .log(
                            "close user={} client={} conn={} duration_ms={} close_code={} frames_in={} frames_out={}",
                            s.userId(),
                            client(s),
                            conn(s),
                            ms,
                            s.closeCode(),
                            s.framesIn(),
                            s.framesOut());
        }
    }

    /**
     * The connection's id in the log: its channel id's hash in hex, not {@code asShortText()}, which would keep the
     * text on the id for the connection's whole life (48 bytes of every idle connection).
     */
    static String conn(InboxSession s) {
        return Integer.toHexString(s.channel().id().hashCode());
    }

    private static String client(InboxSession s) {
        InetAddress a = s.channel().attr(ClientAddressResolver.CLIENT).get();
        return a == null ? "-" : a.getHostAddress();
    }
}
