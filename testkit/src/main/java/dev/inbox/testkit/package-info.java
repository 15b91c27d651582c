/**
 * The one test kit, shared by every module's tests, the soak run and the load generator: real Redis servers and
 * clusters ({@link dev.inbox.testkit.RedisServer}), gateway nodes in JVMs of their own
 * ({@link dev.inbox.testkit.GatewayProcess}, {@link dev.inbox.testkit.NodeProcess}), the WebSocket test clients
 * ({@link dev.inbox.testkit.WsClient}, {@link dev.inbox.testkit.RawWebSocket}), the Prometheus text reader, the
 * delivery ledger, settings parsing, and the Netty leak detection every test runs under
 * ({@link dev.inbox.testkit.LeakDetectionExtension}). Depends on no module of the project; docs/testing.md lists
 * what each piece is.
 */
package dev.inbox.testkit;
