/**
 * The inbox wire format, and nothing else: what a client may send ({@link dev.inbox.protocol.ClientMessage},
 * decoded by {@link dev.inbox.protocol.ClientMessageDecoder}), what the server sends back
 * ({@link dev.inbox.protocol.ServerEvent} and errors, written by {@link dev.inbox.protocol.ServerFrameEncoder}
 * as complete, shareable WebSocket text frames), the closed set of error codes ({@link dev.inbox.protocol.ErrorCode})
 * and close codes ({@link dev.inbox.protocol.CloseCode}). Field names are the seeds' exact ones. Streaming Jackson
 * only: no tree, no databind. No pipeline and no Redis live here.
 */
package dev.inbox.protocol;
