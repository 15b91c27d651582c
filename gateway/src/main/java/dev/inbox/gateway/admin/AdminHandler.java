package dev.inbox.gateway.admin;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.inbox.gateway.health.Readiness;
import dev.inbox.gateway.history.HistoryReader;
import dev.inbox.gateway.metrics.GatewayMetrics;
import dev.inbox.gateway.metrics.HistoryOutcome;
import dev.inbox.gateway.metrics.Limit;
import dev.inbox.gateway.presence.PresenceStore;
import dev.inbox.gateway.receipts.ReceiptRequests;
import dev.inbox.gateway.routing.ConversationRouter;
import dev.inbox.gateway.routing.Members;
import dev.inbox.gateway.routing.Membership;
import dev.inbox.gateway.routing.RoutingException;
import dev.inbox.protocol.ClientMessage;
import dev.inbox.protocol.ErrorCode;
import dev.inbox.protocol.Ids;
import dev.inbox.protocol.ServerEvent;
import dev.inbox.protocol.ServerFrameEncoder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufOutputStream;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin API:
 * <pre>
 * GET    /healthz                                   200 while the process runs (no key)
 * GET    /readyz                                    200 while the node accepts connections, else 503 (no key)
 * GET    /api/conversations/{id}/members            the member list
 * PUT    /api/conversations/{id}/members            {"user_ids":[...]} replaces it
 * POST   /api/conversations/{id}/members/{user_id}  adds one
 * DELETE /api/conversations/{id}/members/{user_id}  removes one
 * POST   /api/conversations/{id}/messages           {"sender_id":1,"message":"...","type":"TEXT"} publishes
 * GET    /api/conversations/{id}/history?before=&limit=  a page of its history, the HISTORY frame's shape
 * GET    /api/users/{id}/presence                   {"user_id":51,"status":"online"}
 * GET    /api/presence?user_ids=1,2,3               {"users":[{"user_id":1,"status":"online"},...]}
 * POST   /api/presence                              {"user_ids":[...]}, the same answer
 * GET    /api/conversations/{id}/reads              the members' read positions
 * GET    /api/users/{id}/unread                     the user's unread counts, the UNREAD frame's shape
 * </pre>
 * Every {@code /api} call needs {@code Authorization: Bearer <api key>}: {@link AdminRequestGate} checks it on the
 * head, before the body is read, so a request that reaches this handler has it. Stateless: one {@code @Sharable}
 * instance.
 */
