package dev.inbox.testkit;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A WebSocket peer over a plain TCP socket, for the frames a well-behaved client library refuses to send (invalid
 * UTF-8, unmasked frames, bad opcodes). It performs the upgrade, then writes frames byte by byte as the test says.
 */
public final class RawWebSocket implements AutoCloseable {
    private final Socket socket;
    private final DataInputStream in;
    private final OutputStream out;

    /** A frame read from the server. */
    public record Frame(boolean fin, int opcode, byte[] payload) {
        /** The close code of a close frame, or -1 when it has none. */
        public int closeCode() {
            return payload.length >= 2 ? ((payload[0] & 0xFF) << 8) | (payload[1] & 0xFF) : -1;
        }

        public String text() {
            return new String(payload, StandardCharsets.UTF_8);
        }
    }

    private RawWebSocket(Socket socket) throws IOException {
        this.socket = socket;
        this.socket.setSoTimeout((int) WsClient.WAIT.toMillis());
        this.in = new DataInputStream(socket.getInputStream());
        this.out = socket.getOutputStream();
    }

    /** Opens a connection and completes the upgrade at {@code pathAndQuery}; fails unless the answer is 101. */
    public static RawWebSocket connect(int port, String pathAndQuery, String authorization) throws IOException {
        return connect(port, pathAndQuery, authorization, 0);
    }

    /**
     * As {@link #connect(int, String, String)}, with a small receive buffer when {@code receiveBufferBytes} is
     * positive: a peer that then stops reading fills its TCP window quickly, like a stalled phone.
     */
    public static RawWebSocket connect(int port, String pathAndQuery, String authorization, int receiveBufferBytes)
            throws IOException {
        return connect(port, pathAndQuery, authorization, receiveBufferBytes, "", "");
    }

    /**
     * As above, with {@code preface} written before the request (a PROXY protocol header) and {@code extraHeaders}
     * (complete lines, each ending in CRLF) added to it. A refused upgrade throws with the status line.
     */
    public static RawWebSocket connect(
            int port,
            String pathAndQuery,
            String authorization,
            int receiveBufferBytes,
            String preface,
            String extraHeaders)
            throws IOException {
        Socket socket = new Socket();
        if (receiveBufferBytes > 0) {
            socket.setReceiveBufferSize(receiveBufferBytes);
        }
        socket.connect(new java.net.InetSocketAddress("127.0.0.1", port), (int) WsClient.WAIT.toMillis());
        RawWebSocket ws = new RawWebSocket(socket);
        String request = preface + "GET " + pathAndQuery + " HTTP/1.1\r\n"
                + "Host: 127.0.0.1:" + port + "\r\n"
                + "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                + (authorization == null ? "" : "Authorization: " + authorization + "\r\n")
                + extraHeaders
                + "\r\n";
        ws.out.write(request.getBytes(StandardCharsets.US_ASCII));
        ws.out.flush();
        String head = ws.readHead();
        if (!head.startsWith("HTTP/1.1 101")) {
            ws.close();
            throw new IOException("upgrade refused: " + head);
        }
        return ws;
    }

    private String readHead() throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        byte[] end = {'\r', '\n', '\r', '\n'};
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("connection closed during the handshake: " + head);
            }
            head.write(b);
            matched = b == end[matched] ? matched + 1 : (b == '\r' ? 1 : 0);
        }
        return head.toString(StandardCharsets.US_ASCII);
    }

    /** Writes one frame; {@code masked} false breaks RFC 6455 §5.1 on purpose. */
    public void send(boolean fin, int opcode, byte[] payload, boolean masked) throws IOException {
        out.write(frame(fin, opcode, payload, masked));
        out.flush();
    }

    /** Writes bytes as they are: many frames at once from {@link #frame}, for a flood. */
    public void sendRaw(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    /** The wire bytes of one client frame. */
    public static byte[] frame(boolean fin, int opcode, byte[] payload, boolean masked) {
        ByteArrayOutputStream f = new ByteArrayOutputStream();
        f.write((fin ? 0x80 : 0) | opcode);
        int maskBit = masked ? 0x80 : 0;
        if (payload.length < 126) {
            f.write(maskBit | payload.length);
        } else if (payload.length < 65_536) {
            f.write(maskBit | 126);
            f.write(payload.length >>> 8);
            f.write(payload.length);
        } else {
            f.write(maskBit | 127);
            for (int shift = 56; shift >= 0; shift -= 8) {
                f.write((int) ((long) payload.length >>> shift));
            }
        }
        byte[] body = payload.clone();
        if (masked) {
            byte[] key = new byte[4];
            ThreadLocalRandom.current().nextBytes(key);
            f.write(key, 0, 4);
            for (int i = 0; i < body.length; i++) {
                body[i] ^= key[i & 3];
            }
        }
        f.write(body, 0, body.length);
        return f.toByteArray();
    }

    /** Reads the next frame from the server, waiting up to {@link WsClient#WAIT}. */
    public Frame read() throws IOException {
        int b0 = in.readUnsignedByte();
        int b1 = in.readUnsignedByte();
        long len = b1 & 0x7F;
        if (len == 126) {
            len = in.readUnsignedShort();
        } else if (len == 127) {
            len = in.readLong();
        }
        if ((b1 & 0x80) != 0) {
            throw new IOException("the server sent a masked frame");
        }
        byte[] payload = new byte[(int) len];
        in.readFully(payload);
        return new Frame((b0 & 0x80) != 0, b0 & 0x0F, payload);
    }

    /** Reads frames until a close frame, returning it. */
    public Frame readUntilClose() throws IOException {
        while (true) {
            Frame f = read();
            if (f.opcode() == 0x8) {
                return f;
            }
        }
    }

    /** Whether the server has closed the TCP connection (end of stream), waiting up to {@link WsClient#WAIT}. */
    public boolean serverClosedTcp() throws IOException {
        try {
            InputStream s = socket.getInputStream();
            while (true) {
                if (s.read() < 0) {
                    return true;
                }
            }
        } catch (SocketTimeoutException e) {
            return false;
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
