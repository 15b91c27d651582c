package dev.inbox.gateway.demo;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The static files of the demo page and the browser client, read from the jar once at start (so no event loop ever
 * reads a file) and answered to plain GETs on the public port: {@code /} is the demo page, {@code /client/<file>} the
 * client's files. Everything else is not this class's: {@link #answer} gives null and the handshake goes on (404 for
 * an unknown path, as without the demo). Immutable, so shared by every connection.
 */
public final class DemoFiles {
    /** Where the build puts the top-level client/ directory in the jar (gateway/pom.xml, resources). */
    static final String ROOT = "static/client/";

    /** The files served, by request path; a fixed list, so a request can name nothing else. */
    private static final Map<String, String> FILES = files();

    private static Map<String, String> files() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("/", "demo/index.html");
        m.put("/index.html", "demo/index.html");
        for (String f : new String[] {
            "inbox-client.js",
            "inbox-client.d.ts",
            "use-web-socket.js",
            "use-web-socket.d.ts",
            "README.md",
            "demo/index.html",
            "demo/demo.js",
            "demo/demo.css"
        }) {
            m.put("/client/" + f, f);
        }
        return Map.copyOf(m);
    }

    private record File(byte[] body, String contentType) {}

    private final Map<String, File> byPath;

    private DemoFiles(Map<String, File> byPath) {
        this.byPath = Map.copyOf(byPath);
    }

    /** Reads every file from the class path; a jar built without them fails here, at start, not on a request. */
    public static DemoFiles load() {
        Map<String, File> byPath = new LinkedHashMap<>();
        ClassLoader loader = DemoFiles.class.getClassLoader();
        for (Map.Entry<String, String> e : FILES.entrySet()) {
            try (InputStream in = loader.getResourceAsStream(ROOT + e.getValue())) {
                if (in == null) {
                    throw new IllegalStateException(ROOT + e.getValue() + " is not in the jar (built from client/)");
                }
                byPath.put(e.getKey(), new File(in.readAllBytes(), contentType(e.getValue())));
            } catch (IOException ex) {
                throw new UncheckedIOException(ex);
            }
        }
        return new DemoFiles(byPath);
    }

    private static String contentType(String name) {
        if (name.endsWith(".html")) return "text/html; charset=utf-8";
        if (name.endsWith(".js")) return "text/javascript; charset=utf-8"; // module scripts need a JavaScript type
        if (name.endsWith(".css")) return "text/css; charset=utf-8";
        if (name.endsWith(".ts")) return "text/plain; charset=utf-8";
        return "text/markdown; charset=utf-8";
    }

    /** The response for a GET of {@code path} (without the query), or null when it is not one of the files. */
    public FullHttpResponse answer(String path) {
        File f = byPath.get(path);
        if (f == null) {
            return null;
        }
        FullHttpResponse r = new DefaultFullHttpResponse(
                HttpVersion.HTTP_1_1, HttpResponseStatus.OK, Unpooled.wrappedBuffer(f.body()));
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, f.contentType());
        r.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, f.body().length);
        r.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-cache");
        r.headers().set("X-Content-Type-Options", "nosniff");
        // The page runs only its own scripts and talks only to this gateway.
        r.headers()
                .set(
                        "Content-Security-Policy",
                        "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; base-uri 'none'");
        r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        return r;
    }
}