@ChannelHandler.Sharable
public final class AdminHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
    private static final Logger log = LoggerFactory.getLogger(AdminHandler.class);
    private static final String API_PREFIX = "/api/conversations/";
    private static final String USERS_PREFIX = "/api/users/";
    private static final String PRESENCE_PATH = "/api/presence";

    private final Membership membership;
    private final ConversationRouter router;
    private final Readiness readiness;
    private final GatewayMetrics metrics;
    private final AdminRequests requests;
    private final int maxMembers;
    private final HistoryReader history;
    /** Users' presence; {@code null} in tests that build the handler without it (then 404). */
    private final PresenceStore presence;
    /** Read positions and unread counts. */
    private final ReceiptRequests receipts;

    private final ServerFrameEncoder encoder = new ServerFrameEncoder();
    private final JsonFactory json = JsonFactory.builder().build();

    public AdminHandler(
            Membership membership,
            ConversationRouter router,
            Readiness readiness,
            GatewayMetrics metrics,
            int maxMembers,
            int maxMessageChars,
            HistoryReader history,
            PresenceStore presence,
            ReceiptRequests receipts) {
        this.presence = presence;
        this.receipts = receipts;
        this.history = history;
        this.metrics = metrics;
        this.membership = membership;
        this.router = router;
        this.readiness = readiness;
        this.maxMembers = maxMembers;
        this.requests = new AdminRequests(maxMembers, maxMessageChars);
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
        boolean keepAlive = HttpUtil.isKeepAlive(request);
        try {
            if (!request.decoderResult().isSuccess()) {
                throw AdminRequests.bad("bad_request", "malformed HTTP request");
            }
            QueryStringDecoder uri = new QueryStringDecoder(request.uri());
            String path = uri.path();
            HttpMethod method = request.method();
            if (path.equals("/healthz")) {
                requireGet(method);
                respond(ctx, keepAlive, HttpResponseStatus.OK, g -> g.writeStringField("status", "ok"));
            } else if (path.equals("/readyz")) {
                requireGet(method);
                String reason = readiness.notReadyReason();
                if (reason == null) {
                    respond(ctx, keepAlive, HttpResponseStatus.OK, g -> g.writeStringField("status", "ready"));
                } else {
                    respond(ctx, keepAlive, HttpResponseStatus.SERVICE_UNAVAILABLE, g -> {
                        g.writeStringField("status", "not_ready");
                        g.writeStringField("reason", reason);
                    });
                }
            } else if (path.equals("/metrics")) {
                requireGet(method);
                scrape(ctx, keepAlive, request.headers().get(HttpHeaderNames.ACCEPT));
            } else if (path.equals(PRESENCE_PATH) || (path.startsWith(USERS_PREFIX) && path.endsWith("/presence"))) {
                presence(ctx, keepAlive, method, path, request.content(), uri);
            } else if (path.startsWith(USERS_PREFIX)) {
                user(
                        ctx,
                        keepAlive,
                        method,
                        path.substring(USERS_PREFIX.length()).split("/", -1));
            } else if (path.startsWith(API_PREFIX)) {
                api(ctx, keepAlive, method, path.substring(API_PREFIX.length()).split("/", -1), request.content(), uri);
            } else {
                throw new AdminException(HttpResponseStatus.NOT_FOUND, "not_found", "no such endpoint: " + path);
            }
        } catch (AdminException e) {
            if (e.code().equals("too_many_members")) {
                metrics.limitHit(Limit.MEMBERS);
            }
            error(ctx, keepAlive, e);
        }
    }

    private void api(
            ChannelHandlerContext ctx,
            boolean keepAlive,
            HttpMethod method,
            String[] segments,
            ByteBuf body,
            QueryStringDecoder uri)
            throws AdminException {
        // segments: {id}, "members" | "messages" | "history", [user_id]
        if (segments.length < 2 || segments.length > 3) {
            throw new AdminException(HttpResponseStatus.NOT_FOUND, "not_found", "no such endpoint");
        }
        long conversationId = pathId(segments[0], "conversation id");
        String resource = segments[1];
        if (resource.equals("members") && segments.length == 2) {
            if (HttpMethod.GET.equals(method)) {
                reply(ctx, keepAlive, membership.members(conversationId), conversationId);
            } else if (HttpMethod.PUT.equals(method)) {
                reply(ctx, keepAlive, membership.replace(conversationId, requests.userIds(body)), conversationId);
            } else {
                throw notAllowed("GET, PUT");
            }
        } else if (resource.equals("members")) {
            long userId = pathId(segments[2], "user id");
            if (HttpMethod.POST.equals(method) || HttpMethod.PUT.equals(method)) {
                reply(
                        ctx,
                        keepAlive,
                        membership.members(conversationId).thenCompose(m -> {
                            if (m != null && !m.contains(userId) && m.size() >= maxMembers) {
                                throw new CompletionException(new AdminException(
                                        HttpResponseStatus.CONFLICT,
                                        "too_many_members",
                                        "conversation already has " + maxMembers + " members"));
                            }
                            return membership.add(conversationId, userId);
                        }),
                        conversationId);
            } else if (HttpMethod.DELETE.equals(method)) {
                reply(ctx, keepAlive, membership.remove(conversationId, userId), conversationId);
            } else {
                throw notAllowed("POST, DELETE");
            }
        } else if (resource.equals("messages") && segments.length == 2) {
            if (!HttpMethod.POST.equals(method)) {
                throw notAllowed("POST");
            }
            AdminRequests.Publish p = requests.publish(body);
            router.publish(p.senderId(), p.senderName(), p.senderAvatar(), p.type(), p.message(), conversationId)
                    .whenComplete((event, failure) -> {
                        if (failure != null) {
                            error(ctx, keepAlive, fromRouting(failure, conversationId));
                        } else {
                            respond(ctx, keepAlive, HttpResponseStatus.OK, g -> writeEvent(g, event));
                        }
                    });
        } else if (resource.equals("history") && segments.length == 2) {
            requireGet(method);
            history(ctx, keepAlive, conversationId, uri);
        } else if (resource.equals("reads") && segments.length == 2) {
            requireGet(method);
            reads(ctx, keepAlive, conversationId);
        } else {
            throw new AdminException(HttpResponseStatus.NOT_FOUND, "not_found", "no such endpoint");
        }
    }

    /**
     * A page of the conversation's history, newest first in pages and oldest first within one, like the
     * {@code HISTORY} frame (docs/operations.md): {@code before} a message_id (absent: the newest), {@code limit}
     * capped at {@code --history-page-max}. No membership check: the backend may read any conversation.
     */
    private void history(ChannelHandlerContext ctx, boolean keepAlive, long conversationId, QueryStringDecoder uri)
            throws AdminException {
        String beforeParam = single(uri, "before");
        String limitParam = single(uri, "limit");
        long before = ClientMessage.NEWEST;
        if (beforeParam != null) {
            before = queryNumber(beforeParam);
            if (!Ids.isValid(before)) {
                throw AdminRequests.bad("wrong_type", "before must be a message_id: an integer from 1 to 2^53-1");
            }
        }
        long limit = ClientMessage.NO_LIMIT;
        if (limitParam != null) {
            limit = limitParam.matches("[0-9]{19,}") ? ClientMessage.NO_LIMIT : queryNumber(limitParam);
            if (limit < 1) {
                throw AdminRequests.bad("wrong_type", "limit must be a positive integer");
            }
        }
        history.before(conversationId, before, limit).whenComplete((page, failure) -> {
            if (failure != null) {
                metrics.historyRead(HistoryOutcome.FAILED);
                log.warn("history read failed for conversation {}: {}", conversationId, failure.toString());
                error(
                        ctx,
                        keepAlive,
                        new AdminException(
                                HttpResponseStatus.SERVICE_UNAVAILABLE,
                                "history_unavailable",
                                "history store unavailable; retry later"));
                return;
            }
            metrics.historyRead(page.trimmed() ? HistoryOutcome.TRIMMED : HistoryOutcome.OK);
            ByteBuf frame = HistoryReader.frame(encoder, ctx.alloc(), conversationId, page);
            // The frame's JSON, as the body: a slice that releases the frame with it.
            ByteBuf json = ServerFrameEncoder.payloadOf(frame);
            FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, json);
            response.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON);
            response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, json.readableBytes());
            send(ctx, keepAlive, response);
        });
    }

    /**
     * {@code GET /api/users/{id}/presence}, and the batch form: {@code GET /api/presence?user_ids=1,2,3} or
     * {@code POST /api/presence} with {@code {"user_ids":[...]}}, at most --max-members ids either way.
     */
    private void presence(
            ChannelHandlerContext ctx,
            boolean keepAlive,
            HttpMethod method,
            String path,
            ByteBuf body,
            QueryStringDecoder uri)
            throws AdminException {
        if (presence == null) {
            throw new AdminException(HttpResponseStatus.NOT_FOUND, "not_found", "no such endpoint");
        }
        if (path.startsWith(USERS_PREFIX)) {
            String[] segments = path.substring(USERS_PREFIX.length()).split("/", -1);
            if (segments.length != 2 || !segments[1].equals("presence")) {
                throw new AdminException(HttpResponseStatus.NOT_FOUND, "not_found", "no such endpoint");
            }
            requireGet(method);
            long userId = pathId(segments[0], "user id");
            presence.statuses(new long[] {userId}).whenComplete((s, failure) -> {
                if (failure != null) {
                    error(ctx, keepAlive, presenceUnavailable(failure));
                } else {
                    respond(ctx, keepAlive, HttpResponseStatus.OK, g -> writePresence(g, userId, s[0]));
                }
            });
            return;
        }
        long[] ids;
        if (HttpMethod.POST.equals(method)) {
            ids = requests.userIds(body);
        } else if (HttpMethod.GET.equals(method)) {
            String list = single(uri, "user_ids");
            if (list == null) {
                throw AdminRequests.bad("bad_request", "user_ids is required: ?user_ids=1,2,3");
            }
            String[] parts = list.split(",", -1);
            if (parts.length > maxMembers) {
                throw AdminRequests.bad("bad_request", "at most " + maxMembers + " user_ids");
            }
            ids = new long[parts.length];
            for (int i = 0; i < parts.length; i++) {
                ids[i] = pathId(parts[i].trim(), "user id");
            }
        } else {
            throw notAllowed("GET, POST");
        }
        long[] users = ids;
        presence.statuses(users).whenComplete((s, failure) -> {
            if (failure != null) {
                error(ctx, keepAlive, presenceUnavailable(failure));
                return;
            }
            respond(ctx, keepAlive, HttpResponseStatus.OK, g -> {
                g.writeArrayFieldStart("users");
                for (int i = 0; i < users.length; i++) {
                    g.writeStartObject();
                    writePresence(g, users[i], s[i]);
                    g.writeEndObject();
                }
                g.writeEndArray();
            });
        });
    }

    /**
     * {@code {"conversation_id":N,"positions":[{"user_id":U,"message_id":M},...]}}: the read positions of the
     * conversation's current members who have one. No membership check; an unknown conversation has none.
     */
    private void reads(ChannelHandlerContext ctx, boolean keepAlive, long conversationId) {
        receipts.positionsOf(conversationId).whenComplete((p, failure) -> {
            if (failure != null) {
                error(ctx, keepAlive, unavailable("read positions"));
                return;
            }
            respond(ctx, keepAlive, HttpResponseStatus.OK, g -> {
                g.writeNumberField("conversation_id", conversationId);
                g.writeArrayFieldStart("positions");
                for (int i = 0; i < p.userIds().length; i++) {
                    g.writeStartObject();
                    g.writeNumberField("user_id", p.userIds()[i]);
                    g.writeNumberField("message_id", p.messageIds()[i]);
                    g.writeEndObject();
                }
                g.writeEndArray();
            });
        });
    }

    private static void writePresence(JsonGenerator g, long userId, boolean online) throws IOException {
        g.writeNumberField("user_id", userId);
        g.writeStringField("status", online ? "online" : "offline");
    }

    private static AdminException presenceUnavailable(Throwable failure) {
        log.warn("presence read failed: {}", failure.toString());
        return new AdminException(
                HttpResponseStatus.SERVICE_UNAVAILABLE,
                "presence_unavailable",
                "presence could not be read; retry later");
    }

    /** {@code /api/users/{id}/unread}: {@code {"user_id":U,"conversations":[...]}}, entries as in the UNREAD frame. */
    private void user(ChannelHandlerContext ctx, boolean keepAlive, HttpMethod method, String[] segments)
            throws AdminException {
        if (segments.length != 2 || !segments[1].equals("unread")) {
            throw new AdminException(HttpResponseStatus.NOT_FOUND, "not_found", "no such endpoint");
        }
        long userId = pathId(segments[0], "user id");
        requireGet(method);
        receipts.unreadOf(userId).whenComplete((counts, failure) -> {
            if (failure != null) {
                error(ctx, keepAlive, unavailable("unread counts"));
                return;
            }
            respond(ctx, keepAlive, HttpResponseStatus.OK, g -> {
                g.writeNumberField("user_id", userId);
                g.writeArrayFieldStart("conversations");
                for (int i = 0; i < counts.conversationIds.length; i++) {
                    g.writeStartObject();
                    g.writeNumberField("conversation_id", counts.conversationIds[i]);
                    g.writeNumberField("unread", counts.unread[i]);
                    if (counts.capped[i]) {
                        g.writeBooleanField("unread_capped", true);
                    }
                    g.writeEndObject();
                }
                g.writeEndArray();
            });
        });
    }

    private static AdminException unavailable(String what) {
        return new AdminException(
                HttpResponseStatus.SERVICE_UNAVAILABLE,
                "receipts_unavailable",
                what + " store unavailable; retry later");
    }

    /** The one value of a query parameter, or {@code null}; given twice, a 400 (never resolved by guessing). */
    private static String single(QueryStringDecoder uri, String name) throws AdminException {
        List<String> values = uri.parameters().get(name);
        if (values == null
                || values.isEmpty()
                || (values.size() == 1 && values.get(0).isEmpty())) {
            return null;
        }
        if (values.size() > 1) {
            throw AdminRequests.bad("bad_request", name + " given more than once");
        }
        return values.get(0);
    }

    private static long queryNumber(String v) throws AdminException {
        try {
            long n = Long.parseLong(v);
            if (v.equals(Long.toString(n))) {
                return n;
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw AdminRequests.bad("wrong_type", "'" + v + "' is not an integer");
    }

    private void reply(
            ChannelHandlerContext ctx, boolean keepAlive, CompletionStage<Members> stage, long conversationId) {
        stage.whenComplete((members, failure) -> {
            if (failure != null) {
                Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                        ? failure.getCause()
                        : failure;
                if (cause instanceof AdminException ae) {
                    if (ae.code().equals("too_many_members")) {
                        metrics.limitHit(Limit.MEMBERS);
                    }
                    error(ctx, keepAlive, ae);
                } else {
                    log.warn("membership call failed for conversation {}: {}", conversationId, cause.toString());
                    error(
                            ctx,
                            keepAlive,
                            new AdminException(
                                    HttpResponseStatus.SERVICE_UNAVAILABLE,
                                    "membership_unavailable",
                                    "membership store unavailable; nothing was changed"));
                }
            } else if (members == null) {
                error(
                        ctx,
                        keepAlive,
                        new AdminException(
                                HttpResponseStatus.NOT_FOUND,
                                "unknown_conversation",
                                "conversation " + conversationId + " has no members set"));
            } else {
                respond(ctx, keepAlive, HttpResponseStatus.OK, g -> {
                    g.writeNumberField("conversation_id", conversationId);
                    g.writeArrayFieldStart("user_ids");
                    for (long id : members.userIds()) {
                        g.writeNumber(id);
                    }
                    g.writeEndArray();
                });
            }
        });
    }

    private static void writeEvent(JsonGenerator g, ServerEvent e) throws IOException {
        g.writeNumberField("conversation_id", e.conversationId());
        g.writeNumberField("message_id", e.messageId());
        g.writeNumberField("sender_id", e.senderId());
        g.writeNumberField("created_at_ms", e.createdAtMillis());
    }

    /**
     * The answer to a failed publish. Only {@code not_a_member} and {@code outbox_full} pass the router's text on; every other failure gets
     * the gateway's own words, because the router's may carry Redis's (Lettuce's exception text, with addresses) and
     * no internal text reaches a caller (issue 11). The cause is logged instead.
     */
    private static AdminException fromRouting(Throwable failure, long conversationId) {
        Throwable cause =
                failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
        if (cause instanceof RoutingException re && re.code() == ErrorCode.NOT_A_MEMBER) {
            return new AdminException(HttpResponseStatus.FORBIDDEN, re.code().wireName(), re.getMessage());
        }
        if (cause instanceof RoutingException re && re.code() == ErrorCode.OUTBOX_FULL) {
            // The node's own words already; counted in inbox_outbox_refused_total, so not logged per message.
            return new AdminException(
                    HttpResponseStatus.SERVICE_UNAVAILABLE, re.code().wireName(), re.getMessage());
        }
        log.warn("publish to conversation {} failed: {}", conversationId, cause.toString());
        if (cause instanceof RoutingException re && re.code() == ErrorCode.OUTCOME_UNKNOWN) {
            return new AdminException(
                    HttpResponseStatus.SERVICE_UNAVAILABLE,
                    re.code().wireName(),
                    "the connection to redis was lost with the message on it: it may have been delivered; check the "
                            + "outbox or the conversation before publishing it again");
        }
        if (cause instanceof RoutingException re && re.code() == ErrorCode.RELAY_UNAVAILABLE) {
            // Redis holds membership and admits every message: unreachable, it is the membership store that failed.
            return new AdminException(
                    HttpResponseStatus.SERVICE_UNAVAILABLE,
                    "membership_unavailable",
                    "membership store unavailable; nothing was delivered, retry later");
        }
        return new AdminException(
                HttpResponseStatus.SERVICE_UNAVAILABLE,
                ErrorCode.SERVER_ERROR.wireName(),
                "message not accepted; nothing was delivered, retry later");
    }

    private static void requireGet(HttpMethod method) throws AdminException {
        if (!HttpMethod.GET.equals(method) && !HttpMethod.HEAD.equals(method)) {
            throw notAllowed("GET");
        }
    }

    private static AdminException notAllowed(String allowed) {
        return new AdminException(HttpResponseStatus.METHOD_NOT_ALLOWED, "method_not_allowed", "allowed: " + allowed);
    }

    private static long pathId(String segment, String what) throws AdminException {
        long id;
        try {
            id = Long.parseLong(segment);
        } catch (NumberFormatException e) {
            id = -1;
        }
        if (!Ids.isValid(id) || !segment.equals(Long.toString(id))) {
            throw AdminRequests.bad("bad_id", what + " '" + segment + "' must be an integer from 1 to 2^53-1");
        }
        return id;
    }

    private void error(ChannelHandlerContext ctx, boolean keepAlive, AdminException e) {
        respond(ctx, keepAlive, e.status(), g -> {
            g.writeStringField("error", e.code());
            g.writeStringField("message", e.getMessage());
        });
    }

    /** Prometheus text, or OpenMetrics when the scraper asks for it; no key, like the health endpoints. */
    private void scrape(ChannelHandlerContext ctx, boolean keepAlive, String accept) {
        byte[] text = metrics.scrape(accept).getBytes(StandardCharsets.UTF_8);
        FullHttpResponse response = new DefaultFullHttpResponse(
                HttpVersion.HTTP_1_1,
                HttpResponseStatus.OK,
                ctx.alloc().buffer(text.length).writeBytes(text));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, GatewayMetrics.contentType(accept));
        response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, text.length);
        send(ctx, keepAlive, response);
    }

    @FunctionalInterface
    private interface Fields {
        void write(JsonGenerator g) throws IOException;
    }

    private void respond(ChannelHandlerContext ctx, boolean keepAlive, HttpResponseStatus status, Fields fields) {
        ByteBuf body = ctx.alloc().buffer(128);
        try (JsonGenerator g = json.createGenerator((OutputStream) new ByteBufOutputStream(body), JsonEncoding.UTF8)) {
            g.writeStartObject();
            fields.write(g);
            g.writeEndObject();
        } catch (IOException e) {
            body.release();
            throw new UncheckedIOException(e);
        }
        body.writeByte('\n');
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, body);
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON);
        response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes());
        send(ctx, keepAlive, response);
    }

    private static void send(ChannelHandlerContext ctx, boolean keepAlive, FullHttpResponse response) {
        if (keepAlive) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
            ctx.writeAndFlush(response);
        } else {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("admin connection {} failed", ctx.channel(), cause);
        ctx.close();
    }
}
