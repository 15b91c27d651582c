package dev.inbox.gateway.metrics;

/**
 * Every meter the gateway defines, as Prometheus shows it (Micrometer adds {@code _total} to counters and the base
 * unit to timers; the delivery latency histogram is a Prometheus collector of its own and carries its unit in its
 * name). JVM, process and Netty allocator meters come from Micrometer's own binders and are not listed.
 */
public enum InboxMeters {
    CONNECTIONS("inbox.connections", "gauge", "", "Open WebSocket connections."),
    USERS("inbox.users", "gauge", "", "Users with at least one open connection on this node."),
    HANDSHAKES("inbox.handshakes", "counter", "outcome", "Upgrade requests by outcome."),
    FRAMES_RECEIVED("inbox.frames.received", "counter", "type", "WebSocket frames received, by type."),
    MESSAGES_ROUTED(
            "inbox.messages.routed", "counter", "source", "Messages admitted into a conversation (client or admin)."),
    RESENDS(
            "inbox.messages.resent",
            "counter",
            "",
            "Resends recognised by client_msg_id (same sender and conversation, within --dedup-window): acknowledged with the original message_id, delivered to no one again."),
    DEDUP_EVICTED(
            "inbox.dedup.evicted",
            "counter",
            "",
            "Single node: client_msg_ids forgotten before their window ended because --dedup-max-entries were held; a resend of one is delivered as a new message."),
    DELIVERIES(
            "inbox.deliveries",
            "counter",
            "path",
            "Frames written to connections, local (sent on this node) or relayed."),
    FANOUT("inbox.fanout.recipients", "histogram", "", "Connections on this node a message was written to."),
    DELIVERY_LATENCY(
            "inbox.delivery.latency.seconds",
            "histogram",
            "path",
            "From accept on the sending node to the flush to each recipient socket; one observation per delivery."),
    RELAY_PUBLISH(
            "inbox.relay.publish.seconds",
            "histogram",
            "",
            "Round trip of the admission script that numbers and publishes a message."),
    RELAY_RECEIVED("inbox.relay.received", "counter", "", "Envelopes received from other nodes."),
    RELAY_GAPS(
            "inbox.relay.gaps",
            "counter",
            "",
            "Interruptions of this node's relay subscription (connection lost or replaced); each ends with 4002 closes."),
    RELAY_WAITING(
            "inbox.relay.waiting",
            "gauge",
            "",
            "Admissions sent to Redis and waiting for their reply; at --redis-queue, new messages are shed (relay_unavailable)."),
    RELAY_OUTCOME_UNKNOWN(
            "inbox.relay.outcome.unknown",
            "counter",
            "",
            "Admissions whose reply was lost with the Redis connection after the script was sent: the sender got outcome_unknown."),
    RESUMES(
            "inbox.resumes",
            "counter",
            "outcome",
            "Resume requests by outcome: recovered, partial (some conversations not recovered), no_position, epoch_changed, beyond_window, too_many, bad_position, not_supported, failed, closed, bad_request, busy."),
    RESUME_REPLAYED("inbox.resume.replayed", "counter", "", "Events replayed to resuming connections."),
    RESUMES_WAITING(
            "inbox.resumes.waiting",
            "gauge",
            "",
            "Resumes waiting for one of the --resume-concurrency slots; at --resume-queue, one more is refused (resume_busy)."),
    RESUME_DURATION(
            "inbox.resume.seconds",
            "histogram",
            "",
            "From a RESUME request to its RESUMED frame (subscribe, wait for a slot, feed read, history reads, replay)."),
    ERRORS_SENT("inbox.errors.sent", "counter", "code", "ERROR frames sent, by code."),
    CLOSES_SENT("inbox.closes.sent", "counter", "code", "Close frames sent, by close code."),
    CLOSES_RECEIVED(
            "inbox.closes.received", "counter", "code", "Close frames received, by close code (unknown codes: other)."),
    SLOW_CONSUMERS(
            "inbox.slow.consumer.disconnects",
            "counter",
            "",
            "Connections closed (1013) because they read too slowly: over the outbound bound past the grace, or over the hard cap."),
    LIMIT_HITS(
            "inbox.limit.hits",
            "counter",
            "limit",
            "How often a limit fired: rate, flood_close, user_connections, address_connections, address_handshakes, address_pending, node_connections, admin_body, members, admin_connections, admin_read_timeout, relay_waiting, relay_latency."),
    HOOK_CALLS(
            "inbox.hook.calls",
            "counter",
            "outcome",
            "Calls to a backend hook (label hook: publish or connect), by outcome: ok, refused, failed, timeout, unreachable, overloaded, malformed."),
    HOOK_LATENCY(
            "inbox.hook.seconds",
            "histogram",
            "hook",
            "Round trip of a backend hook call that got an answer (publish or connect)."),
    HOOK_IN_FLIGHT("inbox.hook.in.flight", "gauge", "hook", "Calls to a backend hook waiting for their answer."),
    REDIS_UP("inbox.redis.up", "gauge", "", "1 while the node reaches Redis, 0 when not; absent on a single node."),
    OUTBOX_ENTRIES(
            "inbox.outbox.entries",
            "gauge",
            "",
            "Entries in the outbox streams, summed over the partitions (cluster-wide: aggregate nodes with max)."),
    OUTBOX_LAG(
            "inbox.outbox.lag",
            "gauge",
            "group",
            "Outbox entries not yet delivered to a consumer group, summed over the partitions (cluster-wide)."),
    OUTBOX_PENDING(
            "inbox.outbox.pending",
            "gauge",
            "group",
            "Outbox entries delivered to a consumer group and not yet acknowledged, summed over the partitions (cluster-wide)."),
    OUTBOX_DROPPED(
            "inbox.outbox.dropped",
            "counter",
            "reason",
            "Outbox entries this node removed before every consumer group acknowledged them: full (trimmed for a new one) or expired (older than the age bound)."),
    OUTBOX_REFUSED(
            "inbox.outbox.refused",
            "counter",
            "",
            "Messages this node refused (outbox_full) because the outbox was full."),
    HISTORY_READS(
            "inbox.history.reads",
            "counter",
            "outcome",
            "History reads (HISTORY frames and the admin API) by outcome: ok, trimmed, not_a_member, busy, failed."),
    EVENTS_RECEIVED(
            "inbox.events.received",
            "counter",
            "type",
            "Typing and read-receipt frames received, decoded and within their rate limit: typing, read, reads, unread."),
    EVENTS_FORWARDED(
            "inbox.events.forwarded",
            "counter",
            "type",
            "Typing and read events sent on to the members (once per event, not per recipient): typing, read."),
    TYPING_DROPPED(
            "inbox.typing.dropped",
            "counter",
            "reason",
            "TYPING frames dropped without an error: coalesced (another was forwarded within --typing-interval), rate_limited (over --event-rate-limit), shed (the node is shedding load), unwritable (per recipient whose connection was over its outbound bound)."),
    READ_POSITIONS(
            "inbox.read.positions",
            "counter",
            "outcome",
            "READ frames by outcome: moved (the position went forward), behind (a no-op), beyond (bad_read_position), not_a_member, failed (the store did not answer)."),
    READ_EVENTS_COALESCED(
            "inbox.read.events.coalesced",
            "counter",
            "",
            "Moved read positions whose READ event was not sent because a newer position of the same reader and conversation went in its place within --read-interval."),
    HISTORY_LOCAL_BYTES(
            "inbox.history.local.bytes",
            "gauge",
            "",
            "Heap the in-memory history holds (single node; 0 with --redis or --history false)."),
    HISTORY_LOCAL_EVICTIONS(
            "inbox.history.local.evictions",
            "counter",
            "",
            "Conversations whose in-memory history was dropped whole to stay within --history-local-max-bytes."),
    PRESENCE_PUBLISHED(
            "inbox.presence.published",
            "counter",
            "",
            "Presence changes this node made (a user's first connection anywhere, or their last gone past --presence-debounce, or a dead node's users swept offline)."),
    PRESENCE_DELIVERED(
            "inbox.presence.delivered",
            "counter",
            "",
            "PRESENCE frames written to subscribed connections on this node (the initial state and each change)."),
    PRESENCE_SUBSCRIPTIONS(
            "inbox.presence.subscriptions",
            "gauge",
            "",
            "Presence subscriptions held by this node's connections (one per connection and user watched)."),
    PRESENCE_REFUSED(
            "inbox.presence.refused",
            "counter",
            "reason",
            "PRESENCE_SUBSCRIBE frames refused, by reason: forbidden (a user sharing no conversation), limit (--presence-max-subscriptions), rate (--presence-rate), unavailable (membership could not be read).");

    private final String meterName;
    private final String type;
    private final String label;
    private final String description;

    InboxMeters(String meterName, String type, String label, String description) {
        this.meterName = meterName;
        this.type = type;
        this.label = label;
        this.description = description;
    }

    /** The Micrometer name; Prometheus shows it with underscores. */
    public String meterName() {
        return meterName;
    }

    public String type() {
        return type;
    }

    /** The one label the meter has, or empty. */
    public String label() {
        return label;
    }

    public String description() {
        return description;
    }
}
